// PixelScores: the per-pixel half of prediction in one pass over a band of maps (the torch engine's implementation of
// src/engine/pixel-scores.ts, which documents the outputs; src/engine/kernels/pixel-scores.ts is the same loop for
// the other engines). Inputs: logits [n, C] float32 and, for the GMM head, class log-likelihoods [n, C]. Outputs,
// each [n]: the argmax class (int32, first maximum), −max logit, energy −logsumexp, −max softmax and, with the
// likelihoods, −max log-likelihood. One read of every value instead of the eight passes (max, argmax, subtract, exp,
// sum, log, add, exp) of the composite ops; exp in float, the softmax denominator accumulated in double, so results
// equal the composite ops up to float rounding. A NaN anywhere in a row makes that row's scores NaN and its class the
// first NaN's index (ATen's argmax). Tensors on another device than the CPU take ATen's own reductions.
#include <ATen/Parallel.h>

#include <cmath>

#include "common.h"

namespace {

struct Rows {
  const float* logits;
  const float* likelihoods;  // nullptr without the GMM head's maps
  int64_t C;
};

struct Outs {
  int32_t* classes;
  float* maxLogit;
  float* energy;
  float* msp;
  float* gmm;  // nullptr without likelihoods
};

/** Max and first argmax of row `r` (NaN wins, as ATen's argmax). */
inline float rowMax(const float* r, int64_t C, int32_t* arg) {
  float m = r[0];
  int32_t a = 0;
  if (std::isnan(m)) {
    *arg = 0;
    return m;
  }
  for (int64_t c = 1; c < C; c++) {
    const float v = r[c];
    if (std::isnan(v)) {
      *arg = static_cast<int32_t>(c);
      return v;
    }
    if (v > m) {
      m = v;
      a = static_cast<int32_t>(c);
    }
  }
  *arg = a;
  return m;
}

void scoreRows(const Rows& in, const Outs& out, int64_t i0, int64_t i1) {
  const int64_t C = in.C;
  for (int64_t i = i0; i < i1; i++) {
    const float* r = in.logits + i * C;
    int32_t arg;
    const float m = rowMax(r, C, &arg);
    double s = 0;
    for (int64_t c = 0; c < C; c++) s += std::exp(r[c] - m);
    out.classes[i] = arg;
    out.maxLogit[i] = -m;
    out.energy[i] = static_cast<float>(-(m + std::log(s)));
    out.msp[i] = static_cast<float>(-1.0 / s);
    if (in.likelihoods) {
      int32_t unused;
      out.gmm[i] = -rowMax(in.likelihoods + i * C, C, &unused);
    }
  }
}

/** The same outputs from ATen's reductions (tensors not on the CPU). */
gmm::Tensors atenScores(const at::Tensor& L, const at::Tensor* S) {
  auto mx = at::max(L, 1);
  const at::Tensor& m = std::get<0>(mx);
  at::Tensor lse = at::logsumexp(L, 1);
  gmm::Tensors out = {std::get<1>(mx).to(at::kInt), -m, -lse, -at::exp(m - lse)};
  if (S) out.push_back(-std::get<0>(at::max(*S, 1)));
  return out;
}

}  // namespace

GMM_OP(PixelScores) {
  gmm::require(in.size() == 1 || in.size() == 2, "PixelScores: expects logits and optionally class log-likelihoods");
  const at::Tensor L = in[0].contiguous();
  gmm::require(L.dim() == 2 && L.size(1) >= 1 && L.scalar_type() == at::kFloat,
               "PixelScores: logits must be float32 [n, C] with C ≥ 1");
  at::Tensor S;
  if (in.size() == 2) {
    S = in[1].contiguous();
    gmm::require(S.sizes() == L.sizes() && S.scalar_type() == at::kFloat,
                 "PixelScores: class log-likelihoods must be float32 of the logits' shape");
  }
  if (!L.is_cpu()) return atenScores(L, S.defined() ? &S : nullptr);
  const int64_t n = L.size(0);
  gmm::Tensors out = {at::empty({n}, gmm::opts(at::kInt)), at::empty({n}, gmm::opts(at::kFloat)),
                      at::empty({n}, gmm::opts(at::kFloat)), at::empty({n}, gmm::opts(at::kFloat))};
  if (S.defined()) out.push_back(at::empty({n}, gmm::opts(at::kFloat)));
  const Rows rows{L.data_ptr<float>(), S.defined() ? S.data_ptr<float>() : nullptr, L.size(1)};
  const Outs outs{out[0].data_ptr<int32_t>(), out[1].data_ptr<float>(), out[2].data_ptr<float>(),
                  out[3].data_ptr<float>(), S.defined() ? out[4].data_ptr<float>() : nullptr};
  at::parallel_for(0, n, 4096, [&](int64_t i0, int64_t i1) { scoreRows(rows, outs, i0, i1); });
  return out;
}

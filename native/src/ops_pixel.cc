// PixelScores: the per-pixel half of prediction in one pass over a band of maps (the torch engine's implementation of
// src/engine/pixel-scores.ts, which documents the outputs; src/engine/kernels/pixel-scores.ts is the same loop for
// the other engines). Inputs: logits [R, w, C] float32 and, for the GMM head, class log-likelihoods [R, w, C];
// attribute `width` W: the maps' columns are first upsampled to W (bilinear, half-pixel centres, edges clamped: the
// column half of tf.image.resizeBilinear(x, size, false, true); W = w leaves them as they are). Outputs, each [R·W]:
// the argmax class (int32, first maximum), −max logit, energy −logsumexp, −max softmax and, with the likelihoods,
// −max log-likelihood. One read of every value instead of a full-width resize and eight passes (max, argmax,
// subtract, exp, sum, log, add, exp) of the composite ops; exp in float (a polynomial, about one ulp), the softmax
// denominator accumulated in double, so results equal the composite ops up to float rounding. A NaN in a pixel's
// values makes its scores NaN and its class the first NaN's index (ATen's argmax). Tensors on another device than
// the CPU take ATen's own ops.
#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "common.h"

namespace {

/** Source columns and weight of every output column (half-pixel centres, clamped; tfjs's rule). */
struct Columns {
  std::vector<int64_t> left, right;
  std::vector<float> frac;
};

Columns columns(int64_t w, int64_t W) {
  Columns c{std::vector<int64_t>(W), std::vector<int64_t>(W), std::vector<float>(W)};
  const double scale = static_cast<double>(w) / static_cast<double>(W);
  for (int64_t x = 0; x < W; x++) {
    const double src = (static_cast<double>(x) + 0.5) * scale - 0.5;
    const double f = std::floor(src);
    c.left[x] = std::max<int64_t>(0, static_cast<int64_t>(f));
    c.right[x] = std::min<int64_t>(w - 1, static_cast<int64_t>(std::ceil(src)));
    c.frac[x] = static_cast<float>(src - f);
  }
  return c;
}

struct Maps {
  const float* logits;
  const float* likelihoods;  // nullptr without the GMM head's maps
  int64_t w, C, W;
};

struct Outs {
  int32_t* classes;
  float* maxLogit;
  float* energy;
  float* msp;
  float* gmm;  // nullptr without likelihoods
};

/** Row `r`, output column `x` of `src` interpolated into `v` [C]. */
inline void interpolate(const float* src, const Maps& m, const Columns& cols, int64_t r, int64_t x, float* v) {
  const float* a = src + (r * m.w + cols.left[x]) * m.C;
  const float* b = src + (r * m.w + cols.right[x]) * m.C;
  const float f = cols.frac[x];
  if (f == 0.0f || a == b)
    for (int64_t c = 0; c < m.C; c++) v[c] = a[c];
  else
    for (int64_t c = 0; c < m.C; c++) v[c] = a[c] + (b[c] - a[c]) * f;
}

/** Max and first argmax of `r` [C] (NaN wins, as ATen's argmax). */
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

/**
 * exp(x) for x ≤ 0 in float: 2^k·e^r, k = round(x·log2 e), r = x − k·ln 2 (two-part ln 2), e^r by a degree-6 Taylor
 * polynomial (|r| ≤ ln2/2: relative error < 2e−7, about one float ulp); 0 below −87; NaN stays NaN. No libm call
 * (std::exp / std::nearbyint are calls on baseline x86-64).
 */
inline float expNonPositive(float x) {
  const bool under = x < -87.0f;
  const float y = x >= -87.0f ? x : -87.0f;  // NaN → −87 too: the int conversion below stays defined
  // round to nearest by the 1.5·2^23 trick (|y·log2 e| < 126): no libm call on baseline x86-64 (no SSE4.1 roundss)
  const float k = (y * 1.44269504f + 12582912.0f) - 12582912.0f;
  const float r = (y - k * 0.693359375f) + k * 2.12194440e-4f;
  const float p =
      1.0f + r * (1.0f + r * (0.5f + r * (1.0f / 6 + r * (1.0f / 24 + r * (1.0f / 120 + r * (1.0f / 720))))));
  const int32_t bits = (static_cast<int32_t>(k) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return x != x ? x : under ? 0.0f : p * scale;
}

/** Rows [r0, r1) of the output (W pixels each). */
void scoreRows(const Maps& in, const Columns& cols, const Outs& out, int64_t r0, int64_t r1) {
  const int64_t C = in.C;
  std::vector<float> v(C);
  for (int64_t r = r0; r < r1; r++)
    for (int64_t x = 0, i = r * in.W; x < in.W; x++, i++) {
      interpolate(in.logits, in, cols, r, x, v.data());
      int32_t arg;
      const float m = rowMax(v.data(), C, &arg);
      double s = 0;
      for (int64_t c = 0; c < C; c++) s += expNonPositive(v[c] - m);
      out.classes[i] = arg;
      out.maxLogit[i] = -m;
      out.energy[i] = static_cast<float>(-(m + std::log(s)));
      out.msp[i] = static_cast<float>(-1.0 / s);
      if (in.likelihoods) {
        interpolate(in.likelihoods, in, cols, r, x, v.data());
        int32_t unused;
        out.gmm[i] = -rowMax(v.data(), C, &unused);
      }
    }
}

/** `x` [R, w, C] with its columns upsampled to W, as [R·W, C] (ATen ops; tensors not on the CPU). */
at::Tensor widened(const at::Tensor& x, const Columns& cols) {
  const int64_t W = static_cast<int64_t>(cols.frac.size());
  auto idx = [&](const std::vector<int64_t>& v) { return at::tensor(v, at::TensorOptions().dtype(at::kLong)).to(x.device()); };
  at::Tensor f = at::tensor(cols.frac, at::TensorOptions().dtype(at::kFloat)).to(x.device()).view({1, W, 1});
  at::Tensor a = x.index_select(1, idx(cols.left));
  at::Tensor b = x.index_select(1, idx(cols.right));
  return (a + (b - a) * f).reshape({-1, x.size(2)});
}

/** The same outputs from ATen's reductions (tensors not on the CPU). */
gmm::Tensors atenScores(const at::Tensor& L3, const at::Tensor* S3, const Columns& cols) {
  const at::Tensor L = widened(L3, cols);
  auto mx = at::max(L, 1);
  const at::Tensor& m = std::get<0>(mx);
  at::Tensor lse = at::logsumexp(L, 1);
  gmm::Tensors out = {std::get<1>(mx).to(at::kInt), -m, -lse, -at::exp(m - lse)};
  if (S3) out.push_back(-std::get<0>(at::max(widened(*S3, cols), 1)));
  return out;
}

}  // namespace

GMM_OP(PixelScores, "width:int") {
  gmm::require(in.size() == 1 || in.size() == 2, "PixelScores: expects logits and optionally class log-likelihoods");
  const at::Tensor L = in[0].contiguous();
  gmm::require(L.dim() == 3 && L.size(2) >= 1 && L.scalar_type() == at::kFloat,
               "PixelScores: logits must be float32 [R, w, C] with C ≥ 1");
  at::Tensor S;
  if (in.size() == 2) {
    S = in[1].contiguous();
    gmm::require(S.sizes() == L.sizes() && S.scalar_type() == at::kFloat,
                 "PixelScores: class log-likelihoods must be float32 of the logits' shape");
  }
  const int64_t W = a.i("width");
  gmm::require(W >= 1 && L.size(1) >= 1, "PixelScores: width and the maps' width must be ≥ 1");
  const Columns cols = columns(L.size(1), W);
  if (!L.is_cpu()) return atenScores(L, S.defined() ? &S : nullptr, cols);
  const int64_t n = L.size(0) * W;
  gmm::Tensors out = {at::empty({n}, gmm::opts(at::kInt)), at::empty({n}, gmm::opts(at::kFloat)),
                      at::empty({n}, gmm::opts(at::kFloat)), at::empty({n}, gmm::opts(at::kFloat))};
  if (S.defined()) out.push_back(at::empty({n}, gmm::opts(at::kFloat)));
  const Maps maps{L.data_ptr<float>(), S.defined() ? S.data_ptr<float>() : nullptr, L.size(1), L.size(2), W};
  const Outs outs{out[0].data_ptr<int32_t>(), out[1].data_ptr<float>(), out[2].data_ptr<float>(),
                  out[3].data_ptr<float>(), S.defined() ? out[4].data_ptr<float>() : nullptr};
  const int64_t grain = std::max<int64_t>(1, 4096 / W);
  at::parallel_for(0, L.size(0), grain, [&](int64_t r0, int64_t r1) { scoreRows(maps, cols, outs, r0, r1); });
  return out;
}

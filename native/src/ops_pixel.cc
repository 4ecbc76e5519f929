// PixelScores: the per-pixel half of prediction in one pass over a band of maps (the torch engine's implementation of
// src/engine/pixel-scores.ts, which documents the outputs; src/engine/kernels/pixel-scores.ts is the same loop for
// the other engines). Inputs: logits [R, w, C] float32 and, for the GMM head, class log-likelihoods [R, w, C];
// attribute `width` W: the maps' columns are first upsampled to W (bilinear, half-pixel centres, edges clamped: the
// column half of tf.image.resizeBilinear(x, size, false, true); W = w leaves them as they are). Outputs, each [R·W]:
// the argmax class (int32, first maximum), −max logit, energy −logsumexp, −max softmax and, with the likelihoods,
// −max log-likelihood. One read of every value instead of a full-width resize and eight passes (max, argmax,
// subtract, exp, sum, log, add, exp) of the composite ops; exp in float (a polynomial, about one ulp), the softmax
// denominator accumulated in double, so results equal the composite ops up to float rounding. A NaN in a pixel's
// values makes its scores NaN and its class the first NaN's index (ATen's argmax). On the CPU the loop runs 8 pixels
// per step (pixel_lanes.cc; AVX2 where the CPU has it), the same bits as the one-pixel loop of pixel_scores.h, which
// attribute `scalar` (tests) selects. Tensors on another device than the CPU take ATen's own ops.
#include <ATen/Parallel.h>

#include <algorithm>
#include <vector>

#include "common.h"
#include "pixel_scores.h"

namespace {

using gmm::pixel::Columns;

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

GMM_OP(PixelScores, "width:int,scalar?:bool") {
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
  const Columns cols = gmm::pixel::columns(L.size(1), W);
  if (!L.is_cpu()) return atenScores(L, S.defined() ? &S : nullptr, cols);
  const int64_t n = L.size(0) * W;
  gmm::Tensors out = {at::empty({n}, gmm::opts(at::kInt)), at::empty({n}, gmm::opts(at::kFloat)),
                      at::empty({n}, gmm::opts(at::kFloat)), at::empty({n}, gmm::opts(at::kFloat))};
  if (S.defined()) out.push_back(at::empty({n}, gmm::opts(at::kFloat)));
  const gmm::pixel::Maps maps{L.data_ptr<float>(), S.defined() ? S.data_ptr<float>() : nullptr, L.size(1), L.size(2), W};
  const gmm::pixel::Outs outs{out[0].data_ptr<int32_t>(), out[1].data_ptr<float>(), out[2].data_ptr<float>(),
                              out[3].data_ptr<float>(), S.defined() ? out[4].data_ptr<float>() : nullptr};
  const int64_t grain = std::max<int64_t>(1, 4096 / W);
  const bool scalar = a.has("scalar") && a.b("scalar");
  at::parallel_for(0, L.size(0), grain, [&](int64_t r0, int64_t r1) {
    if (scalar)
      gmm::pixel::scoreRowsScalar(maps, cols, outs, r0, r1);
    else
      gmm::pixel::scoreRowsVector(maps, cols, outs, r0, r1);
  });
  return out;
}

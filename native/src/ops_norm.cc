// Batch normalisation with given statistics (tfjs FusedBatchNorm): (x − mean) · scale / sqrt(variance + ε) + offset.
#include "common.h"

namespace {

/** Whether `p`'s shape broadcasts into `x`'s (NumPy rules, without growing x). */
bool broadcastsInto(const at::Tensor& p, const at::Tensor& x) {
  if (p.dim() > x.dim()) return false;
  for (int64_t i = 1; i <= p.dim(); i++)
    if (p.size(-i) != 1 && p.size(-i) != x.size(-i)) return false;
  return true;
}

/**
 * Applies `op(view, param)` in place on `out`: broadcasting when the parameter's shape broadcasts into x's, else
 * tfjs cpu's rule of cycling the parameter's values over x's flat index (x viewed as [-1, L]).
 */
template <typename Op>
void apply(at::Tensor& out, const at::Tensor& p, Op op) {
  if (broadcastsInto(p, out)) {
    op(out, p);
    return;
  }
  int64_t l = p.numel();
  gmm::require(l > 0 && out.numel() % l == 0, "FusedBatchNorm: a parameter of " + std::to_string(l) + " values does not broadcast to x");
  at::Tensor v = out.view({-1, l});
  op(v, p.reshape({l}));
}

}  // namespace

/** FusedBatchNorm: in = [x, mean, variance, offset?, scale?] (attrs hasOffset, hasScale), varianceEpsilon. */
GMM_OP(FusedBatchNorm, "hasOffset:bool,hasScale:bool,varianceEpsilon?:float") {
  size_t k = 3;
  at::Tensor offset = a.b("hasOffset") ? in.at(k++) : at::Tensor();
  at::Tensor scale = a.b("hasScale") ? in.at(k++) : at::Tensor();
  double eps = a.has("varianceEpsilon") ? a.f("varianceEpsilon") : 0.001;
  at::Tensor out = in[0].clone(at::MemoryFormat::Contiguous);
  apply(out, in[1], [](at::Tensor& o, const at::Tensor& m) { o.sub_(m); });
  apply(out, at::rsqrt(in[2] + eps), [](at::Tensor& o, const at::Tensor& r) { o.mul_(r); });
  if (scale.defined()) apply(out, scale, [](at::Tensor& o, const at::Tensor& s) { o.mul_(s); });
  if (offset.defined()) apply(out, offset, [](at::Tensor& o, const at::Tensor& b) { o.add_(b); });
  return {out};
}

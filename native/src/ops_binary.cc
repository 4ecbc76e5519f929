// Elementwise binary kernels with NumPy/tfjs broadcasting, with the tfjs cpu backend's semantics: the output dtype is
// the inputs' common dtype (tfjs's upcastType equals ATen's promotion on float32/int32/bool), comparisons and logical
// ops give bool, int32 arithmetic stays int32 (division-like results truncated as an Int32Array store truncates).
#include <limits>

#include "common.h"

namespace {

/** JavaScript's ToInt32 of float values: truncation toward zero, NaN/±Inf → 0, wrap modulo 2^32 (fmod is exact). */
at::Tensor jsInt32(const at::Tensor& x) {
  if (!x.is_floating_point()) return x.scalar_type() == at::kInt ? x : x.to(at::kInt);
  at::Tensor t = at::nan_to_num(x, 0.0, 0.0, 0.0);
  t = at::fmod(t, 4294967296.0);
  return t.to(at::kLong).to(at::kInt);
}

bool integral(const at::Tensor& a, const at::Tensor& b) { return !a.is_floating_point() && !b.is_floating_point(); }

at::Tensor asDouble(const at::Tensor& t) { return t.to(at::kDouble); }

}  // namespace

GMM_OP(Add) { return {at::add(in[0], in[1])}; }
GMM_OP(Sub) { return {at::sub(in[0], in[1])}; }
GMM_OP(Multiply) { return {at::mul(in[0], in[1])}; }
// a / b; int32 / int32 stays int32 (truncated quotient, x/0 → 0) like the cpu kernel (tf.div sends int32 to FloorDiv).
GMM_OP(RealDiv) {
  if (integral(in[0], in[1])) return {jsInt32(at::div(asDouble(in[0]), asDouble(in[1])))};
  return {at::div(in[0], in[1])};
}
// floor(a / b) computed in float64, int32 out for every input dtype (the cpu kernel's output dtype).
GMM_OP(FloorDiv) { return {jsInt32(at::floor(at::div(asDouble(in[0]), asDouble(in[1]))))}; }
// The cpu kernel: r = a % b (JavaScript's remainder, fmod, exact); where a and b have different signs, (r + b) % b.
// That is r + b where r ≠ 0, r where r = 0, and NaN where b = ±Inf (Inf % Inf). int32 % 0 → 0 (NaN stored).
GMM_OP(Mod) {
  const at::Tensor &a0 = in[0], &b0 = in[1];
  if (integral(a0, b0)) {
    at::Tensor ai = a0.to(at::kInt), bi = b0.to(at::kInt);
    at::Tensor zero = at::eq(bi, 0);
    at::Tensor bs = at::where(zero, at::scalar_tensor(1, bi.options()), bi);
    at::Tensor r = at::fmod(ai, bs);
    r = at::where(at::logical_and(at::ne(r, 0), at::ne(at::lt(ai, 0), at::lt(bs, 0))), at::add(r, bs), r);
    return {at::where(zero, at::scalar_tensor(0, r.options()), r)};
  }
  at::Tensor r = at::fmod(a0, b0);
  at::Tensor differ = at::ne(at::lt(a0, 0), at::lt(b0, 0));
  r = at::where(at::logical_and(differ, at::ne(r, 0)), at::add(r, b0), r);
  at::Tensor nan = at::scalar_tensor(std::numeric_limits<double>::quiet_NaN(), r.options());
  return {at::where(at::logical_and(differ, at::isinf(b0)), nan, r)};
}
// Math.pow semantics: like C's pow except that pow(±1, NaN or ±Inf) is NaN. int32 ** int32 is computed in float64 and
// truncated (2 ** −1 → 0) like the cpu kernel; ATen refuses negative integer exponents.
GMM_OP(Pow) {
  const at::Tensor &x = in[0], &y = in[1];
  if (integral(x, y)) return {jsInt32(at::pow(asDouble(x), asDouble(y)))};
  at::Tensor r = at::pow(x, y);
  if (!y.is_floating_point()) return {r};
  at::Tensor bad = at::logical_not(at::isfinite(y));
  // A small exponent on the CPU (the usual scalar) is checked first, so the common case costs no extra pass.
  if (y.numel() <= 64 && y.device().is_cpu() && !bad.any().item<bool>()) return {r};
  at::Tensor one = at::eq(at::abs(x), 1);
  return {at::where(at::logical_and(bad, one), at::scalar_tensor(std::numeric_limits<double>::quiet_NaN(), r.options()), r)};
}
GMM_OP(Maximum) { return {at::maximum(in[0], in[1])}; }
GMM_OP(Minimum) { return {at::minimum(in[0], in[1])}; }
GMM_OP(SquaredDifference) { return {at::sub(in[0], in[1]).square_()}; }
GMM_OP(Atan2) {
  if (integral(in[0], in[1])) return {jsInt32(at::atan2(asDouble(in[0]), asDouble(in[1])))};
  return {at::atan2(in[0], in[1])};
}

GMM_OP(Equal) { return {at::eq(in[0], in[1])}; }
GMM_OP(NotEqual) { return {at::ne(in[0], in[1])}; }
GMM_OP(Less) { return {at::lt(in[0], in[1])}; }
GMM_OP(LessEqual) { return {at::le(in[0], in[1])}; }
GMM_OP(Greater) { return {at::gt(in[0], in[1])}; }
GMM_OP(GreaterEqual) { return {at::ge(in[0], in[1])}; }
GMM_OP(LogicalAnd) { return {at::logical_and(in[0], in[1])}; }
GMM_OP(LogicalOr) { return {at::logical_or(in[0], in[1])}; }

// Select(condition, t, e): t where condition else e. A rank-1 condition with higher-rank t picks whole rows (tfjs).
GMM_OP(Select) {
  at::Tensor c = in[0];
  const at::Tensor &t = in[1], &e = in[2];
  if (c.scalar_type() != at::kBool) c = at::eq(c, 1);  // the cpu kernel tests `=== 1`
  if (c.dim() == 1 && t.dim() > 1) {
    gmm::require(c.size(0) == t.size(0), "Select: rank-1 condition must match t's first dimension");
    std::vector<int64_t> shape(t.dim(), 1);
    shape[0] = c.size(0);
    c = c.view(shape);
  }
  return {at::where(c, t, e)};
}

// AddN(x0, x1, …): all inputs have the same shape and dtype; one output allocation.
GMM_OP(AddN) {
  gmm::require(!in.empty(), "AddN: needs at least one input");
  if (in.size() == 1) return {in[0]};
  at::Tensor out = at::add(in[0], in[1]);
  for (size_t j = 2; j < in.size(); j++) out.add_(in[j]);
  return {out};
}

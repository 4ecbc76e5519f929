// Elementwise unary kernels (one ATen call each where ATen has the op), with the tfjs cpu backend's semantics:
// float math on an int32 input keeps int32 (the value truncated as an Int32Array store truncates), NaN propagates
// where JavaScript's Math functions propagate it, Round is half to even, Cast to int32 truncates toward zero.
#include <limits>

#include "common.h"

namespace {

using gmm::Tensors;

/**
 * JavaScript's ToInt32 (what storing a number into an Int32Array does): truncation toward zero, NaN and ±Inf → 0,
 * values outside the int32 range wrapped modulo 2^32. fmod is exact, so the wrap is exact for every float.
 */
at::Tensor jsInt32(const at::Tensor& x) {
  if (!x.is_floating_point()) return x.scalar_type() == at::kInt ? x : x.to(at::kInt);
  at::Tensor t = at::nan_to_num(x, 0.0, 0.0, 0.0);
  t = at::fmod(t, 4294967296.0);
  return t.to(at::kLong).to(at::kInt);
}

/**
 * Floating-point math `f` with the cpu backend's dtype rule: float in → float out; int32/bool in → int32 out, computed
 * in float64 as JavaScript does before truncating (tanh(9) is 1 in float32 but 0.99999997 → 0 in float64).
 */
template <typename F>
at::Tensor floatMath(const at::Tensor& x, F f) {
  if (x.is_floating_point()) return f(x);
  return jsInt32(f(x.to(at::kDouble)));
}

/** A 0-dim tensor of `v` with x's dtype on x's device (for at::where). */
at::Tensor scalarLike(const at::Tensor& x, double v) { return at::scalar_tensor(v, x.options()); }

}  // namespace

// ---- math (float results; int32 inputs truncated back to int32 like the cpu backend) ----
#define GMM_FLOAT_UNARY(Name, expr) \
  GMM_OP(Name) { return {floatMath(in[0], [](const at::Tensor& x) { return expr; })}; }

GMM_FLOAT_UNARY(Expm1, at::expm1(x))
GMM_FLOAT_UNARY(Log, at::log(x))
GMM_FLOAT_UNARY(Log1p, at::log1p(x))
GMM_FLOAT_UNARY(Sqrt, at::sqrt(x))
GMM_FLOAT_UNARY(Rsqrt, at::rsqrt(x))
GMM_FLOAT_UNARY(Reciprocal, at::reciprocal(x))
GMM_FLOAT_UNARY(Sin, at::sin(x))
GMM_FLOAT_UNARY(Cos, at::cos(x))
GMM_FLOAT_UNARY(Tan, at::tan(x))
GMM_FLOAT_UNARY(Asin, at::asin(x))
GMM_FLOAT_UNARY(Acos, at::acos(x))
GMM_FLOAT_UNARY(Atan, at::atan(x))
GMM_FLOAT_UNARY(Sinh, at::sinh(x))
GMM_FLOAT_UNARY(Cosh, at::cosh(x))
GMM_FLOAT_UNARY(Tanh, at::tanh(x))
GMM_FLOAT_UNARY(Asinh, at::asinh(x))
GMM_FLOAT_UNARY(Acosh, at::acosh(x))
GMM_FLOAT_UNARY(Atanh, at::atanh(x))
GMM_FLOAT_UNARY(Erf, at::erf(x))
GMM_FLOAT_UNARY(Sigmoid, at::sigmoid(x))
// tfjs: x > 13.9 → x, x < −13.9 → exp(x), else log(1 + exp(x)); ATen's log1p(exp(x)) (x ≤ 20) agrees to float32
// precision on the whole range.
GMM_FLOAT_UNARY(Softplus, at::softplus(x, 1, 20))
// tfjs: x ≥ 0 ? x : exp(x) − 1 (the same at 0).
GMM_FLOAT_UNARY(Elu, at::elu(x))
// ATen's constants are tfjs's (SELU_SCALE = 1.0507…, SELU_SCALEALPHA = scale·1.6732…).
GMM_FLOAT_UNARY(Selu, at::selu(x))

// Exp is the one math kernel whose cpu output is float32 for every input dtype.
GMM_OP(Exp) { return {at::exp(in[0].is_floating_point() ? in[0] : in[0].to(at::kFloat))}; }

// ---- sign, magnitude, rounding (dtype kept) ----
GMM_OP(Abs) { return {in[0].scalar_type() == at::kBool ? in[0] : at::abs(in[0])}; }
GMM_OP(Neg) { return {at::neg(in[0].scalar_type() == at::kBool ? in[0].to(at::kInt) : in[0])}; }
GMM_OP(Square) { return {in[0].scalar_type() == at::kBool ? in[0] : at::square(in[0])}; }
// tfjs: x < 0 → −1, x > 0 → 1, otherwise (0 and NaN) 0.
GMM_OP(Sign) {
  const at::Tensor& x = in[0];
  if (x.scalar_type() == at::kBool) return {x};
  if (!x.is_floating_point()) return {at::sign(x)};
  return {at::sub(at::gt(x, 0).to(x.scalar_type()), at::lt(x, 0).to(x.scalar_type()))};
}
GMM_OP(Floor) { return {in[0].is_floating_point() ? at::floor(in[0]) : in[0]}; }
GMM_OP(Ceil) { return {in[0].is_floating_point() ? at::ceil(in[0]) : in[0]}; }
// ATen's round is half to even, like tfjs's (banker's rounding).
GMM_OP(Round) { return {in[0].is_floating_point() ? at::round(in[0]) : in[0]}; }

// ---- activations ----
GMM_OP(Relu) { return {at::relu(in[0].scalar_type() == at::kBool ? in[0].to(at::kInt) : in[0])}; }
// min(max(0, x), 6) with NaN propagating (ATen's clamp propagates NaN).
GMM_OP(Relu6) { return {at::clamp(in[0].scalar_type() == at::kBool ? in[0].to(at::kInt) : in[0], 0, 6)}; }
// tfjs: NaN → NaN, x > 0 → 1, else alpha. clamp(x, 1, 1) is 1 for every number and NaN for NaN.
GMM_OP(Step, "alpha:float") {
  const at::Tensor& x = in[0];
  double alpha = a.f("alpha");
  if (!x.is_floating_point()) {
    at::Tensor xi = x.to(at::kInt);
    return {at::where(at::gt(xi, 0), scalarLike(xi, 1), scalarLike(xi, static_cast<double>(static_cast<int32_t>(alpha))))};
  }
  // The relu gradient's case (alpha 0): ceil(clamp(x, 0, 1)) is 0 for x ≤ 0, 1 for x > 0, NaN for NaN.
  if (alpha == 0) return {at::clamp(x, 0, 1).ceil_()};
  return {at::where(at::le(x, 0), scalarLike(x, alpha), at::clamp(x, 1, 1))};
}
GMM_OP(LeakyRelu, "alpha:float") {
  at::Tensor x = in[0].is_floating_point() ? in[0] : in[0].to(at::kFloat);
  return {at::leaky_relu(x, a.f("alpha"))};
}
// Prelu(x, alpha): x < 0 ? alpha·x : x, alpha broadcast against x; float32 out.
GMM_OP(Prelu) {
  at::Tensor x = in[0].is_floating_point() ? in[0] : in[0].to(at::kFloat);
  at::Tensor al = in[1].is_floating_point() ? in[1] : in[1].to(at::kFloat);
  return {at::where(at::lt(x, 0), at::mul(x, al), x)};
}
// EluGrad(dy, y): y ≥ 0 ? dy : dy·(y + 1).
GMM_OP(EluGrad) {
  const at::Tensor& dy = in[0];
  const at::Tensor& y = in[1];
  return {at::where(at::ge(y, 0), dy, at::mul(dy, at::add(y, 1))).to(at::kFloat)};
}
GMM_OP(ClipByValue, "clipValueMin:float,clipValueMax:float") {
  const at::Tensor& x = in[0];
  double lo = a.f("clipValueMin"), hi = a.f("clipValueMax");
  if (x.is_floating_point()) return {at::clamp(x, lo, hi)};
  // tfjs compares the int values with the float bounds and stores the bound truncated.
  return {jsInt32(at::clamp(x.to(at::kDouble), lo, hi))};
}

// ---- predicates (bool out) ----
GMM_OP(IsFinite) { return {at::isfinite(in[0])}; }
GMM_OP(IsNan) { return {at::isnan(in[0])}; }
GMM_OP(IsInf) { return {at::isinf(in[0])}; }
GMM_OP(LogicalNot) { return {at::logical_not(in[0])}; }

// ---- dtype and constants ----
// Cast(dtype): float → int32 truncates toward zero (NaN/±Inf → 0, like an Int32Array store); → bool is x ≠ 0.
GMM_OP(Cast, "dtype:string") {
  const at::Tensor& x = in[0];
  const at::ScalarType d = gmm::dtypeOf(a.s("dtype"));
  if (d == at::kFloat) return {x.scalar_type() == at::kFloat ? x : x.to(at::kFloat)};
  if (d == at::kInt) return {jsInt32(x)};
  return {x.scalar_type() == at::kBool ? x : at::ne(x, 0)};
}
GMM_OP(ZerosLike) { return {at::zeros_like(in[0])}; }
GMM_OP(OnesLike) { return {at::ones_like(in[0])}; }

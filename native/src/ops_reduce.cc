// Reductions, arg-reductions, softmax, cumulative sums/products and top-k, with the tfjs cpu backend's semantics.
// The TypeScript side (src/engine/torch/kernels/reduce.ts) normalises `axis` to a sorted list of non-negative,
// distinct axes (an empty list reduces nothing), so ATen never sees tfjs's null/negative forms. Sum/Prod/Cumsum of
// int32 or bool give int32; Max/Min keep the dtype and propagate NaN; an empty reduction gives what the cpu kernels
// give (Sum 0, Mean 0, Prod 1, Max/Min NaN for float and 0 otherwise, Any/All false, ArgMax/ArgMin 0).
#include <limits>

#include "common.h"

/** Attributes of the reductions: sorted, distinct, non-negative axes; keepDims (absent = false). */
#define GMM_REDUCTION "axis:int[],keepDims?:bool"
/** Attributes of Cumsum/Cumprod: the axis; exclusive and reverse (absent = false). */
#define GMM_CUMULATIVE "axis:int,exclusive?:bool,reverse?:bool"

namespace {

using gmm::Attrs;
using gmm::Tensors;

struct Reduction {
  std::vector<int64_t> axes;
  bool keepDims;
  /** Output shape (keepDims applied) and the number of elements each output reduces. */
  std::vector<int64_t> outShape;
  int64_t reduceSize = 1;
};

Reduction parse(const at::Tensor& x, const Attrs& a) {
  Reduction r{a.iv("axis"), a.has("keepDims") && a.b("keepDims"), {}, 1};
  std::vector<bool> reduced(x.dim(), false);
  for (int64_t ax : r.axes) {
    gmm::require(ax >= 0 && ax < x.dim(), "reduction axis " + std::to_string(ax) + " out of range for rank " + std::to_string(x.dim()));
    reduced[ax] = true;
    r.reduceSize *= x.size(ax);
  }
  for (int64_t d = 0; d < x.dim(); d++) {
    if (!reduced[d]) r.outShape.push_back(x.size(d));
    else if (r.keepDims) r.outShape.push_back(1);
  }
  return r;
}

/** x with nothing reduced (an empty axis list): the values, in `dtype`. */
at::Tensor unreduced(const at::Tensor& x, at::ScalarType dtype) { return x.scalar_type() == dtype ? x : x.to(dtype); }

/** int32 for int32/bool, else the dtype (tfjs's upcastType(dtype, 'int32')). */
at::ScalarType sumType(const at::Tensor& x) { return x.is_floating_point() ? x.scalar_type() : at::kInt; }

/** Reduces `axes` one at a time (for ATen reductions that take a single dim), highest first. */
template <typename F>
at::Tensor eachAxis(at::Tensor x, const Reduction& r, F f) {
  for (auto it = r.axes.rbegin(); it != r.axes.rend(); ++it) x = f(x, *it, r.keepDims);
  return x;
}

/** A tensor of `outShape` filled with `v` in `dtype`. */
at::Tensor filled(const Reduction& r, double v, at::ScalarType dtype) { return at::full(r.outShape, v, gmm::opts(dtype)); }

/** The axis attribute of a single-axis kernel (already non-negative). */
int64_t oneAxis(const at::Tensor& x, const Attrs& a, const char* key) {
  int64_t ax = a.i(key);
  if (ax < 0) ax += x.dim();
  gmm::require(ax >= 0 && ax < std::max<int64_t>(x.dim(), 1), std::string(key) + " out of range");
  return ax;
}

/**
 * Arg-reduction with the cpu kernel's NaN rule: the first element wins unless a later one is strictly greater (less);
 * NaN never compares, so a NaN counts only in position 0. ATen's argmax/argmin propagate NaN (they pick a NaN), so a
 * NaN among the picked values (an output-sized check, no pass over x) says NaN is present; then NaN is replaced by
 * −Inf (+Inf) and position 0 is restored where it held a NaN.
 */
at::Tensor argReduce(const at::Tensor& x0, int64_t axis, bool isMax) {
  at::Tensor x = x0.scalar_type() == at::kBool ? x0.to(at::kInt) : x0;
  if (x.dim() == 0) return at::zeros({}, gmm::opts(at::kInt));
  if (x.size(axis) == 0) {
    std::vector<int64_t> shape = x.sizes().vec();
    shape.erase(shape.begin() + axis);
    return at::zeros(shape, gmm::opts(at::kInt));
  }
  auto arg = [&](const at::Tensor& t) { return isMax ? at::argmax(t, axis) : at::argmin(t, axis); };
  at::Tensor idx0 = arg(x);
  if (!x.is_floating_point()) return idx0;
  if (!at::isnan(at::gather(x, axis, idx0.unsqueeze(axis))).any().item<bool>()) return idx0;
  at::Tensor nan = at::isnan(x);
  double fill = isMax ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
  at::Tensor idx = arg(at::masked_fill(x, nan, fill));
  return at::where(nan.select(axis, 0), at::zeros({}, idx.options()), idx);
}

/** Cumulative op along `axis` with tfjs's `exclusive` (shifted by one, starting at the identity) and `reverse`. */
template <typename F>
at::Tensor cumulative(const at::Tensor& x0, const Attrs& a, double identity, F f) {
  at::Tensor x = x0.is_floating_point() ? x0 : x0.to(at::kInt);
  if (x.dim() == 0) return x;
  int64_t axis = oneAxis(x, a, "axis");
  bool exclusive = a.has("exclusive") && a.b("exclusive");
  bool reverse = a.has("reverse") && a.b("reverse");
  int64_t n = x.size(axis);
  if (n == 0) return x;
  if (reverse) x = at::flip(x, {axis});
  at::Tensor y;
  if (exclusive) {
    std::vector<int64_t> first = x.sizes().vec();
    first[axis] = 1;
    at::Tensor head = at::full(first, identity, x.options());
    y = n == 1 ? head : at::cat({head, f(x.narrow(axis, 0, n - 1), axis)}, axis);
  } else {
    y = f(x, axis);
  }
  if (reverse) y = at::flip(y, {axis});
  return y.scalar_type() == x.scalar_type() ? y : y.to(x.scalar_type());
}

}  // namespace

GMM_OP(Sum, GMM_REDUCTION) {
  const at::Tensor& x = in[0];
  Reduction r = parse(x, a);
  if (r.axes.empty()) return {unreduced(x, sumType(x))};
  at::Tensor y = at::sum(x, r.axes, r.keepDims);
  return {y.scalar_type() == sumType(x) ? y : y.to(sumType(x))};
}

// Mean: float32 out for every input dtype; mean over an empty axis is 0 (the cpu kernel sums x / 0 over nothing).
GMM_OP(Mean, GMM_REDUCTION) {
  at::Tensor x = in[0].is_floating_point() ? in[0] : in[0].to(at::kFloat);
  Reduction r = parse(x, a);
  if (r.axes.empty()) return {x};
  if (r.reduceSize == 0) return {filled(r, 0, x.scalar_type())};
  return {at::mean(x, r.axes, r.keepDims)};
}

// Max(reductionIndices, keepDims) / Min(axis, keepDims): the dtype is kept, NaN propagates (ATen's amax/amin do).
static at::Tensor extremum(const at::Tensor& x0, const Reduction& r, bool isMax) {
  at::Tensor x = x0;
  at::ScalarType dt = x.scalar_type();
  if (r.axes.empty()) return x;
  if (r.reduceSize == 0) return filled(r, x.is_floating_point() ? std::numeric_limits<double>::quiet_NaN() : 0, dt);
  if (dt == at::kBool) x = x.to(at::kInt);
  at::Tensor y = isMax ? at::amax(x, r.axes, r.keepDims) : at::amin(x, r.axes, r.keepDims);
  return y.scalar_type() == dt ? y : y.to(dt);
}
GMM_OP(Max, GMM_REDUCTION) { return {extremum(in[0], parse(in[0], a), true)}; }
GMM_OP(Min, GMM_REDUCTION) { return {extremum(in[0], parse(in[0], a), false)}; }

GMM_OP(Prod, GMM_REDUCTION) {
  at::Tensor x = in[0].scalar_type() == at::kBool ? in[0].to(at::kInt) : in[0];
  Reduction r = parse(x, a);
  if (r.axes.empty()) return {x};
  at::ScalarType dt = x.scalar_type();
  at::Tensor y = eachAxis(x, r, [dt](const at::Tensor& t, int64_t ax, bool keep) { return at::prod(t, ax, keep, dt); });
  return {y};
}

// Any/All on bool tensors: bool out; over an empty axis both are false (the cpu kernels start from x[0]).
static at::Tensor logicalReduce(const at::Tensor& x0, const Reduction& r, bool isAll) {
  at::Tensor x = x0.scalar_type() == at::kBool ? x0 : at::ne(x0, 0);
  if (r.axes.empty()) return x;
  if (r.reduceSize == 0) return filled(r, 0, at::kBool);
  if (static_cast<int64_t>(r.axes.size()) == x.dim()) {
    at::Tensor y = isAll ? at::all(x) : at::any(x);
    return y.reshape(r.outShape);
  }
  return eachAxis(x, r, [isAll](const at::Tensor& t, int64_t ax, bool keep) { return isAll ? at::all(t, ax, keep) : at::any(t, ax, keep); });
}
GMM_OP(Any, GMM_REDUCTION) { return {logicalReduce(in[0], parse(in[0], a), false)}; }
GMM_OP(All, GMM_REDUCTION) { return {logicalReduce(in[0], parse(in[0], a), true)}; }

// ArgMax/ArgMin(axis): int32 indices; ties → the first index (ATen's argmax/argmin return the first too).
GMM_OP(ArgMax, "axis:int") { return {argReduce(in[0], oneAxis(in[0], a, "axis"), true)}; }
GMM_OP(ArgMin, "axis:int") { return {argReduce(in[0], oneAxis(in[0], a, "axis"), false)}; }

// Softmax(dim) over logits; float32 out.
GMM_OP(Softmax, "dim:int") {
  at::Tensor x = in[0].is_floating_point() ? in[0] : in[0].to(at::kFloat);
  if (x.dim() == 0) return {at::ones_like(x)};
  return {at::softmax(x, oneAxis(x, a, "dim"))};
}

// Cumsum/Cumprod(axis, exclusive, reverse); int32/bool inputs give int32.
GMM_OP(Cumsum, GMM_CUMULATIVE) {
  return {cumulative(in[0], a, 0, [](const at::Tensor& t, int64_t ax) { return at::cumsum(t, ax, t.scalar_type()); })};
}
GMM_OP(Cumprod, GMM_CUMULATIVE) {
  return {cumulative(in[0], a, 1, [](const at::Tensor& t, int64_t ax) { return at::cumprod(t, ax, t.scalar_type()); })};
}

// TopK(k, sorted) along the last axis: values (x's dtype) and int32 indices, largest first, ties → lower index first
// (a stable descending sort gives exactly tfjs's order; tfjs's unsorted order is unspecified, so it is sorted too).
GMM_OP(TopK, "k:int") {
  const at::Tensor& x = in[0];
  gmm::require(x.dim() >= 1, "TopK: input must have rank ≥ 1");
  int64_t k = a.i("k");
  int64_t n = x.size(-1);
  gmm::require(k >= 0 && k <= n, "TopK: k must be in [0, " + std::to_string(n) + "], got " + std::to_string(k));
  at::Tensor xs = x.scalar_type() == at::kBool ? x.to(at::kInt) : x;
  auto sorted = at::sort(xs, /*stable=*/true, /*dim=*/-1, /*descending=*/true);
  at::Tensor values = std::get<0>(sorted).narrow(-1, 0, k);
  at::Tensor indices = std::get<1>(sorted).narrow(-1, 0, k);
  if (k < n) {
    values = values.contiguous();
    indices = indices.contiguous();
  }
  return {values.scalar_type() == x.scalar_type() ? values : values.to(x.scalar_type()), indices.to(at::kInt)};
}

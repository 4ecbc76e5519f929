// Image kernels: bilinear and nearest-neighbour resizing with their gradients (exact adjoints), max and average pooling
// with their gradients. Tensors are tfjs NHWC (= channels-last NCHW for libtorch, no copies).
//
// Resizing follows tfjs's cpu kernels exactly: for output index o, with ratio = effIn / effOut (effective sizes are
// size − 1 with alignCorners and an output larger than 1), the source is ratio·(o + ½) − ½ (halfPixelCenters) or
// ratio·o. libtorch's upsample_bilinear2d computes the same interpolation for alignCorners and for halfPixelCenters;
// tfjs's legacy mode (both false) and nearest-neighbour resizing are separable gathers (index_select) whose adjoints
// are index_add.
#include <cmath>

#include "common.h"

/** Attributes of the pool ops: window, stride and [top, bottom, left, right] pads (bottom/right may be negative). */
#define GMM_POOL_GEOMETRY "kernel:int[],stride:int[],pad:int[]"

namespace {

using gmm::Attrs;

constexpr auto kCL = at::MemoryFormat::ChannelsLast;

at::Tensor toNCHW(const at::Tensor& x) {
  gmm::require(x.dim() == 4, "image kernels need rank-4 NHWC tensors");
  return x.permute({0, 3, 1, 2}).contiguous(kCL);
}
at::Tensor toNHWC(const at::Tensor& y) { return y.permute({0, 2, 3, 1}).contiguous(); }

at::Tensor longIndex(const std::vector<int64_t>& v) {
  return at::tensor(at::IntArrayRef(v), at::TensorOptions().dtype(at::kLong)).to(gmm::device());
}

/** Ratio of tfjs's resize kernels along one axis. */
double resizeRatio(int64_t in, int64_t out, bool alignCorners) {
  bool ac = alignCorners && out > 1;
  return static_cast<double>(ac ? in - 1 : in) / static_cast<double>(ac ? out - 1 : out);
}

/** Bilinear taps along one axis: lower and upper source index and the upper weight, per output index (tfjs cpu). */
struct Taps {
  std::vector<int64_t> lo, hi;
  std::vector<float> frac;
};

Taps bilinearTaps(int64_t in, int64_t out, bool alignCorners, bool halfPixel) {
  double r = resizeRatio(in, out, alignCorners);
  Taps t;
  for (int64_t o = 0; o < out; o++) {
    double src = halfPixel ? r * (static_cast<double>(o) + 0.5) - 0.5 : r * static_cast<double>(o);
    int64_t lo = std::min<int64_t>(in - 1, std::max<int64_t>(0, static_cast<int64_t>(std::floor(src))));
    int64_t hi = std::min<int64_t>(in - 1, static_cast<int64_t>(std::ceil(src)));
    t.lo.push_back(lo);
    t.hi.push_back(std::max<int64_t>(hi, 0));
    t.frac.push_back(static_cast<float>(src - static_cast<double>(lo)));
  }
  return t;
}

/** Weight tensor shaped to broadcast along NHWC axis `dim` (1 or 2). */
at::Tensor axisWeights(const std::vector<float>& w, int64_t dim, at::ScalarType dtype) {
  std::vector<int64_t> shape{1, 1, 1, 1};
  shape[dim] = static_cast<int64_t>(w.size());
  return at::tensor(at::ArrayRef<float>(w), at::TensorOptions().dtype(at::kFloat)).to(gmm::device()).to(dtype).view(shape);
}

/** Linear interpolation along NHWC axis `dim`: x[lo]·(1 − f) + x[hi]·f, as tfjs: a + (b − a)·f. */
at::Tensor lerpAxis(const at::Tensor& x, const Taps& t, int64_t dim) {
  at::Tensor a = x.index_select(dim, longIndex(t.lo));
  at::Tensor b = x.index_select(dim, longIndex(t.hi));
  return a.add_((b - a).mul_(axisWeights(t.frac, dim, x.scalar_type())));
}

/** Adjoint of lerpAxis: g [.., out along dim, ..] → [.., in along dim, ..]. */
at::Tensor lerpAxisAdjoint(const at::Tensor& g, const Taps& t, int64_t dim, int64_t in) {
  std::vector<int64_t> shape(g.sizes().begin(), g.sizes().end());
  shape[dim] = in;
  at::Tensor f = axisWeights(t.frac, dim, g.scalar_type());
  at::Tensor out = at::zeros(shape, g.options());
  out.index_add_(dim, longIndex(t.lo), g - g * f);
  out.index_add_(dim, longIndex(t.hi), g * f);
  return out;
}

/** Nearest source index per output index (tfjs cpu ResizeNearestNeighbor). */
std::vector<int64_t> nearestTaps(int64_t in, int64_t out, bool alignCorners, bool halfPixel) {
  double r = resizeRatio(in, out, alignCorners);
  std::vector<int64_t> idx;
  for (int64_t o = 0; o < out; o++) {
    double src = halfPixel ? r * (static_cast<double>(o) + 0.5) : r * static_cast<double>(o);
    // JS Math.round rounds halves up (towards +inf).
    int64_t n = static_cast<int64_t>(alignCorners ? std::floor(src + 0.5) : std::floor(src));
    n = std::min<int64_t>(in - 1, n);
    if (halfPixel) n = std::max<int64_t>(0, n);
    idx.push_back(n);
  }
  return idx;
}

struct ResizeAttrs {
  int64_t oh, ow;
  bool alignCorners, halfPixel;
};

ResizeAttrs resizeAttrs(const Attrs& a, const char* sizeKey) {
  auto s = a.iv(sizeKey);
  gmm::require(s.size() >= 2, std::string("resize: ") + sizeKey + " needs 2 values");
  size_t o = s.size() == 4 ? 1 : 0;  // imageShape [N, H, W, C] or size [h, w]
  return {s[o], s[o + 1], a.b("alignCorners"), a.b("halfPixelCenters")};
}

/** Whether libtorch's upsample_bilinear2d computes tfjs's interpolation for these flags. */
bool torchBilinear(const ResizeAttrs& r) { return r.alignCorners != r.halfPixel; }

// ---- pooling ----

/** Pool geometry: kernel, stride, symmetric padding for libtorch and the residual for constant_pad_nd. */
struct Pool {
  std::vector<int64_t> kernel, stride, padding, residual, full;
  bool hasResidual() const {
    for (auto r : residual)
      if (r != 0) return true;
    return false;
  }
};

Pool pool(const Attrs& a) {
  Pool p;
  p.kernel = a.iv("kernel");
  p.stride = a.iv("stride");
  auto pad = a.iv("pad");  // top, bottom, left, right (bottom/right may be negative)
  gmm::require(p.kernel.size() == 2 && p.stride.size() == 2 && pad.size() == 4, "pool: kernel, stride need 2 and pad 4 values");
  auto sym = [](int64_t x, int64_t y, int64_t k) { return (x > 0 && y > 0) ? std::min({x, y, k / 2}) : int64_t{0}; };
  int64_t ph = sym(pad[0], pad[1], p.kernel[0]), pw = sym(pad[2], pad[3], p.kernel[1]);
  p.padding = {ph, pw};
  p.residual = {pad[2] - pw, pad[3] - pw, pad[0] - ph, pad[1] - ph};
  p.full = {pad[2], pad[3], pad[0], pad[1]};
  return p;
}

std::vector<int64_t> negated(const std::vector<int64_t>& v) {
  std::vector<int64_t> r;
  for (auto x : v) r.push_back(-x);
  return r;
}

const std::vector<int64_t> kOnes{1, 1};

/** Number of input pixels inside each window [1, 1, oh, ow] (tfjs's average excludes the padding). */
at::Tensor windowCounts(int64_t h, int64_t w, const Pool& p, at::ScalarType dtype) {
  at::Tensor ones = at::constant_pad_nd(at::ones({1, 1, h, w}, gmm::opts(dtype)), p.full, 0);
  return at::avg_pool2d(ones, p.kernel, p.stride, {0, 0}, false, true, 1);
}

}  // namespace

/** ResizeBilinear: in = [images]; attrs size [h, w], alignCorners, halfPixelCenters. */
GMM_OP(ResizeBilinear, "size:int[],alignCorners:bool,halfPixelCenters:bool") {
  ResizeAttrs r = resizeAttrs(a, "size");
  const at::Tensor& x = in[0];
  if (torchBilinear(r)) return {toNHWC(at::upsample_bilinear2d(toNCHW(x), std::vector<int64_t>{r.oh, r.ow}, r.alignCorners))};
  at::Tensor cols = lerpAxis(x, bilinearTaps(x.size(2), r.ow, r.alignCorners, r.halfPixel), 2);
  return {lerpAxis(cols, bilinearTaps(x.size(1), r.oh, r.alignCorners, r.halfPixel), 1).contiguous()};
}

/** ResizeBilinearGrad: in = [dy]; attrs imageShape [N, H, W, C], alignCorners, halfPixelCenters. The exact adjoint. */
GMM_OP(ResizeBilinearGrad, "imageShape:int[],alignCorners:bool,halfPixelCenters:bool") {
  auto shape = a.iv("imageShape");
  gmm::require(shape.size() == 4, "ResizeBilinearGrad: imageShape needs 4 values");
  const at::Tensor& dy = in[0];
  ResizeAttrs r{dy.size(1), dy.size(2), a.b("alignCorners"), a.b("halfPixelCenters")};
  if (torchBilinear(r)) {
    std::vector<int64_t> outSize{r.oh, r.ow}, inSize{shape[0], shape[3], shape[1], shape[2]};
    return {toNHWC(at::upsample_bilinear2d_backward(toNCHW(dy), outSize, inSize, r.alignCorners))};
  }
  at::Tensor rows = lerpAxisAdjoint(dy, bilinearTaps(shape[1], r.oh, r.alignCorners, r.halfPixel), 1, shape[1]);
  return {lerpAxisAdjoint(rows, bilinearTaps(shape[2], r.ow, r.alignCorners, r.halfPixel), 2, shape[2]).contiguous()};
}

/** ResizeNearestNeighbor: in = [images]; attrs size [h, w], alignCorners, halfPixelCenters. */
GMM_OP(ResizeNearestNeighbor, "size:int[],alignCorners:bool,halfPixelCenters:bool") {
  ResizeAttrs r = resizeAttrs(a, "size");
  const at::Tensor& x = in[0];
  gmm::require(x.dim() == 4, "ResizeNearestNeighbor: images must be rank 4");
  at::Tensor rows = x.index_select(1, longIndex(nearestTaps(x.size(1), r.oh, r.alignCorners, r.halfPixel)));
  return {rows.index_select(2, longIndex(nearestTaps(x.size(2), r.ow, r.alignCorners, r.halfPixel))).contiguous()};
}

/** ResizeNearestNeighborGrad: in = [dy]; attrs imageShape, alignCorners, halfPixelCenters. The exact adjoint. */
GMM_OP(ResizeNearestNeighborGrad, "imageShape:int[],alignCorners:bool,halfPixelCenters:bool") {
  auto shape = a.iv("imageShape");
  gmm::require(shape.size() == 4, "ResizeNearestNeighborGrad: imageShape needs 4 values");
  const at::Tensor& dy = in[0];
  bool ac = a.b("alignCorners"), hp = a.b("halfPixelCenters");
  at::Tensor rows = at::zeros({dy.size(0), shape[1], dy.size(2), dy.size(3)}, dy.options());
  rows.index_add_(1, longIndex(nearestTaps(shape[1], dy.size(1), ac, hp)), dy);
  at::Tensor out = at::zeros({dy.size(0), shape[1], shape[2], dy.size(3)}, dy.options());
  out.index_add_(2, longIndex(nearestTaps(shape[2], dy.size(2), ac, hp)), rows);
  return {out};
}

/** MaxPool: in = [x]; attrs kernel, stride, pad [t, b, l, r]. Padding never wins (−inf). */
GMM_OP(MaxPool, GMM_POOL_GEOMETRY) {
  Pool p = pool(a);
  at::Tensor x = toNCHW(in[0]);
  if (p.hasResidual()) x = at::constant_pad_nd(x, p.residual, -INFINITY).contiguous(kCL);
  return {toNHWC(at::max_pool2d(x, p.kernel, p.stride, p.padding, kOnes, false))};
}

/** MaxPoolGrad: in = [dy, x]; the gradient goes to the first maximum of each window (as tfjs). */
GMM_OP(MaxPoolGrad, GMM_POOL_GEOMETRY) {
  Pool p = pool(a);
  at::Tensor dy = toNCHW(in[0]);
  at::Tensor x = toNCHW(in[1]);
  if (p.hasResidual()) x = at::constant_pad_nd(x, p.residual, -INFINITY).contiguous(kCL);
  auto yi = at::max_pool2d_with_indices(x, p.kernel, p.stride, p.padding, kOnes, false);
  at::Tensor dx = at::max_pool2d_with_indices_backward(dy, x, p.kernel, p.stride, p.padding, kOnes, false, std::get<1>(yi));
  if (p.hasResidual()) dx = at::constant_pad_nd(dx, negated(p.residual), 0);
  return {toNHWC(dx)};
}

/** AvgPool: in = [x]; the mean over the window's pixels inside the input (padding not counted, as tfjs). */
GMM_OP(AvgPool, GMM_POOL_GEOMETRY) {
  Pool p = pool(a);
  at::Tensor x = toNCHW(in[0]);
  if (!p.hasResidual()) return {toNHWC(at::avg_pool2d(x, p.kernel, p.stride, p.padding, false, false))};
  at::Tensor sums = at::avg_pool2d(at::constant_pad_nd(x, p.full, 0).contiguous(kCL), p.kernel, p.stride, {0, 0}, false, true, 1);
  return {toNHWC(sums.div_(windowCounts(x.size(2), x.size(3), p, x.scalar_type())))};
}

/** AvgPoolGrad: in = [dy, x]; the exact adjoint of AvgPool (each window spreads dy / its pixel count). */
GMM_OP(AvgPoolGrad, GMM_POOL_GEOMETRY) {
  Pool p = pool(a);
  at::Tensor dy = toNCHW(in[0]);
  at::Tensor x = toNCHW(in[1]);
  if (!p.hasResidual()) return {toNHWC(at::avg_pool2d_backward(dy, x, p.kernel, p.stride, p.padding, false, false, {}))};
  int64_t h = x.size(2), w = x.size(3);
  at::Tensor shape = at::empty({x.size(0), x.size(1), h + p.full[2] + p.full[3], w + p.full[0] + p.full[1]}, x.options().memory_format(kCL));
  at::Tensor g = dy / windowCounts(h, w, p, x.scalar_type());
  at::Tensor dx = at::avg_pool2d_backward(g, shape, p.kernel, p.stride, {0, 0}, false, true, 1);
  return {toNHWC(at::constant_pad_nd(dx, negated(p.full), 0))};
}

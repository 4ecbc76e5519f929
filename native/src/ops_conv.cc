// 2-D convolutions (regular and depthwise): forward, fused forward (bias + activation), and both gradients.
//
// Layout: tfjs NHWC tensors are contiguous row-major, which is libtorch's channels-last layout of the NCHW tensor, so
// x.permute({0,3,1,2}) is a channels-last NCHW view (no copy), libtorch runs its channels-last kernels on it and
// returns channels-last results, whose permute({0,2,3,1}) is again a contiguous NHWC tensor (no copy). NCHW tensors
// (dataFormat 'NCHW') are used as they are.
//
// Geometry comes from TypeScript (tfjs's computeConv2DInfo): attrs stride [sh, sw], dilation [dh, dw] and pad
// [top, bottom, left, right], where bottom/right were already adjusted so that the output has tfjs's size exactly (they
// may be negative: trailing input rows that no window reads). libtorch pads symmetrically: the common part goes to the
// convolution, the rest (tfjs 'same' with an even total pad) is applied to the input with constant_pad_nd first, and
// the input gradient is cropped back by the adjoint constant_pad_nd.
#include <map>
#include <tuple>

#include "common.h"

/** Attributes of every convolution op: geometry (see above), NCHW layout, depthwise (groups = input channels). */
#define GMM_CONV_GEOMETRY "stride:int[],dilation:int[],pad:int[],nchw?:bool,depthwise?:bool"

using gmm::activate;

namespace {

using gmm::Attrs;
using gmm::Tensors;

constexpr auto kCL = at::MemoryFormat::ChannelsLast;

/** Padding split into libtorch's symmetric part and the residual applied with constant_pad_nd. */
struct Geometry {
  std::vector<int64_t> stride, dilation, padding;  // padding: symmetric {ph, pw} given to libtorch
  std::vector<int64_t> residual;                   // constant_pad_nd order {left, right, top, bottom}
  bool nchw = false;
  bool depthwise = false;
  bool hasResidual() const {
    for (auto r : residual)
      if (r != 0) return true;
    return false;
  }
  at::MemoryFormat format() const { return nchw ? at::MemoryFormat::Contiguous : kCL; }
};

int64_t symmetric(int64_t a, int64_t b) { return (a > 0 && b > 0) ? std::min(a, b) : 0; }

Geometry geometry(const Attrs& a) {
  Geometry g;
  g.stride = a.iv("stride");
  g.dilation = a.iv("dilation");
  auto p = a.iv("pad");  // top, bottom, left, right
  gmm::require(g.stride.size() == 2 && g.dilation.size() == 2 && p.size() == 4, "conv: stride, dilation must have 2 and pad 4 values");
  int64_t ph = symmetric(p[0], p[1]), pw = symmetric(p[2], p[3]);
  g.padding = {ph, pw};
  g.residual = {p[2] - pw, p[3] - pw, p[0] - ph, p[1] - ph};
  g.nchw = a.has("nchw") && a.b("nchw");
  g.depthwise = a.has("depthwise") && a.b("depthwise");
  return g;
}


/** The input as a libtorch NCHW tensor (channels-last view of NHWC data; no copy when x is contiguous). */
at::Tensor inputNCHW(const at::Tensor& x, const Geometry& g) {
  gmm::require(x.dim() == 4, "conv: input must be rank 4");
  at::Tensor t = g.nchw ? x.contiguous() : x.permute({0, 3, 1, 2}).contiguous(kCL);
  if (g.hasResidual()) t = at::constant_pad_nd(t, g.residual, 0).contiguous(g.format());
  return t;
}

/** A libtorch NCHW result back in the tfjs layout (contiguous NHWC, or NCHW). */
at::Tensor outputTF(const at::Tensor& y, const Geometry& g) { return g.nchw ? y.contiguous() : y.permute({0, 2, 3, 1}).contiguous(); }

/** tfjs filter [fh, fw, in, out] (depthwise: [fh, fw, in, mult]) → libtorch weight [out, in/groups, fh, fw]. */
at::Tensor weightTorch(const at::Tensor& f, const Geometry& g) {
  gmm::require(f.dim() == 4, "conv: filter must be rank 4");
  if (g.depthwise) {
    int64_t fh = f.size(0), fw = f.size(1), c = f.size(2), m = f.size(3);
    return f.reshape({fh, fw, c * m, 1}).permute({2, 3, 0, 1}).contiguous(g.format());
  }
  return f.permute({3, 2, 0, 1}).contiguous(g.format());
}

/** libtorch weight gradient → tfjs filter layout of `shape`. */
at::Tensor weightTF(const at::Tensor& gw, const Geometry& g, at::IntArrayRef shape) {
  if (g.depthwise) return gw.permute({2, 3, 0, 1}).reshape(shape).contiguous();
  return gw.permute({2, 3, 1, 0}).contiguous();
}

/** libtorch NCHW sizes of a tfjs input shape, after the residual padding. */
std::vector<int64_t> paddedInputSizes(at::IntArrayRef s, const Geometry& g) {
  gmm::require(s.size() == 4, "conv: input shape must have 4 values");
  int64_t n = s[0], c = g.nchw ? s[1] : s[3], h = g.nchw ? s[2] : s[1], w = g.nchw ? s[3] : s[2];
  return {n, c, h + g.residual[2] + g.residual[3], w + g.residual[0] + g.residual[1]};
}

int64_t groupsOf(const Geometry& g, int64_t inChannels) { return g.depthwise ? inChannels : 1; }

/**
 * Most shape donors kept (the cache below is emptied when a new one would exceed it). A cap exists because the keys
 * come from the data: every distinct input shape (batch size, image size, sliding-window crops at the borders,
 * multi-scale inference) adds an entry, and a long-running process (the HTTP server) would otherwise keep a tensor
 * per shape it ever saw for good. The donors are never written, so their cost is address space and allocator
 * bookkeeping rather than resident memory; 256 is far above the distinct backward shapes of one network (about one
 * per convolution layer), so a training run never refills it, while a stream of new shapes cannot grow it forever.
 */
constexpr size_t kMaxShapeDonors = 256;

/** Everything a shape donor is made from: sizes, dtype, memory format and the device it lives on. */
using DonorKey = std::tuple<std::vector<int64_t>, at::ScalarType, at::MemoryFormat, c10::DeviceType, c10::DeviceIndex>;

/**
 * An uninitialised tensor of `sizes` whose only use is to tell convolution_backward the input's shape and layout. On
 * the CPU these are cached (by everything in {@link DonorKey}) and never written, so they cost no physical memory: a
 * fresh input-sized allocation per call made glibc return and re-fault the heap top each call (4× slower input
 * gradients here). On other devices, whose caching allocators make a fresh allocation cheap but whose untouched
 * memory is still reserved, a fresh tensor is made per call.
 */
at::Tensor shapeDonor(const std::vector<int64_t>& sizes, at::ScalarType dtype, at::MemoryFormat fmt) {
  const at::Device dev = gmm::device();
  if (!dev.is_cpu()) return at::empty(sizes, gmm::opts(dtype).memory_format(fmt));
  static std::map<DonorKey, at::Tensor> cache;
  DonorKey key{sizes, dtype, fmt, dev.type(), dev.index()};
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  if (cache.size() >= kMaxShapeDonors) cache.clear();
  return cache[key] = at::empty(sizes, gmm::opts(dtype).memory_format(fmt));
}

at::Tensor convForward(const at::Tensor& x, const at::Tensor& f, const at::Tensor& bias, const Geometry& g) {
  at::Tensor xt = inputNCHW(x, g);
  at::Tensor w = weightTorch(f, g);
  int64_t groups = groupsOf(g, xt.size(1));
  gmm::require(w.size(1) * groups == xt.size(1), "conv: filter input channels do not match the input's channels");
  const std::vector<int64_t> outPad{0, 0};
  return at::convolution(xt, w, bias, g.stride, g.padding, g.dilation, false, outPad, groups);
}

/** Bias as libtorch's per-output-channel vector when it is one (else undefined: added after the convolution). */
at::Tensor channelBias(const at::Tensor& bias, int64_t outChannels, bool nchw) {
  if (!bias.defined() || bias.numel() != outChannels) return at::Tensor();
  // NHWC: any shape [..1.., C] of rank <= 4 adds per channel; NCHW: only a 1-D bias does (tfjs's rule).
  bool perChannel = nchw ? bias.dim() == 1 : (bias.dim() <= 4 && (bias.dim() == 0 || bias.size(-1) == outChannels));
  return perChannel ? bias.reshape({outChannels}).contiguous() : at::Tensor();
}

}  // namespace

/** Conv2D / DepthwiseConv2dNative: in = [x, filter]. */
GMM_OP(Conv2D, GMM_CONV_GEOMETRY) {
  Geometry g = geometry(a);
  return {outputTF(convForward(in[0], in[1], at::Tensor(), g), g)};
}

/**
 * FusedConv2D / FusedDepthwiseConv2D: in = [x, filter, bias?, prelu?] (attrs hasBias, hasPrelu say which are there),
 * activation, leakyreluAlpha. A per-channel bias goes into the convolution; other shapes broadcast like tfjs's add
 * (NCHW: a 1-D bias is per channel, as in tfjs).
 */
GMM_OP(FusedConv2D, GMM_CONV_GEOMETRY ",hasBias:bool,hasPrelu:bool,activation?:string,leakyreluAlpha?:float") {
  Geometry g = geometry(a);
  size_t k = 2;
  at::Tensor bias = a.b("hasBias") ? in.at(k++) : at::Tensor();
  at::Tensor prelu = a.b("hasPrelu") ? in.at(k++) : at::Tensor();
  int64_t outChannels = g.depthwise ? in[1].size(2) * in[1].size(3) : in[1].size(3);
  at::Tensor cb = channelBias(bias, outChannels, g.nchw);
  at::Tensor y = outputTF(convForward(in[0], in[1], cb, g), g);
  if (bias.defined() && !cb.defined()) y = y + bias;
  if (prelu.defined() && g.nchw && prelu.dim() == 1 && prelu.size(0) != 1) prelu = prelu.reshape({prelu.size(0), 1, 1});
  std::string act = a.has("activation") ? a.s("activation") : "linear";
  return {activate(y, act, prelu, a.has("leakyreluAlpha") ? a.f("leakyreluAlpha") : 0.2)};
}

/** Conv2DBackpropInput / DepthwiseConv2dNativeBackpropInput: in = [dy, filter]; attrs inputShape (tfjs layout). */
GMM_OP(Conv2DBackpropInput, GMM_CONV_GEOMETRY ",inputShape:int[]") {
  Geometry g = geometry(a);
  at::Tensor dy = g.nchw ? in[0].contiguous() : in[0].permute({0, 3, 1, 2}).contiguous(kCL);
  at::Tensor w = weightTorch(in[1], g);
  auto sizes = paddedInputSizes(a.iv("inputShape"), g);
  at::Tensor shape = shapeDonor(sizes, dy.scalar_type(), g.format());
  const std::vector<int64_t> outPad{0, 0};
  auto grads = at::convolution_backward(dy, shape, w, at::OptionalIntArrayRef(), g.stride, g.padding, g.dilation, false, outPad,
                                        groupsOf(g, sizes[1]), {true, false, false});
  at::Tensor dx = std::get<0>(grads);
  if (g.hasResidual()) {
    std::vector<int64_t> crop;
    for (auto r : g.residual) crop.push_back(-r);
    dx = at::constant_pad_nd(dx, crop, 0);
  }
  return {outputTF(dx, g)};
}

/** Conv2DBackpropFilter / DepthwiseConv2dNativeBackpropFilter: in = [x, dy]; attrs filterShape (tfjs layout). */
GMM_OP(Conv2DBackpropFilter, GMM_CONV_GEOMETRY ",filterShape:int[]") {
  Geometry g = geometry(a);
  at::Tensor xt = inputNCHW(in[0], g);
  at::Tensor dy = g.nchw ? in[1].contiguous() : in[1].permute({0, 3, 1, 2}).contiguous(kCL);
  auto fs = a.iv("filterShape");
  gmm::require(fs.size() == 4, "conv: filterShape must have 4 values");
  int64_t groups = groupsOf(g, xt.size(1));
  std::vector<int64_t> wsizes = g.depthwise ? std::vector<int64_t>{fs[2] * fs[3], 1, fs[0], fs[1]} : std::vector<int64_t>{fs[3], fs[2], fs[0], fs[1]};
  at::Tensor w = at::empty(wsizes, gmm::opts(xt.scalar_type()).memory_format(g.format()));
  const std::vector<int64_t> outPad{0, 0};
  auto grads = at::convolution_backward(dy, xt, w, at::OptionalIntArrayRef(), g.stride, g.padding, g.dilation, false, outPad, groups,
                                        {false, true, false});
  return {weightTF(std::get<1>(grads), g, fs)};
}

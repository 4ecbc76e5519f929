// Shape and data-movement kernels: Reshape, Transpose, Slice, StridedSlice, Concat, Pack, Unpack, SplitV, Tile,
// Reverse, PadV2, MirrorPad, SpaceToBatchND, BatchToSpaceND, DepthToSpace, Diag.
//
// The TypeScript side (src/engine/torch/kernels/shape.ts) normalises tfjs's attributes (negative axes, -1 sizes,
// StridedSlice masks) so every op here gets explicit per-dimension values. Outputs that are plain views of the input
// (reshape, slice, permute, unbind, split) stay views: no copy is made until a consumer needs a dense layout.
#include "common.h"

namespace {

int64_t normAxis(int64_t axis, int64_t rank) {
  int64_t a = axis < 0 ? axis + rank : axis;
  gmm::require(a >= 0 && a < std::max<int64_t>(rank, 1), "axis " + std::to_string(axis) + " out of range for rank " + std::to_string(rank));
  return a;
}

/** Index tensor of one mirror-padded dimension: output position → input position (on the engine's device). */
at::Tensor mirrorIndex(int64_t n, int64_t before, int64_t after, bool symmetric) {
  const int64_t m = before + n + after;
  at::Tensor idx = at::empty({m}, at::TensorOptions().dtype(at::kLong));
  int64_t* p = idx.data_ptr<int64_t>();
  for (int64_t o = 0; o < m; o++) {
    int64_t c = o - before;
    if (c < 0) c = symmetric ? -c - 1 : -c;
    else if (c >= n) c = symmetric ? 2 * n - 1 - c : 2 * n - 2 - c;
    gmm::require(c >= 0 && c < n, "MirrorPad: padding larger than the dimension allows");
    p[o] = c;
  }
  return idx.to(gmm::device());
}

}  // namespace

/** Reshape {shape}: a view whenever the input's strides allow (always for the dense tensors tfjs hands over). */
GMM_OP(Reshape, "shape:int[]") { return {in[0].reshape(a.iv("shape"))}; }

/**
 * Transpose {perm}: a permuted view; consumers that need a dense layout make it themselves. Measured on CPU against
 * returning a contiguous copy: the view is never slower when followed by a reshape, an elementwise op or a matmul
 * (the copy just moves into the consumer) and avoids the copy entirely when the consumer handles strides.
 */
GMM_OP(Transpose, "perm:int[]") { return {in[0].permute(a.iv("perm"))}; }

/** Slice {begin, size}: explicit per-dimension begin and size (no -1); a view. */
GMM_OP(Slice, "begin:int[],size:int[]") {
  at::Tensor x = in[0];
  auto begin = a.iv("begin");
  auto size = a.iv("size");
  gmm::require(static_cast<int64_t>(begin.size()) == x.dim() && begin.size() == size.size(), "Slice: begin/size must have one entry per dimension");
  for (int64_t d = 0; d < x.dim(); d++) {
    if (begin[d] == 0 && size[d] == x.size(d)) continue;
    x = x.narrow(d, begin[d], size[d]);
  }
  return {x};
}

/**
 * StridedSlice {begin, count, strides, shape}: per input dimension the first index, the number of elements and the
 * (non-zero) stride, all canonical (every selected index is in range); `shape` is the final shape (new axes added,
 * shrunk axes removed). Negative strides take the positive-stride slice of the same elements and flip it.
 */
GMM_OP(StridedSlice, "begin:int[],count:int[],strides:int[],shape:int[]") {
  at::Tensor x = in[0];
  auto begin = a.iv("begin");
  auto count = a.iv("count");
  auto strides = a.iv("strides");
  gmm::require(static_cast<int64_t>(begin.size()) == x.dim() && count.size() == begin.size() && strides.size() == begin.size(),
               "StridedSlice: begin/count/strides must have one entry per dimension");
  std::vector<int64_t> flipDims;
  for (int64_t d = 0; d < x.dim(); d++) {
    const int64_t n = count[d], s = strides[d], b = begin[d];
    if (n <= 0) {
      x = x.slice(d, 0, 0);
    } else if (s > 0) {
      if (!(b == 0 && s == 1 && n == x.size(d))) x = x.slice(d, b, b + (n - 1) * s + 1, s);
    } else {
      const int64_t last = b + (n - 1) * s;
      x = x.slice(d, last, b + 1, -s);
      if (n > 1) flipDims.push_back(d);
    }
  }
  if (!flipDims.empty()) x = at::flip(x, flipDims);
  return {x.reshape(a.iv("shape"))};
}

/** Concat {axis}: inputs of one dtype (cast to the first input's dtype like the cpu backend), empty ones included. */
GMM_OP(Concat, "axis:int") {
  gmm::require(!in.empty(), "Concat: no inputs");
  const auto dtype = in[0].scalar_type();
  std::vector<at::Tensor> ts;
  ts.reserve(in.size());
  for (const auto& t : in) ts.push_back(t.scalar_type() == dtype ? t : t.to(dtype));
  return {at::cat(ts, normAxis(a.i("axis"), in[0].dim()))};
}

/** Pack {axis}: stacks equally shaped inputs along a new axis. */
GMM_OP(Pack, "axis:int") {
  gmm::require(!in.empty(), "Pack: no inputs");
  int64_t axis = a.i("axis");
  if (axis < 0) axis += in[0].dim() + 1;
  return {at::stack(in, axis)};
}

/** Unpack {axis}: one output per index along `axis` (views). */
GMM_OP(Unpack, "axis:int") { return at::unbind(in[0], normAxis(a.i("axis"), in[0].dim())); }

/** SplitV {sizes, axis}: explicit sizes (no -1); views. */
GMM_OP(SplitV, "sizes:int[],axis:int") { return at::split_with_sizes(in[0], a.iv("sizes"), normAxis(a.i("axis"), in[0].dim())); }

/** Tile {reps}: one repeat count per dimension. */
GMM_OP(Tile, "reps:int[]") {
  auto reps = a.iv("reps");
  gmm::require(static_cast<int64_t>(reps.size()) == in[0].dim(), "Tile: reps must have one entry per dimension");
  return {in[0].repeat(reps)};
}

/** Reverse {dims}: normalised, distinct dimensions. */
GMM_OP(Reverse, "dims:int[]") {
  auto dims = a.iv("dims");
  if (dims.empty() || in[0].dim() == 0) return {in[0]};  // tensors are immutable: aliasing is safe
  return {at::flip(in[0], dims)};
}

/** PadV2 {paddings: [before0, after0, before1, after1, …], value}. */
GMM_OP(PadV2, "paddings:int[],value:float") {
  const at::Tensor& x = in[0];
  auto p = a.iv("paddings");
  gmm::require(static_cast<int64_t>(p.size()) == 2 * x.dim(), "PadV2: paddings must have two entries per dimension");
  // constant_pad_nd lists the last dimension first.
  std::vector<int64_t> pad;
  int64_t first = x.dim();  // lowest padded dimension (dimensions before it need no entries)
  for (int64_t d = x.dim() - 1; d >= 0; d--)
    if (p[2 * d] != 0 || p[2 * d + 1] != 0) first = d;
  if (first == x.dim()) return {x};
  for (int64_t d = x.dim() - 1; d >= first; d--) {
    pad.push_back(p[2 * d]);
    pad.push_back(p[2 * d + 1]);
  }
  return {at::constant_pad_nd(x, pad, a.f("value"))};
}

/** MirrorPad {paddings: [before0, after0, …], mode: reflect | symmetric}: one index_select per padded dimension. */
GMM_OP(MirrorPad, "paddings:int[],mode:string") {
  at::Tensor x = in[0];
  auto p = a.iv("paddings");
  const std::string mode = a.s("mode");
  gmm::require(mode == "reflect" || mode == "symmetric", "MirrorPad: mode must be reflect or symmetric, got '" + mode + "'");
  gmm::require(static_cast<int64_t>(p.size()) == 2 * x.dim(), "MirrorPad: paddings must have two entries per dimension");
  for (int64_t d = 0; d < x.dim(); d++) {
    if (p[2 * d] == 0 && p[2 * d + 1] == 0) continue;
    x = at::index_select(x, d, mirrorIndex(x.size(d), p[2 * d], p[2 * d + 1], mode == "symmetric"));
  }
  return {x};
}

/**
 * SpaceToBatchND {blockShape, paddings: [before0, after0, …] (one pair per block dimension)}: x [B, s1…sM, rest…] →
 * [B·∏b, s1/b1 … sM/bM, rest…] with the block offsets outermost, as TensorFlow lays it out.
 */
GMM_OP(SpaceToBatchND, "blockShape:int[],paddings:int[]") {
  at::Tensor x = in[0];
  auto block = a.iv("blockShape");
  auto p = a.iv("paddings");
  const int64_t M = static_cast<int64_t>(block.size());
  gmm::require(static_cast<int64_t>(p.size()) == 2 * M && x.dim() >= 1 + M, "SpaceToBatchND: bad blockShape/paddings");
  bool anyPad = false;
  for (auto v : p) anyPad = anyPad || v != 0;
  if (anyPad) {
    // constant_pad_nd lists the last dimension first: (0, 0) for the trailing dimensions, then the block dimensions.
    std::vector<int64_t> pad;
    for (int64_t d = x.dim() - 1; d > M; d--) pad.insert(pad.end(), {0, 0});
    for (int64_t d = M; d >= 1; d--) pad.insert(pad.end(), {p[2 * (d - 1)], p[2 * (d - 1) + 1]});
    x = at::constant_pad_nd(x, pad, 0);
  }
  const int64_t B = x.size(0);
  std::vector<int64_t> split{B};
  for (int64_t d = 0; d < M; d++) {
    const int64_t s = x.size(1 + d);
    gmm::require(s % block[d] == 0, "SpaceToBatchND: padded spatial size not divisible by the block size");
    split.push_back(s / block[d]);
    split.push_back(block[d]);
  }
  for (int64_t d = 1 + M; d < x.dim(); d++) split.push_back(x.size(d));
  // [B, s1/b1, b1, …, rest] → [b1 … bM, B, s1/b1 … sM/bM, rest]
  std::vector<int64_t> perm;
  for (int64_t d = 0; d < M; d++) perm.push_back(2 + 2 * d);
  perm.push_back(0);
  for (int64_t d = 0; d < M; d++) perm.push_back(1 + 2 * d);
  for (int64_t d = 1 + 2 * M; d < static_cast<int64_t>(split.size()); d++) perm.push_back(d);
  int64_t prod = 1;
  for (auto b : block) prod *= b;
  std::vector<int64_t> out{B * prod};
  for (int64_t d = 0; d < M; d++) out.push_back(split[1 + 2 * d]);
  for (int64_t d = 1 + M; d < x.dim(); d++) out.push_back(x.size(d));
  return {x.reshape(split).permute(perm).reshape(out)};
}

/** BatchToSpaceND {blockShape, crops: [begin0, end0, …]}: the inverse of SpaceToBatchND, then the crop (a view). */
GMM_OP(BatchToSpaceND, "blockShape:int[],crops:int[]") {
  const at::Tensor& x = in[0];
  auto block = a.iv("blockShape");
  auto crops = a.iv("crops");
  const int64_t M = static_cast<int64_t>(block.size());
  gmm::require(static_cast<int64_t>(crops.size()) == 2 * M && x.dim() >= 1 + M, "BatchToSpaceND: bad blockShape/crops");
  int64_t prod = 1;
  for (auto b : block) prod *= b;
  gmm::require(x.size(0) % prod == 0, "BatchToSpaceND: batch not divisible by the product of blockShape");
  const int64_t B = x.size(0) / prod;
  // [b1 … bM, B, s1 … sM, rest] → [B, s1, b1, …, sM, bM, rest] → [B, s1·b1, …, rest]
  std::vector<int64_t> split(block.begin(), block.end());
  split.push_back(B);
  for (int64_t d = 1; d < x.dim(); d++) split.push_back(x.size(d));
  std::vector<int64_t> perm{M};
  for (int64_t d = 0; d < M; d++) {
    perm.push_back(M + 1 + d);
    perm.push_back(d);
  }
  for (int64_t d = 2 * M + 1; d < static_cast<int64_t>(split.size()); d++) perm.push_back(d);
  std::vector<int64_t> out{B};
  for (int64_t d = 0; d < M; d++) out.push_back(x.size(1 + d) * block[d]);
  for (int64_t d = 1 + M; d < x.dim(); d++) out.push_back(x.size(d));
  at::Tensor y = x.reshape(split).permute(perm).reshape(out);
  for (int64_t d = 0; d < M; d++) {
    const int64_t c0 = crops[2 * d], c1 = crops[2 * d + 1];
    if (c0 != 0 || c1 != 0) y = y.narrow(1 + d, c0, y.size(1 + d) - c0 - c1);
  }
  return {y};
}

/** DepthToSpace {blockSize, dataFormat NHWC}: [B, H, W, bs·bs·C] → [B, H·bs, W·bs, C]. */
GMM_OP(DepthToSpace, "blockSize:int,dataFormat:string") {
  const at::Tensor& x = in[0];
  gmm::require(a.s("dataFormat") == "NHWC", "DepthToSpace: only the NHWC data format is supported (as on the tfjs cpu backend)");
  gmm::require(x.dim() == 4, "DepthToSpace: input must be 4-D");
  const int64_t bs = a.i("blockSize");
  const int64_t B = x.size(0), H = x.size(1), W = x.size(2), C = x.size(3) / (bs * bs);
  gmm::require(C * bs * bs == x.size(3), "DepthToSpace: depth not divisible by blockSize²");
  return {x.reshape({B, H, W, bs, bs, C}).permute({0, 1, 3, 2, 4, 5}).reshape({B, H * bs, W * bs, C})};
}

/** Diag: x of shape S → [S…, S…] with x on the diagonal of the flattened square. */
GMM_OP(Diag) {
  const at::Tensor x = in[0].reshape({-1});
  const int64_t n = x.numel();
  at::Tensor out = at::zeros({n, n}, gmm::opts(x.scalar_type()));
  out.diagonal().copy_(x);
  std::vector<int64_t> shape(in[0].sizes().begin(), in[0].sizes().end());
  shape.insert(shape.end(), in[0].sizes().begin(), in[0].sizes().end());
  return {out.view(shape)};
}

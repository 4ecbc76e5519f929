// Indexing kernels: GatherV2, GatherNd, ScatterNd, TensorScatterUpdate, UnsortedSegmentSum, OneHot.
//
// Out-of-range indices fail with a clear error like the tfjs cpu backend (and never reach libtorch's own index checks,
// which on CUDA would be device-side asserts); for the N-d kernels an index is in range, as on the cpu backend, when
// its flattened slice offset is.
#include "common.h"

using gmm::dtypeOf;

namespace {


std::string joinShape(at::IntArrayRef s) {
  std::string r;
  for (size_t i = 0; i < s.size(); i++) r += (i ? "," : "") + std::to_string(s[i]);
  return r;
}

/** [min, max] of a non-empty integer tensor, read back in one transfer. */
std::pair<int64_t, int64_t> minMax(const at::Tensor& t) {
  auto mm = at::aminmax(t);
  at::Tensor both = at::stack({std::get<0>(mm), std::get<1>(mm)}).to(at::kCPU, at::kLong);
  return {both.data_ptr<int64_t>()[0], both.data_ptr<int64_t>()[1]};
}

/**
 * Flattened slice offsets of N-d indices [..., K] (read as [numIndices, K]) with slice strides `strides` (K entries);
 * checks that each lies in [0, numSlices), naming the first bad index like the cpu backend.
 */
at::Tensor flatIndices(const at::Tensor& indices, int64_t K, const std::vector<int64_t>& strides, int64_t numSlices,
                       at::IntArrayRef shape) {
  gmm::require(static_cast<int64_t>(strides.size()) == K, "index strides must have one entry per index component");
  at::Tensor idx = indices.reshape({-1, K}).to(at::kLong);
  at::Tensor flat;
  if (K == 1) {
    flat = idx.reshape({-1}) * strides[0];
  } else {
    at::Tensor st = at::tensor(strides, at::TensorOptions().dtype(at::kLong)).to(gmm::device());
    flat = (idx * st).sum(1);
  }
  if (flat.numel() == 0) return flat;
  auto [lo, hi] = minMax(flat);
  if (lo < 0 || hi >= numSlices) {
    at::Tensor bad = at::logical_or(flat < 0, flat >= numSlices).nonzero().to(at::kCPU);
    const int64_t row = bad.data_ptr<int64_t>()[0];
    at::Tensor r = idx[row].to(at::kCPU);
    std::string s;
    for (int64_t j = 0; j < K; j++) s += (j ? "," : "") + std::to_string(r.data_ptr<int64_t>()[j]);
    throw gmm::OpError("Invalid indices: " + s + " does not index into " + joinShape(shape));
  }
  return flat;
}

}  // namespace

/**
 * GatherV2 {axis, batchDims} (both normalised to be non-negative): x, indices (int32) →
 * x.shape[:axis] + indices.shape[batchDims:] + x.shape[axis+1:].
 */
GMM_OP(GatherV2, "axis:int,batchDims:int") {
  const at::Tensor& x = in[0];
  const at::Tensor& indices = in[1];
  const int64_t axis = a.i("axis");
  const int64_t batchDims = a.i("batchDims");
  gmm::require(axis >= 0 && axis < x.dim() && batchDims >= 0 && batchDims <= axis, "GatherV2: bad axis/batchDims");
  const int64_t dimSize = x.size(axis);
  if (indices.numel() > 0) {
    auto [lo, hi] = minMax(indices);
    if (lo < 0 || hi >= dimSize) {
      at::Tensor flat = indices.reshape({-1});
      at::Tensor bad = at::logical_or(flat < 0, flat >= dimSize).nonzero().to(at::kCPU);
      const int64_t v = flat[bad.data_ptr<int64_t>()[0]].item<int64_t>();
      throw gmm::OpError("GatherV2: the index value " + std::to_string(v) + " is not in [0, " + std::to_string(dimSize - 1) + "]");
    }
  }
  std::vector<int64_t> outShape(x.sizes().begin(), x.sizes().begin() + axis);
  outShape.insert(outShape.end(), indices.sizes().begin() + batchDims, indices.sizes().end());
  outShape.insert(outShape.end(), x.sizes().begin() + axis + 1, x.sizes().end());
  if (batchDims == 0) return {at::index_select(x, axis, indices.reshape({-1})).view(outShape)};
  // Batched: x [batch, outer, dim, slice], indices [batch, n] → out[b, o, i, s] = x[b, o, indices[b, i], s].
  int64_t batch = 1, outer = 1, slice = 1;
  for (int64_t d = 0; d < batchDims; d++) batch *= x.size(d);
  for (int64_t d = batchDims; d < axis; d++) outer *= x.size(d);
  for (int64_t d = axis + 1; d < x.dim(); d++) slice *= x.size(d);
  const int64_t n = batch == 0 ? 0 : indices.numel() / batch;
  at::Tensor x4 = x.reshape({batch, outer, dimSize, slice});
  at::Tensor idx = indices.reshape({batch, 1, n, 1}).to(at::kLong).expand({batch, outer, n, slice});
  return {at::gather(x4, 2, idx).view(outShape)};
}

/** GatherNd {strides, sliceSize, shape}: params, indices [..., K] (int32) → shape = indices.shape[:-1] + params.shape[K:]. */
GMM_OP(GatherNd, "shape:int[],sliceSize:int,strides:int[]") {
  const at::Tensor& params = in[0];
  const at::Tensor& indices = in[1];
  const int64_t sliceSize = a.i("sliceSize");
  auto shape = a.iv("shape");
  const int64_t K = indices.size(-1);
  const int64_t numSlices = sliceSize == 0 ? 0 : params.numel() / sliceSize;
  at::Tensor flat = flatIndices(indices, K, a.iv("strides"), numSlices, params.sizes());
  if (flat.numel() == 0) return {at::empty(shape, gmm::opts(params.scalar_type()))};
  return {at::index_select(params.reshape({numSlices, sliceSize}), 0, flat).view(shape)};
}

/** ScatterNd {shape, strides, sliceSize}: zeros of `shape` plus every update at its index (duplicates summed). */
GMM_OP(ScatterNd, "shape:int[],sliceSize:int,strides:int[]") {
  const at::Tensor& indices = in[0];
  const at::Tensor& updates = in[1];
  auto shape = a.iv("shape");
  const int64_t sliceSize = a.i("sliceSize");
  const int64_t K = indices.dim() > 1 ? indices.size(-1) : 1;
  int64_t total = 1;
  for (auto s : shape) total *= s;
  at::Tensor out = at::zeros(shape, gmm::opts(updates.scalar_type()));
  if (total == 0) return {out};
  const int64_t numSlices = total / sliceSize;
  at::Tensor flat = flatIndices(indices, K, a.iv("strides"), numSlices, shape);
  if (flat.numel() == 0) return {out};
  out.view({numSlices, sliceSize}).index_add_(0, flat, updates.reshape({flat.numel(), sliceSize}));
  return {out};
}

/**
 * TensorScatterUpdate {strides, sliceSize}: a copy of `tensor` with the slices at `indices` replaced by `updates`
 * (with duplicate indices, which update wins is unspecified, as in TensorFlow).
 */
GMM_OP(TensorScatterUpdate, "sliceSize:int,strides:int[]") {
  const at::Tensor& tensor = in[0];
  const at::Tensor& indices = in[1];
  const at::Tensor& updates = in[2];
  const int64_t sliceSize = a.i("sliceSize");
  const int64_t K = indices.dim() > 1 ? indices.size(-1) : 1;
  at::Tensor out = tensor.clone(at::MemoryFormat::Contiguous);
  if (out.numel() == 0) return {out};
  const int64_t numSlices = out.numel() / sliceSize;
  at::Tensor flat = flatIndices(indices, K, a.iv("strides"), numSlices, tensor.sizes());
  if (flat.numel() == 0) return {out};
  at::Tensor upd = updates.to(out.scalar_type());
  if (upd.numel() == 1 && flat.numel() * sliceSize != 1) upd = upd.reshape({1, 1}).expand({flat.numel(), sliceSize});
  out.view({numSlices, sliceSize}).index_copy_(0, flat, upd.reshape({flat.numel(), sliceSize}));
  return {out};
}

/**
 * UnsortedSegmentSum {numSegments}: x [ids.shape…, rest…], segmentIds (int32) → [numSegments, rest…]; ids outside
 * [0, numSegments) are dropped (TensorFlow semantics). The dtype is x's.
 */
GMM_OP(UnsortedSegmentSum, "numSegments:int") {
  const at::Tensor& x = in[0];
  const at::Tensor& ids = in[1];
  const int64_t numSegments = a.i("numSegments");
  const int64_t n = ids.numel();
  std::vector<int64_t> outShape{numSegments};
  int64_t inner = 1;
  for (int64_t d = ids.dim(); d < x.dim(); d++) {
    outShape.push_back(x.size(d));
    inner *= x.size(d);
  }
  // Dropped ids go to an extra last row, so no data-dependent shapes (and no device sync) are needed.
  at::Tensor out = at::zeros({numSegments + 1, inner}, gmm::opts(x.scalar_type()));
  if (n > 0 && inner > 0) {
    at::Tensor id = ids.reshape({-1}).to(at::kLong);
    id = at::where(at::logical_and(id >= 0, id < numSegments), id, at::scalar_tensor(numSegments, id.options()));
    out.index_add_(0, id, x.reshape({n, inner}));
  }
  return {out.narrow(0, 0, numSegments).view(outShape)};
}

/** OneHot {depth, onValue, offValue, dtype}: indices (int32) → [indices.shape…, depth]; out-of-range rows are all off. */
GMM_OP(OneHot, "depth:int,onValue:float,offValue:float,dtype:string") {
  const at::Tensor& indices = in[0];
  const int64_t depth = a.i("depth");
  const auto dt = dtypeOf(a.s("dtype"));
  at::Tensor hot = indices.unsqueeze(-1) == at::arange(depth, gmm::opts(indices.scalar_type()));
  return {at::where(hot, at::scalar_tensor(a.f("onValue"), gmm::opts(dt)), at::scalar_tensor(a.f("offValue"), gmm::opts(dt)))};
}

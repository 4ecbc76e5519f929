// Matrix products: BatchMatMul (transposes as strided views, batch broadcasting), _FusedMatMul (+ bias, activation)
// and Einsum.
#include "common.h"

using gmm::activate;

namespace {

/**
 * a @ b with tfjs's BatchMatMul semantics: the last two dims are the matrices (transposed by the flags: free views,
 * BLAS reads them transposed), the leading dims broadcast. A batch-1 right operand folds the left batch into the
 * rows (one GEMM instead of a batched one).
 */
at::Tensor matmul(const at::Tensor& a0, const at::Tensor& b0, bool ta, bool tb) {
  gmm::require(a0.dim() >= 2 && b0.dim() >= 2, "matmul: inputs must have rank >= 2");
  at::Tensor a = ta ? a0.transpose(-2, -1) : a0;
  at::Tensor b = tb ? b0.transpose(-2, -1) : b0;
  gmm::require(a.size(-1) == b.size(-2), "matmul: inner dimensions differ");
  if (a.dim() == 2 && b.dim() == 2) return at::mm(a, b);
  // tfjs hands 2-D products over as [1, M, K] × [1, K, N]: one GEMM on the 2-D views (transposes stay strided views
  // that BLAS reads transposed), not a batched product of one.
  if (a.dim() == 3 && b.dim() == 3 && a.size(0) == 1 && b.size(0) == 1) return at::mm(a[0], b[0]).unsqueeze(0);
  if (b.numel() == b.size(-1) * b.size(-2) && !ta && a0.is_contiguous()) {
    // [..., M, K] @ [1.., K, N]: one [(...·M), K] @ [K, N] GEMM; output shape = broadcast batch dims + [M, N].
    std::vector<int64_t> batch(a.sizes().begin(), a.sizes().end() - 2);
    std::vector<int64_t> bb(b.sizes().begin(), b.sizes().end() - 2);
    if (bb.size() > batch.size()) batch.insert(batch.begin(), bb.size() - batch.size(), 1);
    at::Tensor out = at::mm(a.reshape({-1, a.size(-1)}), b.reshape({b.size(-2), b.size(-1)}));
    batch.push_back(a.size(-2));
    batch.push_back(b.size(-1));
    return out.view(batch);
  }
  return at::matmul(a, b);
}


bool broadcastsInto(const at::Tensor& small, const at::Tensor& big) {
  if (small.dim() > big.dim()) return false;
  for (int64_t i = 1; i <= small.dim(); i++)
    if (small.size(-i) != 1 && small.size(-i) != big.size(-i)) return false;
  return true;
}

}  // namespace

/** BatchMatMul: in = [a, b]; attrs transposeA, transposeB. */
GMM_OP(BatchMatMul, "transposeA:bool,transposeB:bool") { return {matmul(in[0], in[1], a.b("transposeA"), a.b("transposeB")).contiguous()}; }

/** _FusedMatMul: in = [a, b, bias?, prelu?] (attrs hasBias, hasPrelu), activation, leakyreluAlpha. */
GMM_OP(_FusedMatMul, "transposeA:bool,transposeB:bool,hasBias:bool,hasPrelu:bool,activation?:string,leakyreluAlpha?:float") {
  size_t k = 2;
  at::Tensor bias = a.b("hasBias") ? in.at(k++) : at::Tensor();
  at::Tensor prelu = a.b("hasPrelu") ? in.at(k++) : at::Tensor();
  bool ta = a.b("transposeA"), tb = a.b("transposeB");
  at::Tensor y;
  // tfjs hands 2-D products over as [1, M, K] × [1, K, N]: those become one addmm (bias added inside the GEMM).
  bool single = in[0].dim() == 3 && in[1].dim() == 3 && in[0].size(0) == 1 && in[1].size(0) == 1;
  if (bias.defined() && single && bias.dim() <= 2) {
    at::Tensor a2 = in[0][0], b2 = in[1][0];
    y = at::addmm(bias, ta ? a2.t() : a2, tb ? b2.t() : b2).unsqueeze(0);
  } else if (bias.defined() && in[0].dim() == 2 && in[1].dim() == 2 && bias.dim() <= 2) {
    y = at::addmm(bias, ta ? in[0].t() : in[0], tb ? in[1].t() : in[1]);
  } else {
    y = matmul(in[0], in[1], ta, tb).contiguous();
    if (bias.defined()) y = broadcastsInto(bias, y) ? y.add_(bias) : y + bias;
  }
  std::string act = a.has("activation") ? a.s("activation") : "linear";
  return {activate(y, act, prelu, a.has("leakyreluAlpha") ? a.f("leakyreluAlpha") : 0.2).contiguous()};
}

/** Einsum: in = the operands; attrs equation. */
GMM_OP(Einsum, "equation:string") { return {at::einsum(a.s("equation"), in).contiguous()}; }

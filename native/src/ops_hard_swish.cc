// Hard-swish as the MobileNetV3 graph writes it, y = (scale·x) · relu6(x + 3), and its gradient, each one pass over
// the data. The graph runs it as Add/Relu6/Mul/Mul (scale is its fp16 constant 0.1666259765625, not 1/6, which is why
// ATen's hardswish does not fit), and tfjs's tape differentiates that into about ten ops over the whole map; here
// every value is computed with the same float32 operations in the same order as those ops (bit-identical results).
// CPU: one loop per element range (ATen's parallel_for); other devices: the same formula as ATen ops.
#include <ATen/Parallel.h>

#include <algorithm>

#include "common.h"

namespace {

constexpr int64_t kGrain = 1 << 15;

inline float relu6(float u) { return std::min(std::max(u, 0.0f), 6.0f); }

at::Tensor floatInput(const at::Tensor& t, const char* op, const char* name) {
  gmm::require(t.scalar_type() == at::kFloat, std::string(op) + ": input '" + name + "' must be float32");
  return t.contiguous();
}

}  // namespace

// HardSwish(x; scale) = (scale·x) · relu6(x + 3)
GMM_OP(HardSwish, "scale:float") {
  const at::Tensor x = floatInput(in[0], "HardSwish", "x");
  const float c = static_cast<float>(a.f("scale"));
  if (!x.is_cpu()) return {at::mul(at::mul(x, c), at::clamp(at::add(x, 3.0), 0, 6))};
  at::Tensor y = at::empty_like(x);
  const float* px = x.data_ptr<float>();
  float* py = y.data_ptr<float>();
  at::parallel_for(0, x.numel(), kGrain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; i++) py[i] = (c * px[i]) * relu6(px[i] + 3.0f);
  });
  return {y};
}

// HardSwishGrad(dy, x; scale) = (dy · relu6(u)) · scale + (0 < u ≤ 6 ? dy · (scale·x) : 0), u = x + 3: the two paths
// of tfjs's Mul and Relu6 gradients (Relu6's mask is lessEqual(u, 6) · step(u)), summed as the tape sums them.
GMM_OP(HardSwishGrad, "scale:float") {
  const at::Tensor dy = floatInput(in[0], "HardSwishGrad", "dy");
  const at::Tensor x = floatInput(in[1], "HardSwishGrad", "x");
  gmm::require(dy.sizes() == x.sizes(), "HardSwishGrad: 'dy' and 'x' must have the same shape");
  const float c = static_cast<float>(a.f("scale"));
  if (!x.is_cpu()) {
    const at::Tensor u = at::add(x, 3.0);
    const at::Tensor mask = at::logical_and(at::gt(u, 0), at::le(u, 6));
    const at::Tensor viaRelu = at::where(mask, at::mul(dy, at::mul(x, c)), at::zeros_like(dy));
    return {at::add(at::mul(at::mul(dy, at::clamp(u, 0, 6)), c), viaRelu)};
  }
  at::Tensor dx = at::empty_like(x);
  const float* pd = dy.data_ptr<float>();
  const float* px = x.data_ptr<float>();
  float* po = dx.data_ptr<float>();
  at::parallel_for(0, x.numel(), kGrain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; i++) {
      const float u = px[i] + 3.0f;
      const float viaMul = (pd[i] * relu6(u)) * c;
      const float viaRelu = (u > 0.0f && u <= 6.0f) ? pd[i] * (c * px[i]) : 0.0f;
      po[i] = viaMul + viaRelu;
    }
  });
  return {dx};
}

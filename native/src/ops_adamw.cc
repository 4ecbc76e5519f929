// One AdamW update of one parameter (src/train/adamw.ts) in one pass over its values, instead of the twelve tfjs ops
// (each a dispatch and a full-size temporary) that the optimizer runs per parameter and step. Every value is computed
// with the same float32 operations in the same order as those ops, with the same float32 constants (the attributes
// are the scalars the ops would have made, rounded to float32 here as tfjs rounds them), so the results are
// bit-identical to the ops:
//   m1 = m0·β1 + g·(1 − β1);  v1 = v0·β2 + g²·(1 − β2)
//   p1 = p·decay − (m1 / (sqrt(v1) / sqrt(bc2) + ε)) · stepSize
// in = [p, g] (first step: zero moments) or [p, g, m0, v0]; out = [m1, v1, p1].
// CPU: one loop per element range; other devices: the same formula as ATen ops.
#include <ATen/Parallel.h>

#include <cmath>

#include "common.h"

namespace {

constexpr int64_t kGrain = 1 << 15;

at::Tensor floatInput(const at::Tensor& t, const char* name, const at::Tensor& like) {
  gmm::require(t.scalar_type() == at::kFloat, std::string("AdamWUpdate: input '") + name + "' must be float32");
  gmm::require(t.sizes() == like.sizes(), std::string("AdamWUpdate: input '") + name + "' must have the parameter's shape");
  return t.contiguous();
}

}  // namespace

GMM_OP(AdamWUpdate,
       "beta1:float,oneMinusBeta1:float,beta2:float,oneMinusBeta2:float,decay:float,sqrtBc2:float,epsilon:float,"
       "stepSize:float") {
  gmm::require(in.size() == 2 || in.size() == 4, "AdamWUpdate: expects [p, g] or [p, g, m, v]");
  const at::Tensor p = floatInput(in[0], "p", in[0]);
  const at::Tensor g = floatInput(in[1], "g", p);
  const bool fresh = in.size() == 2;
  const at::Tensor m0 = fresh ? at::zeros_like(p) : floatInput(in[2], "m", p);
  const at::Tensor v0 = fresh ? at::zeros_like(p) : floatInput(in[3], "v", p);
  const float b1 = static_cast<float>(a.f("beta1")), c1 = static_cast<float>(a.f("oneMinusBeta1"));
  const float b2 = static_cast<float>(a.f("beta2")), c2 = static_cast<float>(a.f("oneMinusBeta2"));
  const float decay = static_cast<float>(a.f("decay")), sb = static_cast<float>(a.f("sqrtBc2"));
  const float eps = static_cast<float>(a.f("epsilon")), step = static_cast<float>(a.f("stepSize"));
  if (!p.is_cpu()) {
    const at::Tensor m1 = at::add(at::mul(m0, b1), at::mul(g, c1));
    const at::Tensor v1 = at::add(at::mul(v0, b2), at::mul(at::square(g), c2));
    const at::Tensor denom = at::add(at::div(at::sqrt(v1), sb), eps);
    return {m1, v1, at::sub(at::mul(p, decay), at::mul(at::div(m1, denom), step))};
  }
  at::Tensor m1 = at::empty_like(p), v1 = at::empty_like(p), p1 = at::empty_like(p);
  const float *pp = p.data_ptr<float>(), *pg = g.data_ptr<float>();
  const float *pm = m0.data_ptr<float>(), *pv = v0.data_ptr<float>();
  float *om = m1.data_ptr<float>(), *ov = v1.data_ptr<float>(), *op = p1.data_ptr<float>();
  at::parallel_for(0, p.numel(), kGrain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; i++) {
      const float gi = pg[i];
      const float m = pm[i] * b1 + gi * c1;
      const float v = pv[i] * b2 + (gi * gi) * c2;
      const float denom = std::sqrt(v) / sb + eps;
      om[i] = m;
      ov[i] = v;
      op[i] = pp[i] * decay - (m / denom) * step;
    }
  });
  return {m1, v1, p1};
}

// Creation kernels: Fill, Range, LinSpace. Range and LinSpace accumulate step by step in the output's precision
// exactly like the tfjs cpu backend (values[i] = values[i-1] + step), so their values match it bit for bit.
#include <cmath>

#include "common.h"

using gmm::dtypeOf;

namespace {


/** JavaScript's ToInt32 (what storing a number into an Int32Array does). */
int32_t toInt32(double v) {
  if (!std::isfinite(v)) return 0;
  const double m = std::fmod(std::trunc(v), 4294967296.0);
  return static_cast<int32_t>(static_cast<uint32_t>(static_cast<int64_t>(m < 0 ? m + 4294967296.0 : m)));
}

}  // namespace

/** Fill {shape, value, dtype}. */
GMM_OP(Fill, "shape:int[],value:float,dtype:string") { return {at::full(a.iv("shape"), a.f("value"), gmm::opts(dtypeOf(a.s("dtype"))))}; }

/** Range {start, step, n, dtype}: n values start, start + step, … (count and step sign resolved by the caller). */
GMM_OP(Range, "start:float,step:float,n:int,dtype:string") {
  const double start = a.f("start"), step = a.f("step");
  const int64_t n = a.i("n");
  const auto dt = dtypeOf(a.s("dtype"));
  gmm::require(dt != at::kBool, "Range: dtype must be float32 or int32");
  at::Tensor t = at::empty({n}, at::TensorOptions().dtype(dt));
  if (n > 0) {
    if (dt == at::kFloat) {
      float* p = t.data_ptr<float>();
      p[0] = static_cast<float>(start);
      for (int64_t i = 1; i < n; i++) p[i] = static_cast<float>(static_cast<double>(p[i - 1]) + step);
    } else {
      int32_t* p = t.data_ptr<int32_t>();
      p[0] = toInt32(start);
      for (int64_t i = 1; i < n; i++) p[i] = toInt32(static_cast<double>(p[i - 1]) + step);
    }
  }
  return {t.to(gmm::device())};
}

/** LinSpace {start, stop, num}: float32 values from start in steps of (stop − start) / (num − 1). */
GMM_OP(LinSpace, "start:float,stop:float,num:int") {
  const double start = a.f("start"), stop = a.f("stop");
  const int64_t num = a.i("num");
  at::Tensor t = at::empty({std::max<int64_t>(num, 0)}, at::TensorOptions().dtype(at::kFloat));
  if (num > 0) {
    const double step = (stop - start) / static_cast<double>(num - 1);
    float* p = t.data_ptr<float>();
    p[0] = static_cast<float>(start);
    for (int64_t i = 1; i < num; i++) p[i] = static_cast<float>(static_cast<double>(p[i - 1]) + step);
  }
  return {t.to(gmm::device())};
}

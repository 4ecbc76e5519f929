// Training-mode batch normalisation over the channels of a channels-last tensor (NHWC: x viewed as [N, C], statistics
// over the N rows), optionally followed by ReLU, and its gradient — each in two passes over the data instead of the
// dozen element-wise ops (moments, normalisation, affine, ReLU, and about fifteen tape gradients) that tfjs records
// for the same formula (src/nn/batch-norm-train.ts). Sums are accumulated in double over fixed blocks of rows and
// added in block order, so results do not depend on the thread count or the scheduling.
//
//   BatchNormTrain(x, gamma, beta; eps, relu) → y, mean [C], variance [C] (biased)
//     y = (x − mean) · s + beta,  s = gamma / sqrt(variance + eps);  relu: y = max(y, 0)
//   BatchNormTrainGrad(dy, x, gamma, beta, mean, variance; eps, relu) → dx, dgamma [C], dbeta [C]
//     g = relu ? (pre-activation > 0 ? dy : 0) : dy;  r = 1 / sqrt(variance + eps)
//     dbeta = Σ g;  dgamma = r · Σ g·(x − mean);  dx = gamma·r · (g − Σg/N − (x − mean)·r²·Σ g·(x − mean) / N)
// CPU: the loops below (ATen's parallel_for over row blocks); other devices: the same formulas as ATen ops.
#include <ATen/Parallel.h>

#include <cmath>
#include <vector>

#include "common.h"

namespace {

constexpr int64_t kRowsPerBlock = 1024;

/** x as [N, C] (contiguous float32); checks gamma, beta, … are float32 [C]. */
struct Rows {
  at::Tensor x;
  int64_t n = 0;
  int64_t c = 0;
};

Rows rowsOf(const at::Tensor& t, const char* op, const char* name) {
  gmm::require(t.scalar_type() == at::kFloat, std::string(op) + ": input '" + name + "' must be float32");
  gmm::require(t.dim() >= 2, std::string(op) + ": input '" + name + "' must have at least 2 dimensions");
  const int64_t c = t.size(-1);
  gmm::require(c > 0 && t.numel() / c >= 1, std::string(op) + ": input '" + name + "' is empty");
  return {t.contiguous(), t.numel() / c, c};
}

at::Tensor channelVector(const at::Tensor& t, int64_t c, const char* op, const char* name) {
  gmm::require(t.scalar_type() == at::kFloat, std::string(op) + ": input '" + name + "' must be float32");
  gmm::require(t.dim() == 1 && t.size(0) == c,
               std::string(op) + ": input '" + name + "' must have shape [" + std::to_string(c) + "]");
  return t.contiguous();
}

/**
 * Σ over rows of f(row pointer(s), channel) per channel, in double: partial sums per block of kRowsPerBlock rows
 * (computed in parallel), then added in block order. `k` sums are produced at once (f fills k accumulators).
 */
template <typename F>
std::vector<double> channelSums(int64_t n, int64_t c, int k, F f) {
  const int64_t blocks = (n + kRowsPerBlock - 1) / kRowsPerBlock;
  std::vector<double> part(static_cast<size_t>(blocks * k * c), 0.0);
  at::parallel_for(0, blocks, 1, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; b++) {
      double* acc = part.data() + b * k * c;
      const int64_t r1 = std::min(n, (b + 1) * kRowsPerBlock);
      for (int64_t r = b * kRowsPerBlock; r < r1; r++) f(r, acc);
    }
  });
  std::vector<double> out(static_cast<size_t>(k * c), 0.0);
  for (int64_t b = 0; b < blocks; b++)
    for (int64_t i = 0; i < k * c; i++) out[i] += part[b * k * c + i];
  return out;
}

/** The normalised, affine value of one element, the same float operations forward and backward (ReLU masks). */
inline float affine(float x, float mean, float scale, float beta) { return (x - mean) * scale + beta; }

/** Per-channel float32 scale gamma / sqrt(variance + eps) (the forward's, and the backward's ReLU mask). */
std::vector<float> scales(const float* gamma, const float* var, int64_t c, double eps) {
  std::vector<float> scale(c);
  for (int64_t j = 0; j < c; j++)
    scale[j] = gamma[j] * static_cast<float>(1.0 / std::sqrt(static_cast<double>(var[j]) + eps));
  return scale;
}

gmm::Tensors forwardOps(const at::Tensor& x, const at::Tensor& gamma, const at::Tensor& beta, double eps, bool relu) {
  const int64_t c = x.size(-1);
  const at::Tensor x2 = x.reshape({-1, c});
  const at::Tensor mean = x2.mean(0);
  const at::Tensor var = (x2 - mean).square().mean(0);
  at::Tensor y = (x - mean) * (gamma * at::rsqrt(var + eps)) + beta;
  if (relu) y = at::relu(y);
  return {y, mean, var};
}

gmm::Tensors backwardOps(const at::Tensor& dy, const at::Tensor& x, const at::Tensor& gamma, const at::Tensor& beta,
                         const at::Tensor& mean, const at::Tensor& var, double eps, bool relu) {
  const int64_t c = x.size(-1);
  const double n = static_cast<double>(x.numel() / c);
  const at::Tensor r = at::rsqrt(var + eps);
  at::Tensor g = dy;
  if (relu) g = at::where((x - mean) * (gamma * r) + beta > 0, dy, at::zeros_like(dy));
  const at::Tensor g2 = g.reshape({-1, c});
  const at::Tensor d = (x - mean).reshape({-1, c});
  const at::Tensor sg = g2.sum(0);
  const at::Tensor sgd = (g2 * d).sum(0);
  const at::Tensor dx = (gamma * r) * (g - sg / n - (x - mean) * (r * r) * sgd / n);
  return {dx, sgd * r, sg};
}

}  // namespace

GMM_OP(BatchNormTrain, "eps:float,relu:bool") {
  const Rows xr = rowsOf(in[0], "BatchNormTrain", "x");
  const int64_t n = xr.n, c = xr.c;
  const at::Tensor gamma = channelVector(in[1], c, "BatchNormTrain", "gamma");
  const at::Tensor beta = channelVector(in[2], c, "BatchNormTrain", "beta");
  const double eps = a.f("eps");
  const bool relu = a.b("relu");
  if (!xr.x.is_cpu()) return forwardOps(xr.x, gamma, beta, eps, relu);
  const float* px = xr.x.data_ptr<float>();
  const std::vector<double> sum = channelSums(n, c, 1, [&](int64_t r, double* acc) {
    const float* row = px + r * c;
    for (int64_t j = 0; j < c; j++) acc[j] += row[j];
  });
  at::Tensor mean = at::empty({c}, xr.x.options());
  at::Tensor var = at::empty({c}, xr.x.options());
  float* pm = mean.data_ptr<float>();
  std::vector<double> md(c);
  for (int64_t j = 0; j < c; j++) md[j] = sum[j] / static_cast<double>(n);
  const std::vector<double> ss = channelSums(n, c, 1, [&](int64_t r, double* acc) {
    const float* row = px + r * c;
    for (int64_t j = 0; j < c; j++) {
      const double d = row[j] - md[j];
      acc[j] += d * d;
    }
  });
  float* pv = var.data_ptr<float>();
  for (int64_t j = 0; j < c; j++) {
    pm[j] = static_cast<float>(md[j]);
    pv[j] = static_cast<float>(ss[j] / static_cast<double>(n));
  }
  const std::vector<float> scale = scales(gamma.data_ptr<float>(), pv, c, eps);
  const float* pb = beta.data_ptr<float>();
  at::Tensor y = at::empty_like(xr.x);
  float* py = y.data_ptr<float>();
  at::parallel_for(0, n, kRowsPerBlock, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
      const float* row = px + r * c;
      float* out = py + r * c;
      for (int64_t j = 0; j < c; j++) {
        const float v = affine(row[j], pm[j], scale[j], pb[j]);
        out[j] = relu && !(v > 0.0f) ? 0.0f : v;
      }
    }
  });
  return {y, mean, var};
}

GMM_OP(BatchNormTrainGrad, "eps:float,relu:bool") {
  const char* op = "BatchNormTrainGrad";
  const Rows xr = rowsOf(in[1], op, "x");
  const int64_t n = xr.n, c = xr.c;
  gmm::require(in[0].sizes() == xr.x.sizes(), std::string(op) + ": 'dy' and 'x' must have the same shape");
  const Rows dr = rowsOf(in[0], op, "dy");
  const at::Tensor gamma = channelVector(in[2], c, op, "gamma");
  const at::Tensor beta = channelVector(in[3], c, op, "beta");
  const at::Tensor mean = channelVector(in[4], c, op, "mean");
  const at::Tensor var = channelVector(in[5], c, op, "variance");
  const double eps = a.f("eps");
  const bool relu = a.b("relu");
  if (!xr.x.is_cpu()) return backwardOps(dr.x, xr.x, gamma, beta, mean, var, eps, relu);
  const float* px = xr.x.data_ptr<float>();
  const float* pd = dr.x.data_ptr<float>();
  const float* pm = mean.data_ptr<float>();
  const float* pb = beta.data_ptr<float>();
  const float* pg = gamma.data_ptr<float>();
  const std::vector<float> scale = scales(pg, var.data_ptr<float>(), c, eps);
  // g = dy, or dy where the forward's pre-activation was > 0 (the same float operations as the forward)
  auto grad = [&](int64_t i, int64_t j) {
    return relu && !(affine(px[i], pm[j], scale[j], pb[j]) > 0.0f) ? 0.0f : pd[i];
  };
  const std::vector<double> sums = channelSums(n, c, 2, [&](int64_t r, double* acc) {
    for (int64_t j = 0; j < c; j++) {
      const int64_t i = r * c + j;
      const double g = grad(i, j);
      acc[j] += g;
      acc[c + j] += g * (static_cast<double>(px[i]) - pm[j]);
    }
  });
  at::Tensor dgamma = at::empty({c}, xr.x.options());
  at::Tensor dbeta = at::empty({c}, xr.x.options());
  float* pdg = dgamma.data_ptr<float>();
  float* pdb = dbeta.data_ptr<float>();
  // dx = k1·g + k2·(x − mean) + k0 per channel, in double then rounded once
  std::vector<double> k1(c), k2(c), k0(c);
  const double dn = static_cast<double>(n);
  for (int64_t j = 0; j < c; j++) {
    const double r = 1.0 / std::sqrt(static_cast<double>(var.data_ptr<float>()[j]) + eps);
    pdb[j] = static_cast<float>(sums[j]);
    pdg[j] = static_cast<float>(sums[c + j] * r);
    k1[j] = pg[j] * r;
    k0[j] = -k1[j] * sums[j] / dn;
    k2[j] = -k1[j] * r * r * sums[c + j] / dn;
  }
  at::Tensor dx = at::empty_like(xr.x);
  float* po = dx.data_ptr<float>();
  at::parallel_for(0, n, kRowsPerBlock, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++)
      for (int64_t j = 0; j < c; j++) {
        const int64_t i = r * c + j;
        po[i] = static_cast<float>(k1[j] * grad(i, j) + k2[j] * (static_cast<double>(px[i]) - pm[j]) + k0[j]);
      }
  });
  return {dx, dgamma, dbeta};
}

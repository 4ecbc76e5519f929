// The scalar half of PixelScores (ops_pixel.cc): column interpolation, first argmax, the float exp and the loop that
// scores one output pixel at a time — the reference that the vector loop (pixel_lanes.cc) equals bit for bit.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

namespace gmm::pixel {

/** Source columns and weight of every output column (half-pixel centres, clamped; tfjs's rule). */
struct Columns {
  std::vector<int64_t> left, right;
  std::vector<float> frac;
};

inline Columns columns(int64_t w, int64_t W) {
  Columns c{std::vector<int64_t>(W), std::vector<int64_t>(W), std::vector<float>(W)};
  const double scale = static_cast<double>(w) / static_cast<double>(W);
  for (int64_t x = 0; x < W; x++) {
    const double src = (static_cast<double>(x) + 0.5) * scale - 0.5;
    const double f = std::floor(src);
    c.left[x] = std::max<int64_t>(0, static_cast<int64_t>(f));
    c.right[x] = std::min<int64_t>(w - 1, static_cast<int64_t>(std::ceil(src)));
    c.frac[x] = static_cast<float>(src - f);
  }
  return c;
}

struct Maps {
  const float* logits;
  const float* likelihoods;  // nullptr without the GMM head's maps
  int64_t w, C, W;
};

struct Outs {
  int32_t* classes;
  float* maxLogit;
  float* energy;
  float* msp;
  float* gmm;  // nullptr without likelihoods
};

/** Row `r`, output column `x` of `src` interpolated into `v` [C]. */
inline void interpolate(const float* src, const Maps& m, const Columns& cols, int64_t r, int64_t x, float* v) {
  const float* a = src + (r * m.w + cols.left[x]) * m.C;
  const float* b = src + (r * m.w + cols.right[x]) * m.C;
  const float f = cols.frac[x];
  if (f == 0.0f || a == b)
    for (int64_t c = 0; c < m.C; c++) v[c] = a[c];
  else
    for (int64_t c = 0; c < m.C; c++) v[c] = a[c] + (b[c] - a[c]) * f;
}

/** Max and first argmax of `r` [C] (NaN wins, as ATen's argmax). */
inline float rowMax(const float* r, int64_t C, int32_t* arg) {
  float m = r[0];
  int32_t a = 0;
  if (std::isnan(m)) {
    *arg = 0;
    return m;
  }
  for (int64_t c = 1; c < C; c++) {
    const float v = r[c];
    if (std::isnan(v)) {
      *arg = static_cast<int32_t>(c);
      return v;
    }
    if (v > m) {
      m = v;
      a = static_cast<int32_t>(c);
    }
  }
  *arg = a;
  return m;
}

/**
 * e^y = p · 2^k for y ∈ [−87, 0], F a float or a float vector (pixel_lanes.cc: one definition for both loops): k
 * rounded to nearest by the 1.5·2^23 trick (|y·log2 e| < 126; no libm call on baseline x86-64, no SSE4.1 roundss),
 * returns p. Always inlined, so a vector caller's target clone compiles it for its own instruction set.
 */
template <typename F>
inline __attribute__((always_inline)) F expReduced(F y, F* k) {
  *k = (y * 1.44269504f + 12582912.0f) - 12582912.0f;
  const F r = (y - *k * 0.693359375f) + *k * 2.12194440e-4f;
  return 1.0f + r * (1.0f + r * (0.5f + r * (1.0f / 6 + r * (1.0f / 24 + r * (1.0f / 120 + r * (1.0f / 720))))));
}

/**
 * exp(x) for x ≤ 0 in float: 2^k·e^r, k = round(x·log2 e), r = x − k·ln 2 (two-part ln 2), e^r by a degree-6 Taylor
 * polynomial (|r| ≤ ln2/2: relative error < 2e−7, about one float ulp); 0 below −87; NaN stays NaN. No libm call
 * (std::exp / std::nearbyint are calls on baseline x86-64).
 */
inline float expNonPositive(float x) {
  const bool under = x < -87.0f;
  const float y = x >= -87.0f ? x : -87.0f;  // NaN → −87 too: the int conversion below stays defined
  float k;
  const float p = expReduced(y, &k);
  const int32_t bits = (static_cast<int32_t>(k) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return x != x ? x : under ? 0.0f : p * scale;
}

/** Output pixel `i` = (row `r`, column `x`) one at a time, `v` [C] scratch: the reference the vector loop equals. */
inline void scorePixel(const Maps& in, const Columns& cols, const Outs& out, int64_t r, int64_t x, int64_t i,
                       float* v) {
  const int64_t C = in.C;
  interpolate(in.logits, in, cols, r, x, v);
  int32_t arg;
  const float m = rowMax(v, C, &arg);
  double s = 0;
  for (int64_t c = 0; c < C; c++) s += expNonPositive(v[c] - m);
  out.classes[i] = arg;
  out.maxLogit[i] = -m;
  out.energy[i] = static_cast<float>(-(m + std::log(s)));
  out.msp[i] = static_cast<float>(-1.0 / s);
  if (in.likelihoods) {
    interpolate(in.likelihoods, in, cols, r, x, v);
    int32_t unused;
    out.gmm[i] = -rowMax(v, C, &unused);
  }
}

/** Rows [r0, r1) of the output (W pixels each), one pixel at a time. */
inline void scoreRowsScalar(const Maps& in, const Columns& cols, const Outs& out, int64_t r0, int64_t r1) {
  std::vector<float> v(in.C);
  for (int64_t r = r0; r < r1; r++)
    for (int64_t x = 0, i = r * in.W; x < in.W; x++, i++) scorePixel(in, cols, out, r, x, i, v.data());
}

/**
 * Rows [r0, r1) of the output, 8 pixels per step (pixel_lanes.cc): the same bits as scoreRowsScalar, whose loop
 * also does the last W mod 8 pixels of a row and any 8 pixels with a NaN among their values.
 */
void scoreRowsVector(const Maps& in, const Columns& cols, const Outs& out, int64_t r0, int64_t r1);

}  // namespace gmm::pixel

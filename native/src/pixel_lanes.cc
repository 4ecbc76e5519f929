// The vector loop of PixelScores: 8 output pixels per step with GCC's vector extensions (compiled twice, for AVX2
// and for baseline x86-64, the CPU picks at load time; one generic build elsewhere). A row is done in chunks of
// kChunk output columns: first each map's chunk is interpolated into a planar scratch [C][kChunk] — the output
// columns that share a source column form a run, whose values are the broadcast source value plus the broadcast
// difference times each column's weight (no gathers) — then 8 pixels at a time take max, first argmax, the exp sum
// and the scores from contiguous loads. Every lane does the scalar loop's operations in the same order (ISO C++: no
// FMA contraction), so the outputs are the same bits as scoreRowsScalar (tested through the op's `scalar` attribute);
// 8 pixels with a NaN among their values, and a row's last W mod 8 pixels, are done by the scalar loop.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "pixel_scores.h"

namespace gmm::pixel {
namespace {

constexpr int64_t kLanes = 8;
constexpr int64_t kChunk = 128;  // output columns per chunk: a 19-class planar chunk is 10 KB
constexpr int64_t kStride = kChunk + kLanes;  // a run's last 8-lane store may reach kLanes − 1 past the chunk

// inlined into each target clone of scoreRowsVector, so they are compiled for its instruction set
#define LANES_INLINE inline __attribute__((always_inline))
// element-aligned (loads and stores at any float offset)
typedef float vf __attribute__((vector_size(32), aligned(4)));
typedef int32_t vi __attribute__((vector_size(32), aligned(4)));
typedef float vf4 __attribute__((vector_size(16)));
typedef double vd4 __attribute__((vector_size(32)));

LANES_INLINE vf splat(float x) { return vf{x, x, x, x, x, x, x, x}; }

template <typename V, typename T>
LANES_INLINE V load(const T* p) {
  V v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

template <typename V, typename T>
LANES_INLINE void store(T* p, V v) {
  std::memcpy(p, &v, sizeof v);
}

LANES_INLINE bool anyLane(vi m) {
  for (int l = 0; l < kLanes; l++)
    if (m[l]) return true;
  return false;
}

/** expNonPositive lane by lane (the same operations; the polynomial is the same expReduced). */
LANES_INLINE vf expLanes(vf x) {
  const vi under = x < splat(-87.0f);
  const vf y = x >= splat(-87.0f) ? x : splat(-87.0f);
  vf k;
  const vf p = expReduced(y, &k);
  const vi bits = (__builtin_convertvector(k, vi) + 127) << 23;
  const vf e = p * load<vf>(&bits);  // the bits as floats (2^k)
  return x != x ? x : (under ? splat(0.0f) : e);
}

/** Per-call column tables padded by kLanes: weight, and −1 where the scalar loop copies the left value. */
struct Lanes {
  std::vector<float> frac;
  std::vector<int32_t> keep;
};

Lanes lanesOf(const Columns& cols) {
  const int64_t W = static_cast<int64_t>(cols.frac.size());
  Lanes t{std::vector<float>(W + kLanes, 0.0f), std::vector<int32_t>(W + kLanes, -1)};
  for (int64_t x = 0; x < W; x++) {
    t.frac[x] = cols.frac[x];
    t.keep[x] = cols.frac[x] == 0.0f || cols.left[x] == cols.right[x] ? -1 : 0;
  }
  return t;
}

/**
 * Output columns [x0, x1) of one map row `row` [w, C] into `p` [C][kStride] (column x at p[c·kStride + x − x0]):
 * a + (b − a)·f as interpolate() does, a where it copies. Where the scalar loop interpolates, its right column is
 * the left one + 1, so b − a is the same difference for the whole run.
 */
LANES_INLINE void planarChunk(const float* row, int64_t w, int64_t C, const Columns& cols, const Lanes& t,
                              int64_t x0, int64_t x1, float* p) {
  for (int64_t x = x0; x < x1;) {
    const int64_t j = cols.left[x];
    int64_t end = x + 1;
    while (end < x1 && cols.left[end] == j) end++;
    const float* a = row + j * C;
    const float* b = row + std::min(j + 1, w - 1) * C;
    for (int64_t xx = x; xx < end; xx += kLanes) {
      const vf f = load<vf>(&t.frac[xx]);
      const vi keep = load<vi>(&t.keep[xx]);
      float* q = p + (xx - x0);
      for (int64_t c = 0; c < C; c++) {
        const vf va = splat(a[c]);
        store(q + c * kStride, keep ? va : va + splat(b[c] - a[c]) * f);
      }
    }
    x = end;
  }
}

/** Max and first argmax over the C planar lanes at `v`; `nan` gets the lanes with a NaN. */
LANES_INLINE vf maxLanes(const float* v, int64_t C, vi* arg, vi* nan) {
  vf m = load<vf>(v);
  vi a{};
  vi n = m != m;
  for (int64_t c = 1; c < C; c++) {
    const vf vc = load<vf>(v + c * kStride);
    n |= vc != vc;
    const vi gt = vc > m;
    m = gt ? vc : m;
    a = gt ? static_cast<int32_t>(c) + vi{} : a;
  }
  *arg = a;
  *nan = n;
  return m;
}

/** Output pixels i … i + 7 from planar logits `v` and likelihoods `u` (or nullptr); false if a value is NaN. */
LANES_INLINE bool scoreLanes(const float* v, const float* u, int64_t C, const Outs& out, int64_t i) {
  vi arg, nan;
  const vf m = maxLanes(v, C, &arg, &nan);
  vf g{};
  if (u) {
    vi unused, nanU;
    g = maxLanes(u, C, &unused, &nanU);
    nan |= nanU;
  }
  if (anyLane(nan)) return false;
  // the double sums of lanes 0–3 and 4–7 in two registers (one 8-lane double vector was kept on the stack)
  vd4 lo{}, hi{};
  for (int64_t c = 0; c < C; c++) {
    const vf e = expLanes(load<vf>(v + c * kStride) - m);
    lo += __builtin_convertvector((vf4{e[0], e[1], e[2], e[3]}), vd4);
    hi += __builtin_convertvector((vf4{e[4], e[5], e[6], e[7]}), vd4);
  }
  store(out.classes + i, arg);
  store(out.maxLogit + i, -m);
  const vf4 mspLo = __builtin_convertvector(-1.0 / lo, vf4);
  const vf4 mspHi = __builtin_convertvector(-1.0 / hi, vf4);
  store(out.msp + i, mspLo);
  store(out.msp + i + 4, mspHi);
  for (int l = 0; l < 4; l++) {
    out.energy[i + l] = static_cast<float>(-(m[l] + std::log(lo[l])));
    out.energy[i + 4 + l] = static_cast<float>(-(m[4 + l] + std::log(hi[l])));
  }
  if (u) store(out.gmm + i, -g);
  return true;
}

}  // namespace

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("avx2", "default")))
#endif
void scoreRowsVector(const Maps& in, const Columns& cols, const Outs& out, int64_t r0, int64_t r1) {
  const int64_t C = in.C;
  const int64_t W = in.W;
  const Lanes t = lanesOf(cols);
  std::vector<float> planar(2 * C * kStride), v(C);
  float* pL = planar.data();
  float* pS = in.likelihoods ? pL + C * kStride : nullptr;
  for (int64_t r = r0; r < r1; r++)
    for (int64_t x0 = 0; x0 < W; x0 += kChunk) {
      const int64_t x1 = std::min(W, x0 + kChunk);
      planarChunk(in.logits + r * in.w * C, in.w, C, cols, t, x0, x1, pL);
      if (pS) planarChunk(in.likelihoods + r * in.w * C, in.w, C, cols, t, x0, x1, pS);
      int64_t x = x0;
      for (; x + kLanes <= x1; x += kLanes)
        if (!scoreLanes(pL + (x - x0), pS ? pS + (x - x0) : nullptr, C, out, r * W + x))
          for (int64_t k = x; k < x + kLanes; k++) scorePixel(in, cols, out, r, k, r * W + k, v.data());
      for (; x < x1; x++) scorePixel(in, cols, out, r, x, r * W + x, v.data());
    }
}

}  // namespace gmm::pixel

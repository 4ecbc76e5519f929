;; The PixelScores kernel's loop in WebAssembly SIMD, for the wasm engine: it runs on the tfjs-wasm heap in place
;; (the memory is imported) and computes, for 4 pixels at a time, exactly what kernels/pixel-scores.ts's JavaScript
;; loop computes, in the same order with the same float64 operations (no fused multiply-add in either), so the
;; results are bit for bit the same:
;;   pass 1  first argmax of the logits (first NaN wins) and the row maximum m          f32x4, 4 pixels
;;   pass 2  s = Σ_c exp(l_c − m) in float64 (the JS kernel's exp: k = trunc(x·log2 e − ½), r = x − k·ln2, degree-7
;;           Taylor polynomial times 2^k, 0 below −44, NaN kept), msp = −1/s                       f64x2, 2 + 2 pixels
;;   pass 3  −max of the class log-likelihoods (first NaN wins)                                    f32x4, 4 pixels
;; energy = −(m + ln s) needs a logarithm: the caller finishes it from `sum` (float64 s) with Math.log.
;; Assembled by scripts/build-wasm-kernels.mjs into pixel-scores-wasm.ts (checked by tests/unit/engine).
(module
  (import "env" "memory" (memory 1))

  ;; one f32 of each of 4 rows `stride` bytes apart, starting at `p`
  (func $lanes (param $p i32) (param $stride i32) (result v128)
    (v128.load32_lane 3
      (i32.add (local.get $p) (i32.mul (local.get $stride) (i32.const 3)))
      (v128.load32_lane 2
        (i32.add (local.get $p) (i32.shl (local.get $stride) (i32.const 1)))
        (v128.load32_lane 1
          (i32.add (local.get $p) (local.get $stride))
          (v128.load32_lane 0 (local.get $p) (v128.const i64x2 0 0))))))

  ;; exp(x) for x ≤ 0 lane-wise, as kernels/pixel-scores.ts `expNonPositive`
  (func $exp (param $x v128) (result v128)
    (local $k v128) (local $r v128) (local $p v128)
    (local.set $k
      (i32x4.trunc_sat_f64x2_s_zero
        (f64x2.sub
          (f64x2.mul (local.get $x) (f64x2.splat (f64.const 0x1.71547652b82fep0)))
          (f64x2.splat (f64.const 0.5)))))
    (local.set $r
      (f64x2.sub
        (local.get $x)
        (f64x2.mul
          (f64x2.convert_low_i32x4_s (local.get $k))
          (f64x2.splat (f64.const 0x1.62e42fefa39efp-1)))))
    (local.set $p (f64x2.splat (f64.const 0x1.a01a01a01a01ap-13)))
    (local.set $p (f64x2.add (f64x2.splat (f64.const 0x1.6c16c16c16c17p-10)) (f64x2.mul (local.get $r) (local.get $p))))
    (local.set $p (f64x2.add (f64x2.splat (f64.const 0x1.1111111111111p-7)) (f64x2.mul (local.get $r) (local.get $p))))
    (local.set $p (f64x2.add (f64x2.splat (f64.const 0x1.5555555555555p-5)) (f64x2.mul (local.get $r) (local.get $p))))
    (local.set $p (f64x2.add (f64x2.splat (f64.const 0x1.5555555555555p-3)) (f64x2.mul (local.get $r) (local.get $p))))
    (local.set $p (f64x2.add (f64x2.splat (f64.const 0.5)) (f64x2.mul (local.get $r) (local.get $p))))
    (local.set $p (f64x2.add (f64x2.splat (f64.const 1)) (f64x2.mul (local.get $r) (local.get $p))))
    (local.set $p (f64x2.add (f64x2.splat (f64.const 1)) (f64x2.mul (local.get $r) (local.get $p))))
    ;; p · 2^k (2^k built from its exponent bits; k ∈ [−64, 0] where the lane is kept), then 0 where x < −44
    (v128.and
      (f64x2.mul
        (local.get $p)
        (i64x2.shl
          (i64x2.add (i64x2.extend_low_i32x4_s (local.get $k)) (i64x2.splat (i64.const 1023)))
          (i32.const 52)))
      (v128.or
        (f64x2.ge (local.get $x) (f64x2.splat (f64.const -44)))
        (f64x2.ne (local.get $x) (local.get $x)))))

  ;; the first maximum of C values per lane, each `stride` rows apart by 4 bytes per class; NaN once one is seen
  (func $rowMax (param $p i32) (param $stride i32) (param $C i32) (result v128)
    (local $m v128) (local $v v128) (local $nan v128) (local $seen v128) (local $c i32)
    (local.set $m (call $lanes (local.get $p) (local.get $stride)))
    (local.set $seen (f32x4.ne (local.get $m) (local.get $m)))
    (local.set $c (i32.const 1))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $c) (local.get $C)))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (local.set $v (call $lanes (local.get $p) (local.get $stride)))
        (local.set $nan (f32x4.ne (local.get $v) (local.get $v)))
        (local.set $m
          (v128.bitselect
            (local.get $v)
            (local.get $m)
            (v128.andnot (v128.or (f32x4.gt (local.get $v) (local.get $m)) (local.get $nan)) (local.get $seen))))
        (local.set $seen (v128.or (local.get $seen) (local.get $nan)))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $next)))
    (local.get $m))

  ;; pixels [0, n) of logits [n, C] (and likelihoods [n, C] when hasS ≠ 0), n a multiple of 4; outputs: classes i32,
  ;; maxLogit f32 (−m), sum f64 (s), msp f32 (−1/s), gmm f32 (−max log-likelihood)
  (func (export "pixelScores")
    (param $L i32) (param $S i32) (param $hasS i32) (param $n i32) (param $C i32)
    (param $cls i32) (param $maxL i32) (param $sum i32) (param $msp i32) (param $gmm i32)
    (local $i i32) (local $stride i32) (local $row i32) (local $p i32) (local $c i32)
    (local $m v128) (local $arg v128) (local $seen v128) (local $v v128) (local $nan v128) (local $upd v128)
    (local $mlo v128) (local $mhi v128) (local $slo v128) (local $shi v128)
    (local.set $stride (i32.shl (local.get $C) (i32.const 2)))
    (block $end
      (loop $group
        (br_if $end (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $row (i32.mul (local.get $i) (local.get $C)))
        ;; pass 1: first argmax and maximum
        (local.set $p (i32.add (local.get $L) (i32.shl (local.get $row) (i32.const 2))))
        (local.set $m (call $lanes (local.get $p) (local.get $stride)))
        (local.set $arg (v128.const i64x2 0 0))
        (local.set $seen (f32x4.ne (local.get $m) (local.get $m)))
        (local.set $c (i32.const 1))
        (block $done1
          (loop $next1
            (br_if $done1 (i32.ge_u (local.get $c) (local.get $C)))
            (local.set $p (i32.add (local.get $p) (i32.const 4)))
            (local.set $v (call $lanes (local.get $p) (local.get $stride)))
            (local.set $nan (f32x4.ne (local.get $v) (local.get $v)))
            (local.set $upd
              (v128.andnot (v128.or (f32x4.gt (local.get $v) (local.get $m)) (local.get $nan)) (local.get $seen)))
            (local.set $m (v128.bitselect (local.get $v) (local.get $m) (local.get $upd)))
            (local.set $arg (v128.bitselect (i32x4.splat (local.get $c)) (local.get $arg) (local.get $upd)))
            (local.set $seen (v128.or (local.get $seen) (local.get $nan)))
            (local.set $c (i32.add (local.get $c) (i32.const 1)))
            (br $next1)))
        (v128.store (i32.add (local.get $cls) (i32.shl (local.get $i) (i32.const 2))) (local.get $arg))
        (v128.store (i32.add (local.get $maxL) (i32.shl (local.get $i) (i32.const 2))) (f32x4.neg (local.get $m)))
        ;; pass 2: s = Σ exp(l − m) in float64, pixels i, i+1 (lo) and i+2, i+3 (hi)
        (local.set $mlo (f64x2.promote_low_f32x4 (local.get $m)))
        (local.set $mhi
          (f64x2.promote_low_f32x4
            (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $m) (local.get $m))))
        (local.set $slo (v128.const i64x2 0 0))
        (local.set $shi (v128.const i64x2 0 0))
        (local.set $p (i32.add (local.get $L) (i32.shl (local.get $row) (i32.const 2))))
        (local.set $c (i32.const 0))
        (block $done2
          (loop $next2
            (br_if $done2 (i32.ge_u (local.get $c) (local.get $C)))
            (local.set $v (call $lanes (local.get $p) (local.get $stride)))
            (local.set $slo
              (f64x2.add
                (local.get $slo)
                (call $exp (f64x2.sub (f64x2.promote_low_f32x4 (local.get $v)) (local.get $mlo)))))
            (local.set $shi
              (f64x2.add
                (local.get $shi)
                (call $exp
                  (f64x2.sub
                    (f64x2.promote_low_f32x4
                      (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $v) (local.get $v)))
                    (local.get $mhi)))))
            (local.set $p (i32.add (local.get $p) (i32.const 4)))
            (local.set $c (i32.add (local.get $c) (i32.const 1)))
            (br $next2)))
        (v128.store (i32.add (local.get $sum) (i32.shl (local.get $i) (i32.const 3))) (local.get $slo))
        (v128.store offset=16 (i32.add (local.get $sum) (i32.shl (local.get $i) (i32.const 3))) (local.get $shi))
        (v128.store64_lane 0
          (i32.add (local.get $msp) (i32.shl (local.get $i) (i32.const 2)))
          (f32x4.demote_f64x2_zero (f64x2.div (f64x2.splat (f64.const -1)) (local.get $slo))))
        (v128.store64_lane offset=8 0
          (i32.add (local.get $msp) (i32.shl (local.get $i) (i32.const 2)))
          (f32x4.demote_f64x2_zero (f64x2.div (f64x2.splat (f64.const -1)) (local.get $shi))))
        ;; pass 3: −max log-likelihood
        (if (local.get $hasS)
          (then
            (v128.store
              (i32.add (local.get $gmm) (i32.shl (local.get $i) (i32.const 2)))
              (f32x4.neg
                (call $rowMax
                  (i32.add (local.get $S) (i32.shl (local.get $row) (i32.const 2)))
                  (local.get $stride)
                  (local.get $C))))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $group))))
)

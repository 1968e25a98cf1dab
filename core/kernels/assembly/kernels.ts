// AssemblyScript source of the WebAssembly kernels (float32, 128-bit SIMD), compiled at `npm install`
// by scripts/build-wasm.ts. Pointers are byte offsets into the memory the JS side imports and owns.
// Rows are processed a column block at a time, with the block's partial sums held in registers, and
// only the non-zero entries of the sparse operand visited (gathered once per row into a scratch list).

// Scratch for one row's non-zeros: `idx` (i32) and `val` (f32), placed by the caller.
let scratchIdx: usize = 0;
let scratchVal: usize = 0;

export function setScratch(idx: usize, val: usize): void {
  scratchIdx = idx;
  scratchVal = val;
}

@inline function at(base: usize, i: i32): usize {
  return base + ((<usize>i) << 2);
}

@inline function keep(nnz: i32, p: i32, v: f32): i32 {
  store<i32>(at(scratchIdx, nnz), p);
  store<f32>(at(scratchVal, nnz), v);
  return nnz + i32(v != 0); // branch-free: zeros are too irregular for the branch predictor
}

// Gathers the non-zeros of a contiguous row into the scratch lists; returns their count. Runs of four
// zeros (MNIST's borders and background) are skipped a vector at a time.
@inline function compactRow(row: usize, len: i32): i32 {
  let nnz = 0;
  let p = 0;
  for (; p + 4 <= len; p += 4) {
    const v = v128.load(at(row, p));
    if (!v128.any_true(v)) continue;
    nnz = keep(nnz, p, f32x4.extract_lane(v, 0));
    nnz = keep(nnz, p + 1, f32x4.extract_lane(v, 1));
    nnz = keep(nnz, p + 2, f32x4.extract_lane(v, 2));
    nnz = keep(nnz, p + 3, f32x4.extract_lane(v, 3));
  }
  for (; p < len; p++) nnz = keep(nnz, p, load<f32>(at(row, p)));
  return nnz;
}

// Entries at the end of the value scratch kept free for block32's spill (32 numbers).
const SCRATCH_TAIL: i32 = 65536 - 32;

// Columns j … j+31 of one output row: Σ_q val[q] · b[idx[q], j …], all eight partial sums in registers for
// one pass over the non-zeros. Stores `count` (≤ 32) numbers; a partial block reads 32 wide past the row's
// end (those lanes are never stored), which the caller allows only where that memory exists.
@inline function block32(nnz: i32, b: usize, n: i32, j: i32, out: usize, count: i32): void {
  let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
  let s4 = f32x4.splat(0), s5 = f32x4.splat(0), s6 = f32x4.splat(0), s7 = f32x4.splat(0);
  for (let q = 0; q < nnz; q++) {
    const v = f32x4.splat(load<f32>(at(scratchVal, q)));
    const r = at(b, load<i32>(at(scratchIdx, q)) * n + j);
    s0 = f32x4.add(s0, f32x4.mul(v, v128.load(r)));
    s1 = f32x4.add(s1, f32x4.mul(v, v128.load(r, 16)));
    s2 = f32x4.add(s2, f32x4.mul(v, v128.load(r, 32)));
    s3 = f32x4.add(s3, f32x4.mul(v, v128.load(r, 48)));
    s4 = f32x4.add(s4, f32x4.mul(v, v128.load(r, 64)));
    s5 = f32x4.add(s5, f32x4.mul(v, v128.load(r, 80)));
    s6 = f32x4.add(s6, f32x4.mul(v, v128.load(r, 96)));
    s7 = f32x4.add(s7, f32x4.mul(v, v128.load(r, 112)));
  }
  // A full block goes straight out; a partial one is spilled to the scratch's tail and copied exactly.
  const dst = count == 32 ? out : at(scratchVal, SCRATCH_TAIL);
  v128.store(dst, s0); v128.store(dst, s1, 16); v128.store(dst, s2, 32); v128.store(dst, s3, 48);
  v128.store(dst, s4, 64); v128.store(dst, s5, 80); v128.store(dst, s6, 96); v128.store(dst, s7, 112);
  if (count < 32) memory.copy(out, dst, (<usize>count) << 2);
}

// out[row, :] = Σ_q val[q] · b[idx[q], :] for one output row, b being rows of length n.
@inline function combineRows(nnz: i32, b: usize, n: i32, outRow: usize, overRead: bool): void {
  let j = 0;
  for (; j + 32 <= n; j += 32) block32(nnz, b, n, j, at(outRow, j), 32);
  if (j == n) return;
  if (overRead) {
    block32(nnz, b, n, j, at(outRow, j), n - j);
    return;
  }
  for (; j + 4 <= n; j += 4) {
    let s = f32x4.splat(0);
    for (let q = 0; q < nnz; q++) {
      s = f32x4.add(s, f32x4.mul(f32x4.splat(load<f32>(at(scratchVal, q))), v128.load(at(b, load<i32>(at(scratchIdx, q)) * n + j))));
    }
    v128.store(at(outRow, j), s);
  }
  for (; j < n; j++) {
    let s: f32 = 0;
    for (let q = 0; q < nnz; q++) s += load<f32>(at(scratchVal, q)) * load<f32>(at(b, load<i32>(at(scratchIdx, q)) * n + j));
    store<f32>(at(outRow, j), s);
  }
}

/** out (m×n) = a (m×k) · b (k×n). */
export function matmulNN(a: usize, b: usize, out: usize, m: i32, k: i32, n: i32): void {
  // A partial column block reads up to 32 numbers past a row of b: allowed when that stays inside memory
  // (and the spill area is clear of the non-zero lists).
  const overRead = k < SCRATCH_TAIL && at(b, k * n + 32) <= (<usize>memory.size() << 16);
  for (let i = 0; i < m; i++) combineRows(compactRow(at(a, i * k), k), b, n, at(out, i * n), overRead);
}

/**
 * out (m×n) = aᵀ · b for a (k×m), b (k×n): the weight gradient xᵀ·δ. The rows of a (examples) are few
 * and long: each is compacted once, and each of its non-zeros adds a scaled row of b into out.
 */
export function matmulTN(a: usize, b: usize, out: usize, m: i32, k: i32, n: i32): void {
  memory.fill(out, 0, (<usize>(m * n)) << 2);
  for (let p = 0; p < k; p++) {
    const nnz = compactRow(at(a, p * m), m);
    const br = at(b, p * n);
    for (let q = 0; q < nnz; q++) {
      const s = load<f32>(at(scratchVal, q));
      const v = f32x4.splat(s);
      const o = at(out, load<i32>(at(scratchIdx, q)) * n);
      let j = 0;
      for (; j + 4 <= n; j += 4) v128.store(at(o, j), f32x4.add(v128.load(at(o, j)), f32x4.mul(v, v128.load(at(br, j)))));
      for (; j < n; j++) store<f32>(at(o, j), load<f32>(at(o, j)) + s * load<f32>(at(br, j)));
    }
  }
}

/** out (m×n) = a (m×k) · bᵀ for b (n×k): dot products of rows. */
export function matmulNT(a: usize, b: usize, out: usize, m: i32, k: i32, n: i32): void {
  for (let i = 0; i < m; i++) {
    const ar = at(a, i * k);
    for (let j = 0; j < n; j++) {
      const br = at(b, j * k);
      let s = f32x4.splat(0);
      let p = 0;
      for (; p + 4 <= k; p += 4) s = f32x4.add(s, f32x4.mul(v128.load(at(ar, p)), v128.load(at(br, p))));
      let t: f32 = f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1) + f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3);
      for (; p < k; p++) t += load<f32>(at(ar, p)) * load<f32>(at(br, p));
      store<f32>(at(out, i * n + j), t);
    }
  }
}

/** out = alpha·x + y. */
export function axpy(alpha: f32, x: usize, y: usize, out: usize, len: i32): void {
  const av = f32x4.splat(alpha);
  let i = 0;
  for (; i + 4 <= len; i += 4) v128.store(at(out, i), f32x4.add(f32x4.mul(av, v128.load(at(x, i))), v128.load(at(y, i))));
  for (; i < len; i++) store<f32>(at(out, i), alpha * load<f32>(at(x, i)) + load<f32>(at(y, i)));
}

// out[i] = f32(bytes[i]) / divisor for `len` bytes: pixels to [0, 1].
@inline function convertBytes(bytes: usize, out: usize, len: i32, divisor: f32): void {
  const d = f32x4.splat(divisor);
  let i = 0;
  for (; i + 16 <= len; i += 16) {
    const v = v128.load(bytes + <usize>i);
    const lo = i16x8.extend_low_i8x16_u(v), hi = i16x8.extend_high_i8x16_u(v);
    const o = at(out, i);
    v128.store(o, f32x4.div(f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(lo)), d));
    v128.store(o, f32x4.div(f32x4.convert_i32x4_u(i32x4.extend_high_i16x8_u(lo)), d), 16);
    v128.store(o, f32x4.div(f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(hi)), d), 32);
    v128.store(o, f32x4.div(f32x4.convert_i32x4_u(i32x4.extend_high_i16x8_u(hi)), d), 48);
  }
  for (; i < len; i++) store<f32>(at(out, i), <f32>load<u8>(bytes + <usize>i) / divisor);
}

/** out[i] = f32(bytes[i]) / divisor for `len` bytes. */
export function bytesToFloat(bytes: usize, out: usize, len: i32, divisor: f32): void {
  convertBytes(bytes, out, len, divisor);
}

/** Row r of out = row rows[r] of the byte matrix at `bytes` / divisor; the row numbers are in the index scratch. */
export function gatherRows(bytes: usize, count: i32, rowLength: i32, divisor: f32, out: usize): void {
  for (let r = 0; r < count; r++) {
    const row = <usize>load<i32>(at(scratchIdx, r));
    convertBytes(bytes + row * <usize>rowLength, at(out, r * rowLength), rowLength, divisor);
  }
}

/** out[i] = 1 / (1 + e^(−x[i])), in the form that never overflows. */
export function sigmoid(x: usize, out: usize, len: i32): void {
  for (let i = 0; i < len; i++) {
    const v = load<f32>(at(x, i));
    let s: f32;
    if (v >= 0) s = 1 / (1 + Mathf.exp(-v));
    else {
      const e = Mathf.exp(v);
      s = e / (1 + e);
    }
    store<f32>(at(out, i), s);
  }
}

/** Where AssemblyScript's own static data (exp's tables) ends: the JS side must keep its arrays above it. */
export function staticDataEnd(): usize {
  return __heap_base;
}

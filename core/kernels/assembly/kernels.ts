// AssemblyScript source of the WebAssembly kernels (float32, 128-bit SIMD), compiled at `npm install`
// by scripts/build-wasm.ts. Pointers are byte offsets into the memory the JS side imports and owns.
// Rows are processed a column block at a time, with the block's partial sums held in registers, and
// only the non-zero entries of the sparse operand visited (gathered once per row into a scratch list).

// Scratch for one row's non-zeros: `idx` (i32) and `val` (f32), placed by the caller.
let scratchIdx: usize = 0;
let scratchVal: usize = 0;
// Room for a transposed operand (TEMP_ENTRIES numbers), so narrow products with a transpose run as a · b.
// TEMP_ENTRIES, SCRATCH_TAIL, TN_TRANSPOSE_BELOW, TN_REGISTER_WIDTH, RECORD_WORDS and `run` come from
// core/kernels/wasm-contract.ts: the build appends them to this source (scripts/build-wasm.ts).
let temp: usize = 0;

export function setScratch(idx: usize, val: usize, tmp: usize): void {
  scratchIdx = idx;
  scratchVal = val;
  temp = tmp;
}

@inline function at(base: usize, i: i32): usize {
  return base + ((<usize>i) << 2);
}

@inline function keep(nnz: i32, p: i32, v: f32): i32 {
  store<i32>(at(scratchIdx, nnz), p);
  store<f32>(at(scratchVal, nnz), v);
  return nnz + i32(v != 0); // branch-free: zeros are too irregular for the branch predictor
}

// For each 4-bit mask of non-zero lanes, the byte shuffle that moves those lanes to the front (0x80: zero).
const COMPRESS = memory.data<u8>([
  0x80,0x80,0x80,0x80, 0x80,0x80,0x80,0x80, 0x80,0x80,0x80,0x80, 0x80,0x80,0x80,0x80,
  0,1,2,3, 0x80,0x80,0x80,0x80, 0x80,0x80,0x80,0x80, 0x80,0x80,0x80,0x80,
  4,5,6,7, 0x80,0x80,0x80,0x80, 0x80,0x80,0x80,0x80, 0x80,0x80,0x80,0x80,
  0,1,2,3, 4,5,6,7, 0x80,0x80,0x80,0x80, 0x80,0x80,0x80,0x80,
  8,9,10,11, 0x80,0x80,0x80,0x80, 0x80,0x80,0x80,0x80, 0x80,0x80,0x80,0x80,
  0,1,2,3, 8,9,10,11, 0x80,0x80,0x80,0x80, 0x80,0x80,0x80,0x80,
  4,5,6,7, 8,9,10,11, 0x80,0x80,0x80,0x80, 0x80,0x80,0x80,0x80,
  0,1,2,3, 4,5,6,7, 8,9,10,11, 0x80,0x80,0x80,0x80,
  12,13,14,15, 0x80,0x80,0x80,0x80, 0x80,0x80,0x80,0x80, 0x80,0x80,0x80,0x80,
  0,1,2,3, 12,13,14,15, 0x80,0x80,0x80,0x80, 0x80,0x80,0x80,0x80,
  4,5,6,7, 12,13,14,15, 0x80,0x80,0x80,0x80, 0x80,0x80,0x80,0x80,
  0,1,2,3, 4,5,6,7, 12,13,14,15, 0x80,0x80,0x80,0x80,
  8,9,10,11, 12,13,14,15, 0x80,0x80,0x80,0x80, 0x80,0x80,0x80,0x80,
  0,1,2,3, 8,9,10,11, 12,13,14,15, 0x80,0x80,0x80,0x80,
  4,5,6,7, 8,9,10,11, 12,13,14,15, 0x80,0x80,0x80,0x80,
  0,1,2,3, 4,5,6,7, 8,9,10,11, 12,13,14,15,
]);
// Gathers the non-zeros of a contiguous row into the scratch lists; returns their count. A vector of
// four is compressed with one shuffle (both its values and their positions), and runs of four zeros
// (MNIST's borders and background) are skipped.
@inline function compactRow(row: usize, len: i32, base: i32 = 0): i32 {
  let nnz = base;
  let p = 0;
  let positions = i32x4(0, 1, 2, 3);
  for (; p + 4 <= len; p += 4, positions = i32x4.add(positions, i32x4.splat(4))) {
    const v = v128.load(at(row, p));
    const mask = i32x4.bitmask(f32x4.ne(v, f32x4.splat(0)));
    if (mask == 0) continue;
    const shuffle = v128.load(COMPRESS + ((<usize>mask) << 4));
    v128.store(at(scratchVal, nnz), i8x16.swizzle(v, shuffle));
    v128.store(at(scratchIdx, nnz), i8x16.swizzle(positions, shuffle));
    nnz += popcnt(mask);
  }
  for (; p < len; p++) nnz = keep(nnz, p, load<f32>(at(row, p)));
  return nnz - base;
}


// Columns j … j+31 of one output row: Σ_q val[q] · b[idx[q], j …], all eight partial sums in registers for
// one pass over the non-zeros. Stores `count` (≤ 32) numbers; a partial block reads 32 wide past the row's
// end (those lanes are never stored), which the caller allows only where that memory exists.
@inline function block32(nnz: i32, b: usize, n: i32, j: i32, out: usize, count: i32, direct: bool = false, from: i32 = 0): void {
  let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
  let s4 = f32x4.splat(0), s5 = f32x4.splat(0), s6 = f32x4.splat(0), s7 = f32x4.splat(0);
  for (let q = from, end = from + nnz; q < end; q++) {
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
  const straight = direct || count == 32;
  const dst = straight ? out : at(scratchVal, SCRATCH_TAIL);
  v128.store(dst, s0); v128.store(dst, s1, 16); v128.store(dst, s2, 32); v128.store(dst, s3, 48);
  v128.store(dst, s4, 64); v128.store(dst, s5, 80); v128.store(dst, s6, 96); v128.store(dst, s7, 112);
  if (!straight) memory.copy(out, dst, (<usize>count) << 2);
}

// Columns j … j+39 (ten vectors), `count` (33-40) of them stored: rows of 33 to 40 numbers (a convolution's
// 40 maps) in one pass over the non-zeros instead of two.
@inline function block40(nnz: i32, b: usize, n: i32, j: i32, out: usize, count: i32, direct: bool): void {
  let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0), s4 = f32x4.splat(0);
  let s5 = f32x4.splat(0), s6 = f32x4.splat(0), s7 = f32x4.splat(0), s8 = f32x4.splat(0), s9 = f32x4.splat(0);
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
    s8 = f32x4.add(s8, f32x4.mul(v, v128.load(r, 128)));
    s9 = f32x4.add(s9, f32x4.mul(v, v128.load(r, 144)));
  }
  const straight = direct || count == 40;
  const dst = straight ? out : at(scratchVal, SCRATCH_TAIL - 32);
  v128.store(dst, s0); v128.store(dst, s1, 16); v128.store(dst, s2, 32); v128.store(dst, s3, 48); v128.store(dst, s4, 64);
  v128.store(dst, s5, 80); v128.store(dst, s6, 96); v128.store(dst, s7, 112); v128.store(dst, s8, 128); v128.store(dst, s9, 144);
  if (!straight) memory.copy(out, dst, (<usize>count) << 2);
}

// Narrower blocks for a row's last columns, so a narrow product (n = 10) does not compute 32 columns.
@inline function block16(nnz: i32, b: usize, n: i32, j: i32, out: usize, count: i32, direct: bool = false, from: i32 = 0): void {
  let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
  for (let q = from, end = from + nnz; q < end; q++) {
    const v = f32x4.splat(load<f32>(at(scratchVal, q)));
    const r = at(b, load<i32>(at(scratchIdx, q)) * n + j);
    s0 = f32x4.add(s0, f32x4.mul(v, v128.load(r)));
    s1 = f32x4.add(s1, f32x4.mul(v, v128.load(r, 16)));
    s2 = f32x4.add(s2, f32x4.mul(v, v128.load(r, 32)));
    s3 = f32x4.add(s3, f32x4.mul(v, v128.load(r, 48)));
  }
  const dst = direct ? out : at(scratchVal, SCRATCH_TAIL);
  v128.store(dst, s0); v128.store(dst, s1, 16); v128.store(dst, s2, 32); v128.store(dst, s3, 48);
  if (!direct) memory.copy(out, dst, (<usize>count) << 2);
}

@inline function block8(nnz: i32, b: usize, n: i32, j: i32, out: usize, count: i32, direct: bool = false, from: i32 = 0): void {
  let s0 = f32x4.splat(0), s1 = f32x4.splat(0);
  for (let q = from, end = from + nnz; q < end; q++) {
    const v = f32x4.splat(load<f32>(at(scratchVal, q)));
    const r = at(b, load<i32>(at(scratchIdx, q)) * n + j);
    s0 = f32x4.add(s0, f32x4.mul(v, v128.load(r)));
    s1 = f32x4.add(s1, f32x4.mul(v, v128.load(r, 16)));
  }
  const dst = direct ? out : at(scratchVal, SCRATCH_TAIL);
  v128.store(dst, s0); v128.store(dst, s1, 16);
  if (!direct) memory.copy(out, dst, (<usize>count) << 2);
}

// Columns j … j+51 (13 vectors, `count` ≤ 52 of them stored): for rows of 53 to 104 numbers, two passes over
// the non-zeros instead of four (784-100-10's first layer). Reads 52 wide as block32 reads 32.
@inline function block52(nnz: i32, b: usize, n: i32, j: i32, out: usize, count: i32): void {
  let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0), s4 = f32x4.splat(0);
  let s5 = f32x4.splat(0), s6 = f32x4.splat(0), s7 = f32x4.splat(0), s8 = f32x4.splat(0), s9 = f32x4.splat(0);
  let s10 = f32x4.splat(0), s11 = f32x4.splat(0), s12 = f32x4.splat(0);
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
    s8 = f32x4.add(s8, f32x4.mul(v, v128.load(r, 128)));
    s9 = f32x4.add(s9, f32x4.mul(v, v128.load(r, 144)));
    s10 = f32x4.add(s10, f32x4.mul(v, v128.load(r, 160)));
    s11 = f32x4.add(s11, f32x4.mul(v, v128.load(r, 176)));
    s12 = f32x4.add(s12, f32x4.mul(v, v128.load(r, 192)));
  }
  const dst = count == 52 ? out : at(scratchVal, SCRATCH_TAIL - 32);
  v128.store(dst, s0); v128.store(dst, s1, 16); v128.store(dst, s2, 32); v128.store(dst, s3, 48);
  v128.store(dst, s4, 64); v128.store(dst, s5, 80); v128.store(dst, s6, 96); v128.store(dst, s7, 112);
  v128.store(dst, s8, 128); v128.store(dst, s9, 144); v128.store(dst, s10, 160); v128.store(dst, s11, 176);
  v128.store(dst, s12, 192);
  if (count < 52) memory.copy(out, dst, (<usize>count) << 2);
}

// out[row, :] = Σ_q val[q] · b[idx[q], :] for one output row, b being rows of length n.
@inline function combineRows(nnz: i32, b: usize, n: i32, outRow: usize, overRead: bool, after: i32): void {
  // Rows of 53 to 104: 52 columns, then the rest in the narrowest block that holds it (two passes, not four).
  if (overRead && n > 52 && n <= 104 && nnz < SCRATCH_TAIL - 32) {
    block52(nnz, b, n, 0, outRow, 52);
    const rest = n - 52, o = at(outRow, 52);
    if (rest > 32) block52(nnz, b, n, 52, o, rest);
    else if (rest > 16) block32(nnz, b, n, 52, o, rest);
    else if (rest > 8) block16(nnz, b, n, 52, o, rest);
    else block8(nnz, b, n, 52, o, rest);
    return;
  }
  if (overRead && n > 32 && n <= 40 && nnz < SCRATCH_TAIL - 32) {
    block40(nnz, b, n, 0, outRow, n, 40 - n <= after);
    return;
  }
  let j = 0;
  for (; j + 32 <= n; j += 32) block32(nnz, b, n, j, at(outRow, j), 32);
  if (j == n) return;
  if (overRead) {
    // The extra lanes of the last block go straight into the rows after this one (written later) when
    // there are enough of them; the last row's are spilled and its numbers copied.
    const count = n - j;
    if (count <= 8) block8(nnz, b, n, j, at(outRow, j), count, 8 - count <= after);
    else if (count <= 16) block16(nnz, b, n, j, at(outRow, j), count, 16 - count <= after);
    else block32(nnz, b, n, j, at(outRow, j), count, 32 - count <= after);
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

// Whether matmulNNColumns can take these rows: every row's non-zeros fit the lists (clear of the spill area),
// their starts fit at the end of this thread's temporary space (above a, when a is there), and blocks may
// read 32 numbers past b's rows.
@inline function columnsFit(b: usize, m: i32, k: i32, n: i32): bool {
  return n > 32 && m * k <= SCRATCH_TAIL - 64 && m * k + m + 1 <= TEMP_ENTRIES && at(b, k * n + 32) <= (<usize>memory.size() << 16);
}

/**
 * out (m×n) = a (m×k) · b (k×n) for few rows of a long inner dimension and wide rows of out (a convolution's
 * weight gradient, aᵀ transposed): all the rows' non-zeros are gathered first, then out is computed a
 * column block at a time for every row, so that block of b (k rows of 32 numbers) is read from cache m times
 * instead of from memory. Each number is summed as matmulNN sums it: the same numbers. (Callers check
 * columnsFit; a block's extra lanes are spilled, since the next row's first block is written already.)
 */
function matmulNNColumns(a: usize, b: usize, out: usize, m: i32, k: i32, n: i32): void {
  const starts = at(temp, TEMP_ENTRIES - m - 1);
  let total = 0;
  for (let i = 0; i < m; i++) {
    store<i32>(at(starts, i), total);
    total += compactRow(at(a, i * k), k, total);
  }
  store<i32>(at(starts, m), total);
  let j = 0;
  for (; j + 32 <= n; j += 32) {
    for (let i = 0; i < m; i++) {
      const from = load<i32>(at(starts, i));
      block32(load<i32>(at(starts, i + 1)) - from, b, n, j, at(out, i * n + j), 32, true, from);
    }
  }
  if (j == n) return;
  const count = n - j;
  for (let i = 0; i < m; i++) {
    const from = load<i32>(at(starts, i)), nnz = load<i32>(at(starts, i + 1)) - from, o = at(out, i * n + j);
    if (count <= 8) block8(nnz, b, n, j, o, count, false, from);
    else if (count <= 16) block16(nnz, b, n, j, o, count, false, from);
    else block32(nnz, b, n, j, o, count, false, from);
  }
}

/** out (m×n) = a (m×k) · b (k×n). */
export function matmulNN(a: usize, b: usize, out: usize, m: i32, k: i32, n: i32): void {
  matmulNNPart(a, b, out, m, k, n, 0, k);
}

/**
 * out (m×n) = a[:, lo … hi−1] · b[lo … hi−1, :]: the product over part of the inner dimension. Two threads
 * each take a part (and add the two results), so each reads only its own rows of b: the rows it also
 * writes in the weight gradient and the update, which then stay in its own core's cache.
 */
export function matmulNNPart(a: usize, b: usize, out: usize, m: i32, k: i32, n: i32, lo: i32, hi: i32): void {
  // A partial column block reads up to 32 numbers past a row of b: allowed when that stays inside memory
  // (and the spill area is clear of the non-zero lists).
  const overRead = k < SCRATCH_TAIL && at(b, k * n + 32) <= (<usize>memory.size() << 16);
  const rows = at(b, lo * n);
  for (let i = 0; i < m; i++) combineRows(compactRow(at(a, i * k + lo), hi - lo), rows, n, at(out, i * n), overRead, (m - 1 - i) * n);
}

/** out[i] += x[i]: adds the helper thread's part of a product. */
export function addInto(out: usize, x: usize, len: i32): void {
  let i = 0;
  for (; i + 4 <= len; i += 4) v128.store(at(out, i), f32x4.add(v128.load(at(out, i)), v128.load(at(x, i))));
  for (; i < len; i++) store<f32>(at(out, i), load<f32>(at(out, i)) + load<f32>(at(x, i)));
}


/**
 * out (m×n) = aᵀ · b for a (k×m), b (k×n): the weight gradient xᵀ·δ, with a's rows (examples) few and
 * long and mostly zero.
 */
export function matmulTN(a: usize, b: usize, out: usize, m: i32, k: i32, n: i32): void {
  if (n <= TN_TRANSPOSE_BELOW && m * k <= TEMP_ENTRIES) {
    // Narrow rows of out: scattering into them is mostly loop overhead, so transpose a and multiply.
    transposeTiles(a, temp, k, m);
    matmulNN(temp, b, out, m, k, n);
    return;
  }
  matmulTNRows(a, b, out, m, k, n, 0, m, 0, 0);
}


/**
 * Rows lo … hi−1 of matmulTN's out (rows are independent: two threads may split them); with c ≠ 0, fused
 * with the update that reads it: those rows of alpha·aᵀb + c. With at most 32 examples (rows of a) and
 * rows of out up to TN_REGISTER_WIDTH wide, each row of out is summed in registers, 32 columns at a time,
 * over the examples where its pixel is non-zero (found from a bit mask per pixel) and written once; a
 * pixel no example has gets c's row plus alpha·(+0) with no products; otherwise the non-zeros are
 * scattered into out. Both add the examples in order from zero: the same numbers.
 */
export function matmulTNRows(a: usize, b: usize, out: usize, m: i32, k: i32, n: i32, lo: i32, hi: i32, alpha: f32, c: usize): void {
  // (A register block reads 32 numbers from each row of b, and of c: past their ends, which must stay in memory.)
  const end = <usize>memory.size() << 16;
  if (k > 32 || n > TN_REGISTER_WIDTH || at(b, k * n + 32) > end || (c != 0 && at(c, m * n + 32) > end)) {
    // Many examples (a convolution's positions): all the rows, when a fits the temporary space, as aᵀ
    // transposed and multiplied (its rows' sums in registers, as scatterRows adds them: the same numbers);
    // else (or a thread's share of the rows) scattered.
    if (lo == 0 && hi == m && m * k <= TEMP_ENTRIES) {
      transposeTiles(a, temp, k, m);
      if (columnsFit(b, m, k, n)) matmulNNColumns(temp, b, out, m, k, n);
      else matmulNN(temp, b, out, m, k, n);
    } else scatterRows(a, b, out, m, k, n, lo, hi);
    if (c != 0) axpy(alpha, at(out, lo * n), at(c, lo * n), at(out, lo * n), (hi - lo) * n);
    return;
  }
  const len = hi - lo;
  // masks[p]: bit i set where a[i, lo + p] is non-zero.
  const masks = scratchIdx;
  memory.fill(masks, 0, (<usize>len) << 2);
  const zero = f32x4.splat(0);
  for (let i = 0; i < k; i++) {
    const row = at(a, i * m + lo);
    const bit = i32x4.splat(1 << i);
    let p = 0;
    for (; p + 4 <= len; p += 4) {
      const mp = at(masks, p);
      v128.store(mp, v128.or(v128.load(mp), v128.and(f32x4.ne(v128.load(at(row, p)), zero), bit)));
    }
    for (; p < len; p++) if (load<f32>(at(row, p)) != 0) store<i32>(at(masks, p), load<i32>(at(masks, p)) | (1 << i));
  }
  // What the update adds for a pixel no example has: alpha·(+0), as the sums would give it.
  const none = f32x4.mul(f32x4.splat(alpha), zero);
  if (n <= 32) {
    // One block (the seed's 30): without the loop below V8 keeps more in registers (callgrind: 12% fewer instructions).
    for (let p = 0; p < len; p++) rowBlock(load<i32>(at(masks, p)), at(a, lo + p), m, b, n, 0, alpha, none, c, out, lo + p, p + 1 < len, 8);
    return;
  }
  // Wider rows: blocks of 32 columns, and a narrower one for the last few (100 = 3·32 + 4).
  for (let p = 0; p < len; p++) {
    const mask = load<i32>(at(masks, p)), column = at(a, lo + p), more = p + 1 < len;
    let j = 0;
    for (; j + 32 <= n; j += 32) rowBlock(mask, column, m, b, n, j, alpha, none, c, out, lo + p, more, 8);
    const rest = n - j;
    if (rest > 16) rowBlock(mask, column, m, b, n, j, alpha, none, c, out, lo + p, more, 8);
    else if (rest > 8) rowBlock(mask, column, m, b, n, j, alpha, none, c, out, lo + p, more, 4);
    else if (rest > 0) rowBlock(mask, column, m, b, n, j, alpha, none, c, out, lo + p, more, 2);
  }
}

// Columns j … j + 4·vectors − 1 (as many of them as row `row` of out has) of matmulTNRows' out: Σ over
// the examples i in `mask` (in order) of a[i, pixel]·b[i, j …], then with c ≠ 0 alpha·that + c's row. A
// pixel no example has (half of a batch's) gets c's row plus `none` (alpha·(+0)), with no products. The
// block may store past the row's end into the next row (written after it) when `more` rows follow.
// `vectors` is 2, 4 or 8, a constant at each call: what it leaves out is compiled away.
@inline function rowBlock(mask: i32, column: usize, m: i32, b: usize, n: i32, j: i32, alpha: f32, none: v128, c: usize, out: usize, row: i32, more: bool, vectors: i32): void {
  const width = vectors * 4, count = min(width, n - j);
  // (Not when out is c: the next row's c would be overwritten before it is read.)
  const direct = count == width || (more && width - count <= n && out != c);
  const dst = direct ? at(out, row * n + j) : at(scratchVal, SCRATCH_TAIL);
  const cj = at(c, row * n + j);
  let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
  let s4 = f32x4.splat(0), s5 = f32x4.splat(0), s6 = f32x4.splat(0), s7 = f32x4.splat(0);
  if (mask == 0) {
    if (c != 0) {
      s0 = f32x4.add(none, v128.load(cj)); s1 = f32x4.add(none, v128.load(cj, 16));
      if (vectors > 2) { s2 = f32x4.add(none, v128.load(cj, 32)); s3 = f32x4.add(none, v128.load(cj, 48)); }
      if (vectors > 4) {
        s4 = f32x4.add(none, v128.load(cj, 64)); s5 = f32x4.add(none, v128.load(cj, 80));
        s6 = f32x4.add(none, v128.load(cj, 96)); s7 = f32x4.add(none, v128.load(cj, 112));
      }
    }
  } else {
    for (let left = mask; left != 0; left &= left - 1) {
      const i = ctz(left);
      const v = f32x4.splat(load<f32>(at(column, i * m)));
      const r = at(b, i * n + j);
      s0 = f32x4.add(s0, f32x4.mul(v, v128.load(r)));
      s1 = f32x4.add(s1, f32x4.mul(v, v128.load(r, 16)));
      if (vectors > 2) {
        s2 = f32x4.add(s2, f32x4.mul(v, v128.load(r, 32)));
        s3 = f32x4.add(s3, f32x4.mul(v, v128.load(r, 48)));
      }
      if (vectors > 4) {
        s4 = f32x4.add(s4, f32x4.mul(v, v128.load(r, 64)));
        s5 = f32x4.add(s5, f32x4.mul(v, v128.load(r, 80)));
        s6 = f32x4.add(s6, f32x4.mul(v, v128.load(r, 96)));
        s7 = f32x4.add(s7, f32x4.mul(v, v128.load(r, 112)));
      }
    }
    if (c != 0) {
      // Fused with the update that consumes the product: alpha·(this row) + c's row, the same operations as
      // storing the row and then running axpy over it.
      const av = f32x4.splat(alpha);
      s0 = f32x4.add(f32x4.mul(av, s0), v128.load(cj));
      s1 = f32x4.add(f32x4.mul(av, s1), v128.load(cj, 16));
      if (vectors > 2) {
        s2 = f32x4.add(f32x4.mul(av, s2), v128.load(cj, 32));
        s3 = f32x4.add(f32x4.mul(av, s3), v128.load(cj, 48));
      }
      if (vectors > 4) {
        s4 = f32x4.add(f32x4.mul(av, s4), v128.load(cj, 64));
        s5 = f32x4.add(f32x4.mul(av, s5), v128.load(cj, 80));
        s6 = f32x4.add(f32x4.mul(av, s6), v128.load(cj, 96));
        s7 = f32x4.add(f32x4.mul(av, s7), v128.load(cj, 112));
      }
    }
  }
  v128.store(dst, s0); v128.store(dst, s1, 16);
  if (vectors > 2) { v128.store(dst, s2, 32); v128.store(dst, s3, 48); }
  if (vectors > 4) { v128.store(dst, s4, 64); v128.store(dst, s5, 80); v128.store(dst, s6, 96); v128.store(dst, s7, 112); }
  if (!direct) memory.copy(at(out, row * n + j), dst, (<usize>count) << 2);
}

// The same rows by scattering: each non-zero of a adds a scaled row of b into out (any number of examples).
function scatterRows(a: usize, b: usize, out: usize, m: i32, k: i32, n: i32, lo: i32, hi: i32): void {
  memory.fill(at(out, lo * n), 0, (<usize>((hi - lo) * n)) << 2);
  const first = at(out, lo * n);
  for (let p = 0; p < k; p++) {
    const nnz = compactRow(at(a, p * m + lo), hi - lo);
    const br = at(b, p * n);
    for (let q = 0; q < nnz; q++) {
      const s = load<f32>(at(scratchVal, q));
      const v = f32x4.splat(s);
      const o = at(first, load<i32>(at(scratchIdx, q)) * n);
      let j = 0;
      for (; j + 4 <= n; j += 4) v128.store(at(o, j), f32x4.add(v128.load(at(o, j)), f32x4.mul(v, v128.load(at(br, j)))));
      for (; j < n; j++) store<f32>(at(o, j), load<f32>(at(o, j)) + s * load<f32>(at(br, j)));
    }
  }
}

/** out (m×n) = a (m×k) · bᵀ for b (n×k): b transposed and multiplied, or, when it is too large, dot products of rows. */
export function matmulNT(a: usize, b: usize, out: usize, m: i32, k: i32, n: i32): void {
  if (n * k <= TEMP_ENTRIES) {
    transposeTiles(b, temp, n, k);
    matmulNN(a, temp, out, m, k, n);
    return;
  }
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
  const zero = f32x4.splat(0);
  for (; i + 16 <= len; i += 16) {
    const v = v128.load(bytes + <usize>i);
    const o = at(out, i);
    if (!v128.any_true(v)) {
      // Sixteen black pixels (most of an MNIST digit): 0 / divisor is +0, stored without dividing.
      v128.store(o, zero); v128.store(o, zero, 16); v128.store(o, zero, 32); v128.store(o, zero, 48);
      continue;
    }
    const lo = i16x8.extend_low_i8x16_u(v), hi = i16x8.extend_high_i8x16_u(v);
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

// e^x for x ≤ 0 (0 where it underflows), four at a time: x = n·ln2 + r with |r| ≤ ln2/2, e^r by Cephes'
// degree-7 polynomial (float32 error about 1 ulp), then scaled by 2^n in two halves so that results
// below the normal range come out as the right subnormals. NaN stays NaN.
@inline function expNonPositive(x: v128): v128 {
  const xc = f32x4.max(x, f32x4.splat(-104)); // e^-104 < 2^-150: rounds to 0
  const n = f32x4.nearest(f32x4.mul(xc, f32x4.splat(1.44269504088896341)));
  let r = f32x4.sub(xc, f32x4.mul(n, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(-2.12194440e-4)));
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  p = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(p, r), r), r), f32x4.splat(1));
  const ni = i32x4.trunc_sat_f32x4_s(n);
  const n1 = i32x4.shr_s(ni, 1);
  const n2 = i32x4.sub(ni, n1);
  const bias = i32x4.splat(127);
  const s1 = i32x4.shl(i32x4.add(n1, bias), 23), s2 = i32x4.shl(i32x4.add(n2, bias), 23);
  return f32x4.mul(f32x4.mul(p, s1), s2);
}

// 1 / (1 + e^−v) for v ≥ 0, e^v / (1 + e^v) below: the exponential never overflows.
@inline function sigmoid4(v: v128): v128 {
  const e = expNonPositive(f32x4.neg(f32x4.abs(v)));
  const d = f32x4.add(f32x4.splat(1), e);
  return v128.bitselect(f32x4.div(f32x4.splat(1), d), f32x4.div(e, d), f32x4.ge(v, f32x4.splat(0)));
}

/** out[i] = 1 / (1 + e^(−x[i])); the last few go through the same vector code, so equal inputs give equal outputs. */
export function sigmoid(x: usize, out: usize, len: i32): void {
  let i = 0;
  for (; i + 4 <= len; i += 4) v128.store(at(out, i), sigmoid4(v128.load(at(x, i))));
  if (i == len) return;
  const spill = at(scratchVal, SCRATCH_TAIL);
  const rest = (<usize>(len - i)) << 2;
  memory.copy(spill, at(x, i), rest);
  v128.store(spill, sigmoid4(v128.load(spill)));
  memory.copy(at(out, i), spill, rest);
}

/** Where AssemblyScript's own static data (exp's tables) ends: the JS side must keep its arrays above it. */
export function staticDataEnd(): usize {
  return __heap_base;
}

/** out (rows×cols) = a + the row vector b added to every row: the bias add. */
export function addRow(a: usize, b: usize, out: usize, rows: i32, cols: i32): void {
  for (let r = 0; r < rows; r++) {
    const ar = at(a, r * cols), orow = at(out, r * cols);
    let c = 0;
    for (; c + 4 <= cols; c += 4) v128.store(at(orow, c), f32x4.add(v128.load(at(ar, c)), v128.load(at(b, c))));
    for (; c < cols; c++) store<f32>(at(orow, c), load<f32>(at(ar, c)) + load<f32>(at(b, c)));
  }
}

/** out (cols) = the sum of the rows of x (rows×cols), first row first: the bias gradient. */
export function sumRows(x: usize, out: usize, rows: i32, cols: i32): void {
  memory.copy(out, x, (<usize>cols) << 2);
  for (let r = 1; r < rows; r++) {
    const xr = at(x, r * cols);
    let c = 0;
    for (; c + 4 <= cols; c += 4) v128.store(at(out, c), f32x4.add(v128.load(at(out, c)), v128.load(at(xr, c))));
    for (; c < cols; c++) store<f32>(at(out, c), load<f32>(at(out, c)) + load<f32>(at(xr, c)));
  }
}

/** out = g · y · (1 − y): the sigmoid's VJP from its output y. */
export function sigmoidGrad(g: usize, y: usize, out: usize, len: i32): void {
  const one = f32x4.splat(1);
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    const yv = v128.load(at(y, i));
    v128.store(at(out, i), f32x4.mul(f32x4.mul(v128.load(at(g, i)), yv), f32x4.sub(one, yv)));
  }
  for (; i < len; i++) {
    const yv = load<f32>(at(y, i));
    store<f32>(at(out, i), load<f32>(at(g, i)) * yv * (1 - yv));
  }
}

/** out = a ∘ b elementwise, for ∘ = + (op 0), − (1), × (2). */
export function binaryOp(op: i32, a: usize, b: usize, out: usize, len: i32): void {
  let i = 0;
  const zero = f32x4.splat(0);
  if (op == 0) for (; i + 4 <= len; i += 4) v128.store(at(out, i), f32x4.add(v128.load(at(a, i)), v128.load(at(b, i))));
  else if (op == 1) for (; i + 4 <= len; i += 4) v128.store(at(out, i), f32x4.sub(v128.load(at(a, i)), v128.load(at(b, i))));
  else if (op == 2) for (; i + 4 <= len; i += 4) v128.store(at(out, i), f32x4.mul(v128.load(at(a, i)), v128.load(at(b, i))));
  else if (op == 3) for (; i + 4 <= len; i += 4) v128.store(at(out, i), f32x4.div(v128.load(at(a, i)), v128.load(at(b, i))));
  // op 4, ReLU's VJP: a where b > 0, else +0 (as the JS kernels: b NaN or ≤ 0 gives 0).
  else for (; i + 4 <= len; i += 4) v128.store(at(out, i), v128.bitselect(v128.load(at(a, i)), zero, f32x4.gt(v128.load(at(b, i)), zero)));
  for (; i < len; i++) {
    const x = load<f32>(at(a, i)), y = load<f32>(at(b, i));
    store<f32>(at(out, i), op == 0 ? x + y : op == 1 ? x - y : op == 2 ? x * y : op == 3 ? x / y : y > 0 ? x : 0);
  }
}

// out = sqrt(x) (op 0) or x·x (op 1): correctly rounded in float32, as JavaScript's double result rounded to
// float32; or ReLU (op 2): +0 where x ≤ 0, else x (−0 gives +0, NaN stays NaN, as the JS kernels and JAX).
export function unaryOp(op: i32, x: usize, out: usize, len: i32): void {
  let i = 0;
  const zero = f32x4.splat(0);
  if (op == 0) for (; i + 4 <= len; i += 4) v128.store(at(out, i), f32x4.sqrt(v128.load(at(x, i))));
  else if (op == 1) for (; i + 4 <= len; i += 4) { const v = v128.load(at(x, i)); v128.store(at(out, i), f32x4.mul(v, v)); }
  else for (; i + 4 <= len; i += 4) { const v = v128.load(at(x, i)); v128.store(at(out, i), v128.bitselect(zero, v, f32x4.le(v, zero))); }
  for (; i < len; i++) {
    const v = load<f32>(at(x, i));
    store<f32>(at(out, i), op == 0 ? sqrt<f32>(v) : op == 1 ? v * v : v <= 0 ? 0 : v);
  }
}

/** out = a ∘ s for the one number s at `sAt`, for ∘ = + (op 0), − (1), × (2), ÷ (3). */
export function scalarOp(op: i32, a: usize, sAt: usize, out: usize, len: i32): void {
  const s = load<f32>(sAt);
  const v = f32x4.splat(s);
  let i = 0;
  if (op == 0) for (; i + 4 <= len; i += 4) v128.store(at(out, i), f32x4.add(v128.load(at(a, i)), v));
  else if (op == 1) for (; i + 4 <= len; i += 4) v128.store(at(out, i), f32x4.sub(v128.load(at(a, i)), v));
  else if (op == 2) for (; i + 4 <= len; i += 4) v128.store(at(out, i), f32x4.mul(v128.load(at(a, i)), v));
  else for (; i + 4 <= len; i += 4) v128.store(at(out, i), f32x4.div(v128.load(at(a, i)), v));
  for (; i < len; i++) {
    const x = load<f32>(at(a, i));
    store<f32>(at(out, i), op == 0 ? x + s : op == 1 ? x - s : op == 2 ? x * s : x / s);
  }
}

// ---- convolution and pooling (chapter 6): copies and sums a vector of four at a time ----

// Patches as rows for stride 1 and no padding: row (image, y, x), columns (channel, window row, window column).
// Each window row's kw numbers are copied four at a time (a 5-wide window: one vector and one number).
export function im2colValid(x: usize, out: usize, n: i32, c: i32, h: i32, w: i32, kh: i32, kw: i32, oh: i32, ow: i32): void {
  let o = out;
  const wide = kw & ~3, down = <usize>w << 2;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        for (let ch = 0; ch < c; ch++) {
          let src = at(x, ((b * c + ch) * h + oy) * w + ox);
          for (let ky = 0; ky < kh; ky++) {
            let kx = 0;
            for (; kx < wide; kx += 4) { v128.store(o, v128.load(at(src, kx))); o += 16; }
            for (; kx < kw; kx++) { store<f32>(o, load<f32>(at(src, kx))); o += 4; }
            src += down;
          }
        }
      }
    }
  }
}

// The transpose of im2colValid: each row's numbers added back where they came from (out is zeroed first), in
// the same order as one number at a time (each sum gets its terms row by row), four lanes at once.
export function col2imValid(cols: usize, out: usize, n: i32, c: i32, h: i32, w: i32, kh: i32, kw: i32, oh: i32, ow: i32): void {
  memory.fill(out, 0, <usize>(n * c * h * w) << 2);
  let o = cols;
  const wide = kw & ~3, down = <usize>w << 2;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        for (let ch = 0; ch < c; ch++) {
          let dst = at(out, ((b * c + ch) * h + oy) * w + ox);
          for (let ky = 0; ky < kh; ky++) {
            let kx = 0;
            for (; kx < wide; kx += 4) {
              const p = at(dst, kx);
              v128.store(p, f32x4.add(v128.load(p), v128.load(o)));
              o += 16;
            }
            for (; kx < kw; kx++) {
              const p = at(dst, kx);
              store<f32>(p, load<f32>(p) + load<f32>(o));
              o += 4;
            }
            dst += down;
          }
        }
      }
    }
  }
}

// dst (cols×rows) = srcᵀ for src rows×cols: 4×4 tiles through registers, the edges one number at a time.
function transposeTiles(src: usize, dst: usize, rows: i32, cols: i32): void {
  const r4 = rows & ~3, c4 = cols & ~3;
  for (let r = 0; r < r4; r += 4) {
    const s = at(src, r * cols);
    for (let c = 0; c < c4; c += 4) {
      const p = at(s, c);
      const a = v128.load(p), b = v128.load(at(p, cols)), e = v128.load(at(p, 2 * cols)), f = v128.load(at(p, 3 * cols));
      const ab0 = f32x4.shuffle(a, b, 0, 4, 1, 5), ab1 = f32x4.shuffle(a, b, 2, 6, 3, 7);
      const ef0 = f32x4.shuffle(e, f, 0, 4, 1, 5), ef1 = f32x4.shuffle(e, f, 2, 6, 3, 7);
      const q = at(dst, c * rows + r);
      v128.store(q, f32x4.shuffle(ab0, ef0, 0, 1, 4, 5));
      v128.store(at(q, rows), f32x4.shuffle(ab0, ef0, 2, 3, 6, 7));
      v128.store(at(q, 2 * rows), f32x4.shuffle(ab1, ef1, 0, 1, 4, 5));
      v128.store(at(q, 3 * rows), f32x4.shuffle(ab1, ef1, 2, 3, 6, 7));
    }
    for (let c = c4; c < cols; c++) for (let i = r; i < r + 4; i++) store<f32>(at(dst, c * rows + i), load<f32>(at(src, i * cols + c)));
  }
  for (let r = r4; r < rows; r++) for (let c = 0; c < cols; c++) store<f32>(at(dst, c * rows + r), load<f32>(at(src, r * cols + c)));
}

// out = x (blocks × rows × cols) with the last two axes swapped, a block at a time.
export function transposeBlocks(x: usize, out: usize, blocks: i32, rows: i32, cols: i32): void {
  const size = rows * cols;
  for (let b = 0; b < blocks; b++) transposeTiles(at(x, b * size), at(out, b * size), rows, cols);
}

// Whether the lanes of a running sum are finite: a NaN or an infinity among the numbers added makes it NaN
// or ±∞ (as can an overflow of large finite numbers, which only costs the exact pass below).
@inline function finiteSum(acc: v128): bool {
  const s = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
  return s - s == 0;
}

// 2×2 max pooling, stride 2, over `planes` planes of h×w (oh×ow windows each). Four windows at a time: their
// top-left, top-right, bottom-left and bottom-right numbers as four vectors, compared as one window is. The
// quick pass compares with pmax (`b > a ? b : a`, one instruction), which passes a NaN over, and sums what it
// reads; where that sum is not finite (a NaN or ±∞ was read) the exact pass runs instead, with f32x4.max
// (a NaN anywhere in the window gives NaN, as the JS kernels; it costs ~9 instructions on x86, hence the two).
// The scalar tail keeps a NaN in both.
export function maxPool2(x: usize, out: usize, planes: i32, h: i32, w: i32, oh: i32, ow: i32): void {
  if (!maxPool2Pass(x, out, planes, h, w, oh, ow, false)) maxPool2Pass(x, out, planes, h, w, oh, ow, true);
}

function maxPool2Pass(x: usize, out: usize, planes: i32, h: i32, w: i32, oh: i32, ow: i32, exact: bool): bool {
  let o = out;
  const down = <usize>w << 2, ow4 = ow & ~3;
  let acc = f32x4.splat(0);
  for (let p = 0; p < planes; p++) {
    for (let oy = 0; oy < oh; oy++) {
      let i = at(x, (p * h + 2 * oy) * w);
      let ox = 0;
      if (exact) {
        for (; ox < ow4; ox += 4) {
          const t0 = v128.load(i), t1 = v128.load(i, 16), b0 = v128.load(i + down), b1 = v128.load(i + down, 16);
          const m1 = f32x4.max(f32x4.shuffle(t0, t1, 0, 2, 4, 6), f32x4.shuffle(t0, t1, 1, 3, 5, 7));
          const m2 = f32x4.max(f32x4.shuffle(b0, b1, 0, 2, 4, 6), f32x4.shuffle(b0, b1, 1, 3, 5, 7));
          v128.store(o, f32x4.max(m1, m2));
          o += 16;
          i += 32;
        }
      } else {
        for (; ox < ow4; ox += 4) {
          const t0 = v128.load(i), t1 = v128.load(i, 16), b0 = v128.load(i + down), b1 = v128.load(i + down, 16);
          acc = f32x4.add(acc, f32x4.add(f32x4.add(t0, t1), f32x4.add(b0, b1)));
          const m1 = f32x4.pmax(f32x4.shuffle(t0, t1, 0, 2, 4, 6), f32x4.shuffle(t0, t1, 1, 3, 5, 7));
          const m2 = f32x4.pmax(f32x4.shuffle(b0, b1, 0, 2, 4, 6), f32x4.shuffle(b0, b1, 1, 3, 5, 7));
          v128.store(o, f32x4.pmax(m1, m2));
          o += 16;
          i += 32;
        }
      }
      for (; ox < ow; ox++) {
        const a = load<f32>(i), b = load<f32>(i + 4), c = load<f32>(i + down), d = load<f32>(i + down + 4);
        const m1 = b > a || b != b ? b : a, m2 = d > c || d != d ? d : c;
        store<f32>(o, m2 > m1 || m2 != m2 ? m2 : m1);
        o += 4;
        i += 8;
      }
    }
  }
  return exact || finiteSum(acc);
}

// 2×2 max pooling's VJP: each window's gradient to its largest element (the first of ties; the first NaN, if
// any, as the reference loop), zeros elsewhere. A quick pass and an exact one, as maxPool2's: the quick one
// compares with `>` (a NaN never raises the best) and sums what it reads; the exact one, run where that sum
// is not finite, lets a NaN raise the best number. Each window's four places are written once (+0, or
// +0 + its gradient as the sum into a zeroed plane gave); numbers outside every window (an odd last row or
// column) are zeroed first.
export function maxPool2Scatter(x: usize, grad: usize, out: usize, planes: i32, h: i32, w: i32, oh: i32, ow: i32): void {
  if (h != 2 * oh || w != 2 * ow) memory.fill(out, 0, <usize>(planes * h * w) << 2);
  if (!maxPool2ScatterPass(x, grad, out, planes, h, w, oh, ow, false)) maxPool2ScatterPass(x, grad, out, planes, h, w, oh, ow, true);
}

function maxPool2ScatterPass(x: usize, grad: usize, out: usize, planes: i32, h: i32, w: i32, oh: i32, ow: i32, exact: bool): bool {
  let g = grad;
  const down = <usize>w << 2, ow4 = ow & ~3, zero = f32x4.splat(0);
  let acc = f32x4.splat(0);
  for (let p = 0; p < planes; p++) {
    for (let oy = 0; oy < oh; oy++) {
      const row = (p * h + 2 * oy) * w;
      let i = at(x, row), d = at(out, row);
      let ox = 0;
      for (; ox < ow4; ox += 4) {
        const t0 = v128.load(i), t1 = v128.load(i, 16), b0 = v128.load(i + down), b1 = v128.load(i + down, 16);
        const va = f32x4.shuffle(t0, t1, 0, 2, 4, 6), vb = f32x4.shuffle(t0, t1, 1, 3, 5, 7);
        const vc = f32x4.shuffle(b0, b1, 0, 2, 4, 6), vd = f32x4.shuffle(b0, b1, 1, 3, 5, 7);
        // The scalar loop's comparisons, lane by lane: the last one that raised the best wins. Exact: "raises"
        // is x > best, or x NaN while best is not (best is a number and x ≤ best is false).
        let isB: v128, isC: v128, isD: v128, best: v128;
        if (exact) {
          isB = v128.andnot(f32x4.eq(va, va), f32x4.le(vb, va));
          best = v128.bitselect(vb, va, isB);
          isC = v128.andnot(f32x4.eq(best, best), f32x4.le(vc, best));
          best = v128.bitselect(vc, best, isC);
          isD = v128.andnot(f32x4.eq(best, best), f32x4.le(vd, best));
        } else {
          acc = f32x4.add(acc, f32x4.add(f32x4.add(t0, t1), f32x4.add(b0, b1)));
          isB = f32x4.gt(vb, va);
          best = v128.bitselect(vb, va, isB);
          isC = f32x4.gt(vc, best);
          best = v128.bitselect(vc, best, isC);
          isD = f32x4.gt(vd, best);
        }
        const laterCD = v128.or(isC, isD);
        const gv = v128.load(g);
        const ga = f32x4.add(zero, v128.andnot(gv, v128.or(isB, laterCD)));
        const gb = f32x4.add(zero, v128.andnot(v128.and(gv, isB), laterCD));
        const gc = f32x4.add(zero, v128.andnot(v128.and(gv, isC), isD));
        const gd = f32x4.add(zero, v128.and(gv, isD));
        v128.store(d, f32x4.shuffle(ga, gb, 0, 4, 1, 5)); v128.store(d, f32x4.shuffle(ga, gb, 2, 6, 3, 7), 16);
        v128.store(d + down, f32x4.shuffle(gc, gd, 0, 4, 1, 5)); v128.store(d + down, f32x4.shuffle(gc, gd, 2, 6, 3, 7), 16);
        g += 16;
        i += 32;
        d += 32;
      }
      for (; ox < ow; ox++) {
        let best = load<f32>(i), where: usize = 0;
        if (best == best && !(load<f32>(i + 4) <= best)) { best = load<f32>(i + 4); where = 4; }
        if (best == best && !(load<f32>(i + down) <= best)) { best = load<f32>(i + down); where = down; }
        if (best == best && !(load<f32>(i + down + 4) <= best)) { where = down + 4; }
        store<f32>(d, 0); store<f32>(d + 4, 0); store<f32>(d + down, 0); store<f32>(d + down + 4, 0);
        store<f32>(d + where, <f32>0 + load<f32>(g));
        g += 4;
        i += 8;
        d += 8;
      }
    }
  }
  return exact || finiteSum(acc);
}

/** out[0] = the sum of x's len numbers, added in order in float64 and rounded once (as the JS kernels sum). */
export function sumAll(x: usize, out: usize, len: i32): void {
  let s: f64 = 0;
  for (let i = 0; i < len; i++) s += <f64>load<f32>(at(x, i));
  store<f32>(out, <f32>s);
}

/** out[0 … len−1] = a[0] ∘ b[0] for ∘ = + (op 0), − (1), × (2), ÷ (3): two single numbers broadcast to a shape. */
export function fillOp(op: i32, a: usize, b: usize, out: usize, len: i32): void {
  const x = load<f32>(a), y = load<f32>(b);
  const v: f32 = op == 0 ? x + y : op == 1 ? x - y : op == 2 ? x * y : x / y;
  for (let i = 0; i < len; i++) store<f32>(at(out, i), v);
}

// ---- programs: a jitted function's replay as one call (the JS side: wasm-program.ts) ----

// A program is `count` records of RECORD_WORDS 32-bit words: an op code, then that kernel's arguments in its
// own order (float32 ones as their bits). The records' layout and `run`, which replays them, are generated
// from core/kernels/wasm-contract.ts at build.

let touched: i32 = 0;

// ---- Sparse rows (core/sparse.ts): a matrix of bytes kept as its non-zero entries, row by row ----
// A matrix is described by six words at `desc`: where its row starts (i32, rows + 1), columns (u16), bytes
// (u8) and byte-to-number table (f32, 256) are, its row count and its column count.

// Row number i of `rows` (f32), checked: a number that names no row stops the module rather than read past the matrix.
@inline function rowAt(desc: usize, rows: usize, i: i32): i32 {
  const v = load<f32>(at(rows, i));
  const r = <i32>v;
  if (<f32>r != v || r < 0 || r >= load<i32>(desc, 16)) unreachable();
  return r;
}

// Puts row r's entries in the scratch lists (columns, numbers) as compactRow does a dense row's; returns their count.
@inline function sparseRow(desc: usize, r: i32): i32 {
  const start = <usize>load<i32>(desc), columns = <usize>load<i32>(desc, 4), bytes = <usize>load<i32>(desc, 8), table = <usize>load<i32>(desc, 12);
  const s = load<i32>(at(start, r)), e = load<i32>(at(start, r + 1));
  let nnz = 0;
  for (let q = s; q < e; q++, nnz++) {
    store<i32>(at(scratchIdx, nnz), <i32>load<u16>(columns + ((<usize>q) << 1)));
    store<f32>(at(scratchVal, nnz), load<f32>(at(table, <i32>load<u8>(bytes + <usize>q))));
  }
  return nnz;
}

// Reads one word of every cache line of the rows' entries before any is used: the loads are independent, so
// their misses (random rows of a large matrix) overlap instead of stalling the sums one row at a time.
@inline function touchRows(desc: usize, rows: usize, n: i32): i32 {
  const start = <usize>load<i32>(desc), columns = <usize>load<i32>(desc, 4), bytes = <usize>load<i32>(desc, 8);
  let t = 0;
  for (let i = 0; i < n; i++) {
    const r = rowAt(desc, rows, i);
    const s = load<i32>(at(start, r)), e = load<i32>(at(start, r + 1));
    for (let q = s; q < e; q += 32) t += <i32>load<u16>(columns + ((<usize>q) << 1));
    for (let q = s; q < e; q += 64) t += <i32>load<u8>(bytes + <usize>q);
  }
  return t;
}

/** out (n×h) = rows `rows` of the matrix · w (cols×h): matmulNN's sums over the rows' stored entries. */
export function sparseMatmul(desc: usize, rows: usize, w: usize, out: usize, n: i32, h: i32): void {
  // (The sum is kept in a global so that the loads are not optimised away.)
  touched = touchRows(desc, rows, n);
  const cols = load<i32>(desc, 20);
  const overRead = cols < SCRATCH_TAIL && at(w, cols * h + 32) <= (<usize>memory.size() << 16);
  for (let i = 0; i < n; i++) combineRows(sparseRow(desc, rowAt(desc, rows, i)), w, h, at(out, i * h), overRead, (n - 1 - i) * h);
}

// The width of a row of the fused update's sums: h rounded up to whole blocks of 32 (aligned, register-sized).
@inline function sumsWidth(h: i32): i32 {
  return (h + 31) & ~31;
}

// sums[column, jb … jb + 31] += number · g[jb …] for each stored entry of row r: g's 32 numbers held in
// registers (those past h read as zero), the sums' rows `width` wide. (g is read 32 wide: past its end, which
// the caller allows only where that memory exists.) With `track`, each column met for the first time is added
// to `list` (a byte in `seen` marks it, branch-free); returns the list's new length.
@inline function scatterBlock(desc: usize, r: i32, g: usize, h: i32, jb: i32, sums: usize, width: i32, track: bool, list: usize, seen: usize, count: i32): i32 {
  const start = <usize>load<i32>(desc), columns = <usize>load<i32>(desc, 4), bytes = <usize>load<i32>(desc, 8), table = <usize>load<i32>(desc, 12);
  const s = load<i32>(at(start, r)), e = load<i32>(at(start, r + 1));
  const gb = at(g, jb), lanes = i32x4(0, 1, 2, 3), left = i32x4.splat(h - jb);
  // Lanes at or past h are zeroed, so they add +0 (never a stray NaN) to the sums' padding.
  const g0 = v128.and(v128.load(gb), i32x4.lt_s(lanes, left)), g1 = v128.and(v128.load(gb, 16), i32x4.lt_s(i32x4.add(lanes, i32x4.splat(4)), left));
  const g2 = v128.and(v128.load(gb, 32), i32x4.lt_s(i32x4.add(lanes, i32x4.splat(8)), left)), g3 = v128.and(v128.load(gb, 48), i32x4.lt_s(i32x4.add(lanes, i32x4.splat(12)), left));
  const g4 = v128.and(v128.load(gb, 64), i32x4.lt_s(i32x4.add(lanes, i32x4.splat(16)), left)), g5 = v128.and(v128.load(gb, 80), i32x4.lt_s(i32x4.add(lanes, i32x4.splat(20)), left));
  const g6 = v128.and(v128.load(gb, 96), i32x4.lt_s(i32x4.add(lanes, i32x4.splat(24)), left)), g7 = v128.and(v128.load(gb, 112), i32x4.lt_s(i32x4.add(lanes, i32x4.splat(28)), left));
  const block = at(sums, jb);
  let listed = count;
  for (let q = s; q < e; q++) {
    const v = f32x4.splat(load<f32>(at(table, <i32>load<u8>(bytes + <usize>q))));
    const col = <i32>load<u16>(columns + ((<usize>q) << 1));
    if (track) {
      store<i32>(at(list, listed), col);
      listed += 1 - <i32>load<u8>(seen + <usize>col);
      store<u8>(seen + <usize>col, 1);
    }
    const o = at(block, col * width);
    v128.store(o, f32x4.add(v128.load(o), f32x4.mul(v, g0)));
    v128.store(o, f32x4.add(v128.load(o, 16), f32x4.mul(v, g1)), 16);
    v128.store(o, f32x4.add(v128.load(o, 32), f32x4.mul(v, g2)), 32);
    v128.store(o, f32x4.add(v128.load(o, 48), f32x4.mul(v, g3)), 48);
    v128.store(o, f32x4.add(v128.load(o, 64), f32x4.mul(v, g4)), 64);
    v128.store(o, f32x4.add(v128.load(o, 80), f32x4.mul(v, g5)), 80);
    v128.store(o, f32x4.add(v128.load(o, 96), f32x4.mul(v, g6)), 96);
    v128.store(o, f32x4.add(v128.load(o, 112), f32x4.mul(v, g7)), 112);
  }
  return listed;
}

/**
 * out (cols×h) = (rows `rows` of the matrix)ᵀ · g (n×h), each row of out summed from +0 over the examples in
 * order (matmulTNRows' numbers), with c ≠ 0 fused with the update that reads it: alpha·that + c. The sums go
 * into `acc` (cols rows of sumsWidth(h), then room for cols + 1 i32 and cols bytes; all zero, and left all zero),
 * 32 columns at a time with g's in registers, then out is written. A row no example has is +0 in the product,
 * and alpha·(+0) + c = c in the update when alpha < 0 (−0 + c is c): such rows are copied, and only the
 * batch's columns are computed. g is read 32 wide past its end: the caller makes sure that memory exists.
 */
export function sparseMatmulTAxpy(desc: usize, rows: usize, g: usize, c: usize, out: usize, acc: usize, n: i32, h: i32, alpha: f32): void {
  // Every row number is checked before anything is written: a stop half-way would leave acc unclean.
  for (let i = 0; i < n; i++) rowAt(desc, rows, i);
  const cols = load<i32>(desc, 20), width = sumsWidth(h);
  const end = <usize>memory.size() << 16;
  if (h > 32 && n <= 32 && h <= TN_REGISTER_WIDTH && at(g, n * h + 32) <= end && (c == 0 || at(c, cols * h + 32) <= end)) {
    // Wide rows: summed in registers per row of out (matmulTNRows, each written once) beat scattering into
    // sums that outgrow the cache. Its dense operand is the rows written into acc (n×cols ≤ cols×width), then
    // cleared. (Under these bounds it takes its register path, which also holds with out = c.)
    denseRowsInto(desc, rows, n, acc, true);
    matmulTNRows(acc, g, out, cols, n, h, 0, cols, alpha, c);
    denseRowsInto(desc, rows, n, acc, false);
    return;
  }
  // (The list takes one word more than the columns: an entry is written at its end before it is known to be new.)
  const list = at(acc, cols * width), seen = at(list, cols + 1);
  // The batch's columns are listed when the rows no example has can be copied (or zeroed) instead of computed.
  const copies = c == 0 || (alpha < 0 && alpha > -Infinity);
  let count = 0;
  for (let jb = 0; jb < h; jb += 32) {
    for (let i = 0; i < n; i++) {
      const r = rowAt(desc, rows, i), gi = at(g, i * h);
      if (copies && jb == 0) count = scatterBlock(desc, r, gi, h, jb, acc, width, true, list, seen, count);
      else scatterBlock(desc, r, gi, h, jb, acc, width, false, list, seen, count);
    }
  }
  const av = f32x4.splat(alpha), zero = f32x4.splat(0);
  if (copies) {
    if (c == 0) memory.fill(out, 0, (<usize>(cols * h)) << 2);
    else if (out != c) memory.copy(out, c, (<usize>(cols * h)) << 2);
    for (let t = 0; t < count; t++) {
      const p = load<i32>(at(list, t));
      store<u8>(seen + <usize>p, 0);
      updateRow(at(acc, p * width), at(out, p * h), at(c, p * h), h, width, c != 0, av);
    }
    return;
  }
  // out = alpha·acc + c for every row (alpha ≥ 0 or not finite: alpha·(+0) + c need not be c), acc back to zero.
  for (let p = 0; p < cols; p++) updateRow(at(acc, p * width), at(out, p * h), at(c, p * h), h, width, true, av);
}

// One row of out: alpha·acc + c (or, without c, acc), then acc's row (width numbers) back to zero.
@inline function updateRow(a: usize, o: usize, cp: usize, h: i32, width: i32, withC: bool, av: v128): void {
  const alpha = f32x4.extract_lane(av, 0);
  let j = 0;
  if (withC) {
    for (; j + 4 <= h; j += 4) v128.store(at(o, j), f32x4.add(f32x4.mul(av, v128.load(at(a, j))), v128.load(at(cp, j))));
    for (; j < h; j++) store<f32>(at(o, j), alpha * load<f32>(at(a, j)) + load<f32>(at(cp, j)));
  } else {
    for (; j + 4 <= h; j += 4) v128.store(at(o, j), v128.load(at(a, j)));
    for (; j < h; j++) store<f32>(at(o, j), load<f32>(at(a, j)));
  }
  const zero = f32x4.splat(0);
  for (let k = 0; k < width; k += 4) v128.store(at(a, k), zero);
}

// Writes the rows' stored numbers into a zeroed n×cols block (or, with write false, zeros them again).
@inline function denseRowsInto(desc: usize, rows: usize, n: i32, out: usize, write: bool): void {
  const cols = load<i32>(desc, 20);
  const start = <usize>load<i32>(desc), columns = <usize>load<i32>(desc, 4), bytes = <usize>load<i32>(desc, 8), table = <usize>load<i32>(desc, 12);
  for (let i = 0; i < n; i++) {
    const r = rowAt(desc, rows, i), o = at(out, i * cols);
    for (let q = load<i32>(at(start, r)), e = load<i32>(at(start, r + 1)); q < e; q++) {
      store<f32>(at(o, <i32>load<u16>(columns + ((<usize>q) << 1))), write ? load<f32>(at(table, <i32>load<u8>(bytes + <usize>q))) : 0);
    }
  }
}

/** out (n×cols) = rows `rows` of the matrix, dense. */
export function sparseToDense(desc: usize, rows: usize, out: usize, n: i32): void {
  memory.fill(out, 0, (<usize>(n * load<i32>(desc, 20))) << 2);
  denseRowsInto(desc, rows, n, out, true);
}

/** Writes each row's first entry (rows + 1 numbers) of the sparse form of a rows×cols byte matrix; returns the entry count. */
export function csrCount(bytes: usize, rows: i32, cols: i32, start: usize): i32 {
  let q = 0;
  const zero = i8x16.splat(0);
  for (let r = 0; r < rows; r++) {
    store<i32>(at(start, r), q);
    const row = bytes + <usize>r * <usize>cols;
    let c = 0;
    for (; c + 16 <= cols; c += 16) {
      const v = v128.load(row + <usize>c);
      if (v128.any_true(v)) q += popcnt(i8x16.bitmask(i8x16.ne(v, zero)));
    }
    for (; c < cols; c++) q += i32(load<u8>(row + <usize>c) != 0);
  }
  store<i32>(at(start, rows), q);
  return q;
}

/**
 * Writes the columns (u16) and bytes of the non-zero entries of a rows×cols byte matrix, row by row. Both
 * lists need room for 16 entries more than there are (a block's zeros are written past the last entry).
 */
export function csrFill(bytes: usize, rows: i32, cols: i32, columns: usize, values: usize): void {
  let q = 0;
  for (let r = 0; r < rows; r++) {
    const row = bytes + <usize>r * <usize>cols;
    let p = 0;
    for (; p + 16 <= cols; p += 16) {
      if (!v128.any_true(v128.load(row + <usize>p))) continue;
      // Every byte of the block written at the next place, which moves on only past a non-zero one: no branches.
      for (let b = p; b < p + 16; b++) {
        const x = load<u8>(row + <usize>b);
        store<u16>(columns + ((<usize>q) << 1), <u16>b);
        store<u8>(values + <usize>q, x);
        q += i32(x != 0);
      }
    }
    for (; p < cols; p++) {
      const v = load<u8>(row + <usize>p);
      if (v != 0) {
        store<u16>(columns + ((<usize>q) << 1), <u16>p);
        store<u8>(values + <usize>q, v);
        q++;
      }
    }
  }
}

/** out = a·x + b·g (square ≠ 0: a·x + b·g²), each operation rounded in float32 as the separate ops round it: Adam's moments. */
export function adamMoment(x: usize, g: usize, a: f32, b: f32, square: i32, out: usize, len: i32): void {
  const av = f32x4.splat(a), bv = f32x4.splat(b);
  let i = 0;
  if (square != 0) {
    for (; i + 4 <= len; i += 4) {
      const gv = v128.load(at(g, i));
      v128.store(at(out, i), f32x4.add(f32x4.mul(v128.load(at(x, i)), av), f32x4.mul(f32x4.mul(gv, gv), bv)));
    }
  } else {
    for (; i + 4 <= len; i += 4) v128.store(at(out, i), f32x4.add(f32x4.mul(v128.load(at(x, i)), av), f32x4.mul(v128.load(at(g, i)), bv)));
  }
  for (; i < len; i++) {
    const gi = load<f32>(at(g, i));
    store<f32>(at(out, i), load<f32>(at(x, i)) * a + (square != 0 ? gi * gi : gi) * b);
  }
}

/** out = w + (m·c1)/(√(v·c2) + eps), c1 and c2 read from memory, each operation rounded in float32: Adam's step. */
export function adamStep(w: usize, m: usize, v: usize, c1: usize, c2: usize, eps: f32, out: usize, len: i32): void {
  const k1 = load<f32>(c1), k2 = load<f32>(c2);
  const k1v = f32x4.splat(k1), k2v = f32x4.splat(k2), ev = f32x4.splat(eps);
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    const d = f32x4.add(f32x4.sqrt(f32x4.mul(v128.load(at(v, i)), k2v)), ev);
    v128.store(at(out, i), f32x4.add(v128.load(at(w, i)), f32x4.div(f32x4.mul(v128.load(at(m, i)), k1v), d)));
  }
  for (; i < len; i++) store<f32>(at(out, i), load<f32>(at(w, i)) + (load<f32>(at(m, i)) * k1) / (sqrt<f32>(load<f32>(at(v, i)) * k2) + eps));
}

// ---- a second thread (the shared-memory build): the main thread's kernels hand half the work to a helper ----
// The helper runs this module on the same memory (its own globals and scratch) in a loop that waits on the
// control block (core/kernels/wasm-helper.ts). Each split below gives the helper a whole part of the output
// (rows, images or planes) computed with the same code as on one thread, or the second half of a product's
// inner dimension (splitNNPart, whose halves are added at the end); without a helper, or while it is not
// running, the calling thread computes both parts itself: the same numbers either way.

let control: usize = 0; // the control block, when this instance has a helper (setHelper); 0 without
let inlineFor: i32 = 0; // tasks to keep on this thread after the helper was late

// Spins on DONE that mean the helper lost its core to something else; then this many tasks run here.
const LATE_SPINS: i32 = 20_000_000;
const INLINE_AFTER_LATE: i32 = 2_000;

/** Gives this (main-thread) instance the helper's control block. */
export function setHelper(block: usize): void {
  control = block;
}

// Whether the next task goes to the helper.
@inline function handsOff(): bool {
  if (!ASC_FEATURE_THREADS || control == 0) return false;
  if (inlineFor > 0) {
    inlineFor--;
    return false;
  }
  return atomic.load<i32>(control + C_READY) == 1;
}

@inline function taskArg(block: usize, i: i32): i32 {
  return load<i32>(block + C_ARGS + ((<usize>i) << 2));
}

// Runs the task in `block` (op and arguments as posted); false for Stop or an unknown op.
function runTask(block: usize): bool {
  const a = block;
  switch (load<i32>(block + C_OP)) {
    case TASK_MATMULNNPART: matmulNNPart(taskArg(a, 0), taskArg(a, 1), taskArg(a, 2), taskArg(a, 3), taskArg(a, 4), taskArg(a, 5), taskArg(a, 6), taskArg(a, 7)); break;
    case TASK_MATMULTNROWS: matmulTNRows(taskArg(a, 0), taskArg(a, 1), taskArg(a, 2), taskArg(a, 3), taskArg(a, 4), taskArg(a, 5), taskArg(a, 6), taskArg(a, 7), load<f32>(block + C_ALPHA), taskArg(a, 8)); break;
    case TASK_MATMULNNCOLUMNS: matmulNNColumns(taskArg(a, 0), taskArg(a, 1), taskArg(a, 2), taskArg(a, 3), taskArg(a, 4), taskArg(a, 5)); break;
    case TASK_BINARYOP: binaryOp(taskArg(a, 0), taskArg(a, 1), taskArg(a, 2), taskArg(a, 3), taskArg(a, 4)); break;
    case TASK_UNARYOP: unaryOp(taskArg(a, 0), taskArg(a, 1), taskArg(a, 2), taskArg(a, 3)); break;
    case TASK_SCALAROP: scalarOp(taskArg(a, 0), taskArg(a, 1), taskArg(a, 2), taskArg(a, 3), taskArg(a, 4)); break;
    case TASK_ADDROW: addRow(taskArg(a, 0), taskArg(a, 1), taskArg(a, 2), taskArg(a, 3), taskArg(a, 4)); break;
    case TASK_SIGMOID: sigmoid(taskArg(a, 0), taskArg(a, 1), taskArg(a, 2)); break;
    case TASK_SIGMOIDGRAD: sigmoidGrad(taskArg(a, 0), taskArg(a, 1), taskArg(a, 2), taskArg(a, 3)); break;
    case TASK_AXPY: axpy(load<f32>(block + C_ALPHA), taskArg(a, 0), taskArg(a, 1), taskArg(a, 2), taskArg(a, 3)); break;
    case TASK_IM2COL: im2colValid(taskArg(a, 0), taskArg(a, 1), taskArg(a, 2), taskArg(a, 3), taskArg(a, 4), taskArg(a, 5), taskArg(a, 6), taskArg(a, 7), taskArg(a, 8), taskArg(a, 9)); break;
    case TASK_COL2IM: col2imValid(taskArg(a, 0), taskArg(a, 1), taskArg(a, 2), taskArg(a, 3), taskArg(a, 4), taskArg(a, 5), taskArg(a, 6), taskArg(a, 7), taskArg(a, 8), taskArg(a, 9)); break;
    case TASK_MAXPOOL2: maxPool2(taskArg(a, 0), taskArg(a, 1), taskArg(a, 2), taskArg(a, 3), taskArg(a, 4), taskArg(a, 5), taskArg(a, 6)); break;
    case TASK_MAXPOOL2SCATTER: maxPool2Scatter(taskArg(a, 0), taskArg(a, 1), taskArg(a, 2), taskArg(a, 3), taskArg(a, 4), taskArg(a, 5), taskArg(a, 6), taskArg(a, 7)); break;
    case TASK_TRANSPOSEBLOCKS: transposeBlocks(taskArg(a, 0), taskArg(a, 1), taskArg(a, 2), taskArg(a, 3), taskArg(a, 4)); break;
    default: return false;
  }
  return true;
}

/** The helper thread's side: runs the task posted in `block`; 0 when it was Stop (the loop then ends). */
export function helperTask(block: usize): i32 {
  return i32(runTask(block));
}

// Posts a task (its arguments first, then the counter that publishes them) and wakes a sleeping helper.
function post(op: i32, a0: i32, a1: i32, a2: i32, a3: i32, a4: i32, a5: i32, a6: i32, a7: i32, a8: i32, a9: i32, alpha: f32): void {
  const b = control;
  store<i32>(b + C_OP, op);
  store<i32>(b + C_ARGS, a0); store<i32>(b + C_ARGS, a1, 4); store<i32>(b + C_ARGS, a2, 8); store<i32>(b + C_ARGS, a3, 12);
  store<i32>(b + C_ARGS, a4, 16); store<i32>(b + C_ARGS, a5, 20); store<i32>(b + C_ARGS, a6, 24); store<i32>(b + C_ARGS, a7, 28);
  store<i32>(b + C_ARGS, a8, 32); store<i32>(b + C_ARGS, a9, 36);
  store<f32>(b + C_ALPHA, alpha);
  if (ASC_FEATURE_THREADS) {
    atomic.store<i32>(b + C_SEQ, load<i32>(b + C_SEQ) + 1); // only this thread writes SEQ
    if (atomic.load<i32>(b + C_SLEEPING) == 1) atomic.notify(b + C_SEQ, 1);
  }
}

// Waits for the task posted last. A helper that failed has its share done here (its output is overwritten
// whole) and is not used again; one that was very late makes the next tasks run here for a while.
function finish(): void {
  if (!ASC_FEATURE_THREADS) return;
  const b = control, seq = load<i32>(b + C_SEQ);
  let spins = 0;
  while (atomic.load<i32>(b + C_DONE) != seq) {
    if (atomic.load<i32>(b + C_FAILED) == 1) {
      control = 0;
      runTask(b);
      return;
    }
    spins++;
  }
  if (spins > LATE_SPINS) inlineFor = INLINE_AFTER_LATE;
}

// Where two threads split `count` rows (or numbers): the middle, rounded down to a multiple of four.
@inline function half(count: i32): i32 {
  return (count >> 1) & ~3;
}

/** a·b by rows: rows [0, h) here, [h, m) on the helper; each row as matmulNN computes it. */
export function splitRowsNN(a: usize, b: usize, out: usize, m: i32, k: i32, n: i32): void {
  const h = half(m);
  if (h > 0 && handsOff()) {
    post(TASK_MATMULNNPART, a + (<usize>(h * k) << 2), b, out + (<usize>(h * n) << 2), m - h, k, n, 0, k, 0, 0, 0);
    matmulNNPart(a, b, out, h, k, n, 0, k);
    finish();
  } else matmulNN(a, b, out, m, k, n);
}

/** a·b as two sums over halves of the inner dimension, the second into `part` (the helper's), then added. */
export function splitNNPart(a: usize, b: usize, out: usize, m: i32, k: i32, n: i32, part: usize): void {
  const h = half(k);
  if (handsOff()) {
    post(TASK_MATMULNNPART, a, b, part, m, k, n, h, k, 0, 0, 0);
    matmulNNPart(a, b, out, m, k, n, 0, h);
    finish();
  } else {
    matmulNNPart(a, b, out, m, k, n, 0, h);
    matmulNNPart(a, b, part, m, k, n, h, k);
  }
  addInto(out, part, m * n);
}

/** matmulTNRows over all of out's rows (with c ≠ 0, alpha·aᵀb + c), rows [h, m) on the helper. */
export function splitTNRows(a: usize, b: usize, out: usize, m: i32, k: i32, n: i32, alpha: f32, c: usize): void {
  if (k > 32 && m * k <= TEMP_ENTRIES) {
    // Many examples (a convolution's positions): aᵀ into this thread's temporary space, its rows multiplied on
    // both threads (matmulTNRows' transposed path, split by rows), then the update split in halves.
    transposeTiles(a, temp, k, m);
    const h = half(m);
    if (!columnsFit(b, m, k, n)) splitRowsNN(temp, b, out, m, k, n);
    else if (h > 0 && handsOff()) {
      post(TASK_MATMULNNCOLUMNS, temp + (<usize>(h * k) << 2), b, out + (<usize>(h * n) << 2), m - h, k, n, 0, 0, 0, 0, 0);
      matmulNNColumns(temp, b, out, h, k, n);
      finish();
    } else matmulNNColumns(temp, b, out, m, k, n);
    if (c != 0) splitAxpy(alpha, out, c, out, m * n);
    return;
  }
  const h = half(m);
  if (h > 0 && handsOff()) {
    post(TASK_MATMULTNROWS, a, b, out, m, k, n, h, m, c, 0, alpha);
    matmulTNRows(a, b, out, m, k, n, 0, h, alpha, c);
    finish();
  } else {
    matmulTNRows(a, b, out, m, k, n, 0, h, alpha, c);
    matmulTNRows(a, b, out, m, k, n, h, m, alpha, c);
  }
}

/** out = alpha·x + y, the second half on the helper. */
export function splitAxpy(alpha: f32, x: usize, y: usize, out: usize, len: i32): void {
  const h = half(len), o = (<usize>h) << 2;
  if (h > 0 && handsOff()) {
    post(TASK_AXPY, x + o, y + o, out + o, len - h, 0, 0, 0, 0, 0, 0, alpha);
    axpy(alpha, x, y, out, h);
    finish();
  } else axpy(alpha, x, y, out, len);
}

/** im2colValid, the second half of the images on the helper. */
export function splitIm2col(x: usize, out: usize, n: i32, c: i32, h: i32, w: i32, kh: i32, kw: i32, oh: i32, ow: i32): void {
  const first = n >> 1;
  if (first > 0 && handsOff()) {
    post(TASK_IM2COL, x + (<usize>(first * c * h * w) << 2), out + (<usize>(first * oh * ow * c * kh * kw) << 2), n - first, c, h, w, kh, kw, oh, ow, 0);
    im2colValid(x, out, first, c, h, w, kh, kw, oh, ow);
    finish();
  } else im2colValid(x, out, n, c, h, w, kh, kw, oh, ow);
}

/** col2imValid, the second half of the images on the helper (each image's sums are its own). */
export function splitCol2im(cols: usize, out: usize, n: i32, c: i32, h: i32, w: i32, kh: i32, kw: i32, oh: i32, ow: i32): void {
  const first = n >> 1;
  if (first > 0 && handsOff()) {
    post(TASK_COL2IM, cols + (<usize>(first * oh * ow * c * kh * kw) << 2), out + (<usize>(first * c * h * w) << 2), n - first, c, h, w, kh, kw, oh, ow, 0);
    col2imValid(cols, out, first, c, h, w, kh, kw, oh, ow);
    finish();
  } else col2imValid(cols, out, n, c, h, w, kh, kw, oh, ow);
}

/** maxPool2, the second half of the planes on the helper. */
export function splitMaxPool2(x: usize, out: usize, planes: i32, h: i32, w: i32, oh: i32, ow: i32): void {
  const first = planes >> 1;
  if (first > 0 && handsOff()) {
    post(TASK_MAXPOOL2, x + (<usize>(first * h * w) << 2), out + (<usize>(first * oh * ow) << 2), planes - first, h, w, oh, ow, 0, 0, 0, 0);
    maxPool2(x, out, first, h, w, oh, ow);
    finish();
  } else maxPool2(x, out, planes, h, w, oh, ow);
}

/** maxPool2Scatter, the second half of the planes on the helper. */
export function splitMaxPool2Scatter(x: usize, grad: usize, out: usize, planes: i32, h: i32, w: i32, oh: i32, ow: i32): void {
  const first = planes >> 1;
  if (first > 0 && handsOff()) {
    post(TASK_MAXPOOL2SCATTER, x + (<usize>(first * h * w) << 2), grad + (<usize>(first * oh * ow) << 2), out + (<usize>(first * h * w) << 2), planes - first, h, w, oh, ow, 0, 0, 0);
    maxPool2Scatter(x, grad, out, first, h, w, oh, ow);
    finish();
  } else maxPool2Scatter(x, grad, out, planes, h, w, oh, ow);
}

/** transposeBlocks, the second half of the blocks on the helper. */
export function splitTransposeBlocks(x: usize, out: usize, blocks: i32, rows: i32, cols: i32): void {
  const first = blocks >> 1, o = (<usize>(first * rows * cols)) << 2;
  if (first > 0 && handsOff()) {
    post(TASK_TRANSPOSEBLOCKS, x + o, out + o, blocks - first, rows, cols, 0, 0, 0, 0, 0, 0);
    transposeBlocks(x, out, first, rows, cols);
    finish();
  } else transposeBlocks(x, out, blocks, rows, cols);
}

// Elementwise maps in halves (whole vectors of four on this thread, so each number goes through the same
// vector or tail code as on one thread), and a row bias by rows: the data each thread just wrote (its images)
// stays in its own cache.

/** binaryOp, the second half on the helper. */
export function splitBinaryOp(op: i32, a: usize, b: usize, out: usize, len: i32): void {
  const h = half(len), o = (<usize>h) << 2;
  if (h > 0 && handsOff()) {
    post(TASK_BINARYOP, op, a + o, b + o, out + o, len - h, 0, 0, 0, 0, 0, 0);
    binaryOp(op, a, b, out, h);
    finish();
  } else binaryOp(op, a, b, out, len);
}

/** unaryOp, the second half on the helper. */
export function splitUnaryOp(op: i32, x: usize, out: usize, len: i32): void {
  const h = half(len), o = (<usize>h) << 2;
  if (h > 0 && handsOff()) {
    post(TASK_UNARYOP, op, x + o, out + o, len - h, 0, 0, 0, 0, 0, 0, 0);
    unaryOp(op, x, out, h);
    finish();
  } else unaryOp(op, x, out, len);
}

/** scalarOp (one number read at sAt), the second half on the helper. */
export function splitScalarOp(op: i32, a: usize, sAt: usize, out: usize, len: i32): void {
  const h = half(len), o = (<usize>h) << 2;
  if (h > 0 && handsOff()) {
    post(TASK_SCALAROP, op, a + o, sAt, out + o, len - h, 0, 0, 0, 0, 0, 0);
    scalarOp(op, a, sAt, out, h);
    finish();
  } else scalarOp(op, a, sAt, out, len);
}

/** addRow, the second half of the rows on the helper. */
export function splitAddRow(a: usize, b: usize, out: usize, rows: i32, cols: i32): void {
  const h = rows >> 1, o = (<usize>(h * cols)) << 2;
  if (h > 0 && handsOff()) {
    post(TASK_ADDROW, a + o, b, out + o, rows - h, cols, 0, 0, 0, 0, 0, 0);
    addRow(a, b, out, h, cols);
    finish();
  } else addRow(a, b, out, rows, cols);
}

/** sigmoid, the second half on the helper. */
export function splitSigmoid(x: usize, out: usize, len: i32): void {
  const h = half(len), o = (<usize>h) << 2;
  if (h > 0 && handsOff()) {
    post(TASK_SIGMOID, x + o, out + o, len - h, 0, 0, 0, 0, 0, 0, 0, 0);
    sigmoid(x, out, h);
    finish();
  } else sigmoid(x, out, len);
}

/** sigmoidGrad, the second half on the helper. */
export function splitSigmoidGrad(g: usize, y: usize, out: usize, len: i32): void {
  const h = half(len), o = (<usize>h) << 2;
  if (h > 0 && handsOff()) {
    post(TASK_SIGMOIDGRAD, g + o, y + o, out + o, len - h, 0, 0, 0, 0, 0, 0, 0);
    sigmoidGrad(g, y, out, h);
    finish();
  } else sigmoidGrad(g, y, out, len);
}

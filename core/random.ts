/**
 * Explicit, splittable randomness: a key is a value, `split` derives independent keys,
 * and every random function takes one. The same key gives the same numbers, always.
 */
import { describeValue } from "./describe.ts";
import { defaultDType } from "./kernels/backend.ts";
import { Tensor, allocate, shapeSize, type DType, type Shape } from "./tensor.ts";

/** A random key: two unsigned 32-bit words. */
export type Key = readonly [number, number];

// Murmur3's finaliser: a cheap bijective mix of 32 bits.
function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function hash3(a: number, b: number, c: number): number {
  return mix32(Math.imul(mix32(a ^ 0x9e3779b9), 0x27d4eb2f) ^ mix32((b + 0x7f4a7c15) >>> 0) ^ Math.imul(c + 1, 0x165667b1));
}

/** A key from a whole-number seed. */
export function key(seed: number): Key {
  if (!Number.isSafeInteger(seed)) throw new Error(`key: seed must be a whole number, got ${seed}`);
  const lo = seed >>> 0;
  const hi = Math.floor(seed / 2 ** 32) >>> 0;
  return [mix32(lo ^ 0x3c6ef372), mix32(hi ^ mix32(lo + 0x6a09e667))];
}

/** `n` new keys (2 by default), independent of each other and of `k`. */
export function split(k: Key, n = 2): Key[] {
  checkKey("split", k);
  checkCount("split", "the number of keys", n);
  const out: Key[] = [];
  for (let i = 0; i < n; i++) out.push([hash3(k[0], k[1], 2 * i), hash3(k[1], k[0], 2 * i + 1)]);
  return out;
}

/** A stream of uniform 32-bit words seeded by a key (xoshiro128**). */
export class Stream {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(k: Key) {
    this.s0 = hash3(k[0], k[1], 11) | 1;
    this.s1 = hash3(k[1], k[0], 13);
    this.s2 = hash3(k[0] ^ 0x5bd1e995, k[1], 17);
    this.s3 = hash3(k[1], k[0] ^ 0x1b873593, 19);
  }

  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  nextFloat(): number {
    const hi = this.nextUint32() >>> 5, lo = this.nextUint32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform whole number in [0, n), without modulo bias. */
  nextInt(n: number): number {
    const limit = 4294967296 - remainder(4294967296, n);
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return remainder(x, n);
    }
  }
}

/**
 * x % n for whole x ≤ 2^32 and n ≥ 1, by a division (V8's % on such numbers is a slow floating-point fmod).
 * Exact: x/n lies at least 1/n below the next whole number, more than half an ulp of x/n (≤ 2^32/n · 2^-53).
 */
function remainder(x: number, n: number): number {
  return x - Math.floor(x / n) * n;
}

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

// Checked at run time (plain JavaScript): a key that is not two 32-bit words, a shape that is not a list of
// whole numbers, a count that is not a whole number would otherwise give a tensor of no shape or nothing at all.
function checkKey(op: string, k: unknown): void {
  if (!Array.isArray(k) || k.length !== 2 || !k.every((w) => Number.isInteger(w) && w >= 0 && w < 2 ** 32)) {
    throw new Error(`${op}: expected a key (from key(seed), split or foldIn), got ${describeValue(k)}`);
  }
}

function checkShape(op: string, shape: unknown): void {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new Error(`${op}: the shape must be an array of whole numbers ≥ 0, e.g. [3] or [2, 3], got ${describeValue(shape)}${Array.isArray(shape) ? ` ${JSON.stringify(shape)}` : ""}`);
  }
}

function checkCount(op: string, what: string, n: unknown): void {
  if (!(typeof n === "number" && Number.isSafeInteger(n) && n >= 0)) throw new Error(`${op}: ${what} must be a whole number ≥ 0, got ${describeValue(n)}`);
}

/** Standard normal numbers (Box–Muller), shaped. */
export function normal(k: Key, shape: Shape, dtype: DType = defaultDType()): Tensor {
  checkKey("normal", k);
  checkShape("normal", shape);
  const n = shapeSize(shape);
  const data = allocate(dtype, n);
  const s = new Stream(k);
  for (let i = 0; i < n; i += 2) {
    const u1 = 1 - s.nextFloat(); // in (0, 1], so log never sees 0
    const u2 = s.nextFloat();
    const r = Math.sqrt(-2 * Math.log(u1));
    data[i] = r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < n) data[i + 1] = r * Math.sin(2 * Math.PI * u2);
  }
  return new Tensor(shape, data);
}

/** Uniform numbers in [lo, hi), shaped. */
export function uniform(k: Key, shape: Shape, lo = 0, hi = 1, dtype: DType = defaultDType()): Tensor {
  checkKey("uniform", k);
  checkShape("uniform", shape);
  if (!(typeof lo === "number" && typeof hi === "number" && Number.isFinite(lo) && Number.isFinite(hi) && lo <= hi)) throw new Error(`uniform: expected finite bounds lo ≤ hi, got ${describeValue(lo)} and ${describeValue(hi)}`);
  const n = shapeSize(shape);
  const data = allocate(dtype, n);
  const s = new Stream(k);
  for (let i = 0; i < n; i++) data[i] = lo + (hi - lo) * s.nextFloat();
  return new Tensor(shape, data);
}

/** A random ordering of 0 … n−1 (Fisher–Yates). */
export function permutation(k: Key, n: number): Int32Array {
  checkKey("permutation", k);
  checkCount("permutation", "n", n);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  const s = new Stream(k);
  for (let i = n - 1; i > 0; i--) {
    const j = s.nextInt(i + 1);
    const t = out[i];
    out[i] = out[j];
    out[j] = t;
  }
  return out;
}

/** A key for step `n` of a sequence (an epoch, say), the same whatever other keys were drawn. */
export function foldIn(k: Key, n: number): Key {
  checkKey("foldIn", k);
  if (!Number.isSafeInteger(n)) throw new Error(`foldIn: n must be a whole number, got ${describeValue(n)}`);
  return [hash3(k[0], n >>> 0, 0x51ed27), hash3(k[1], n >>> 0, 0x2545f491)];
}

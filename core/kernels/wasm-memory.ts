/**
 * The wasm backend's memory, above the module's static data and the scratch lists: three regions with
 * three ways of handing out room.
 * - The **arena** [base, end): a ring for the kernels' operands. Arrays that live elsewhere are copied in
 *   and cached by identity (immutable arrays cannot change behind the cache) for the current generation;
 *   when the ring is full a new generation starts at `base` and every cached entry is forgotten at once.
 * - **Persistent** buffers [end, limit): jit's buffers and the batch gatherer's, handed out as views that
 *   live here until released (a free list by size: a network's buffers come back with the same sizes).
 * - The **resident** region [limit, memory's end): data sets' bytes, read in place, never given back.
 */
import type { FloatArray } from "../tensor.ts";

/** Room an array of `len` float32 numbers takes, rounded up to 16 bytes (one SIMD vector). */
export const bytesOf = (len: number) => (len * 4 + 15) & ~15;

export class WasmMemory {
  /** The memory's buffer, one object: an array whose buffer this is lives here. */
  readonly buffer: ArrayBufferLike;
  readonly heap: Float32Array;
  readonly heapBytes: Uint8Array;
  /** Offsets found by the last `place`: first input, second input, output. Reused, read right after. */
  readonly placed = [0, 0, 0];
  readonly base: number;
  readonly end: number;
  readonly limit: number;
  private next: number;
  private generation = 0;
  private readonly cache = new WeakMap<FloatArray, { readonly offset: number; readonly generation: number }>();
  private nextPersistent: number;
  private readonly freePersistent = new Map<number, number[]>();
  private nextResident: number;
  private readonly resident = new WeakMap<Uint8Array, number>();

  constructor(memory: WebAssembly.Memory, base: number, arenaBytes: number, persistentBytes: number) {
    // The memory never grows, so these views stay valid.
    this.buffer = memory.buffer;
    this.heap = new Float32Array(memory.buffer);
    this.heapBytes = new Uint8Array(memory.buffer);
    this.base = this.next = base;
    this.end = this.nextPersistent = base + arenaBytes;
    this.limit = this.nextResident = this.end + persistentBytes;
  }

  /** Whether an array lives in this memory (jit's buffers, reused batches, resident data). */
  lives(a: FloatArray | Uint8Array): boolean {
    return a.buffer === this.buffer;
  }

  /** Where `a` is now (it lives here, or is cached in this generation), or −1. */
  offsetNow(a: Float32Array): number {
    if (a.buffer === this.buffer) return a.byteOffset;
    const e = this.cache.get(a);
    return e !== undefined && e.generation === this.generation ? e.offset : -1;
  }

  /** Room in the arena for `len` numbers (the caller has made sure it fits: see `place`, `reserve`). */
  claim(len: number): number {
    const at = this.next;
    this.next += bytesOf(len);
    return at;
  }

  /** Starts a new generation when `bytes` more would not fit in the arena. */
  reserve(bytes: number): void {
    if (this.next + bytes > this.end) this.restart();
  }

  /** Whether `bytes` can fit in the arena at all. */
  fits(bytes: number): boolean {
    return bytes <= this.end - this.base;
  }

  private restart(): void {
    this.generation++;
    this.next = this.base;
  }

  private copyIn(a: Float32Array): number {
    const at = this.claim(a.length);
    this.heap.set(a, at >> 2);
    this.cache.set(a, { offset: at, generation: this.generation });
    return at;
  }

  /**
   * Places one or two inputs (copying in those not cached) and claims room for the output, filling
   * `placed`; false if they cannot fit. Called for every kernel: no closures or arrays made here.
   */
  place(a: Float32Array, b: Float32Array | undefined, out: Float32Array): boolean {
    let pa = this.offsetNow(a), pb = b === undefined ? 0 : this.offsetNow(b);
    const outHere = out.buffer === this.buffer;
    const outBytes = outHere ? 0 : bytesOf(out.length);
    if (this.next + (pa < 0 ? bytesOf(a.length) : 0) + (pb < 0 ? bytesOf(b!.length) : 0) + outBytes > this.end) {
      // A new generation drops every cached entry; then inputs cached a moment ago must be copied in again
      // too, so count all but those that live here.
      const aBytes = a.buffer === this.buffer ? 0 : bytesOf(a.length);
      const bBytes = b === undefined || b.buffer === this.buffer ? 0 : bytesOf(b.length);
      if (!this.fits(aBytes + bBytes + outBytes)) return false;
      this.restart();
      pa = this.offsetNow(a);
      pb = b === undefined ? 0 : this.offsetNow(b);
    }
    if (pa < 0) pa = this.copyIn(a);
    if (b !== undefined && pb < 0) pb = b === a ? pa : this.copyIn(b);
    this.placed[0] = pa;
    this.placed[1] = pb;
    this.placed[2] = outHere ? out.byteOffset : this.claim(out.length);
    return true;
  }

  /** Brings a result computed at `at` out to `out` (unless it was computed in place), and caches it there. */
  finish(out: Float32Array, at: number): void {
    if (out.byteOffset === at && out.buffer === this.buffer) return;
    out.set(this.heap.subarray(at >> 2, (at >> 2) + out.length));
    this.cache.set(out, { offset: at, generation: this.generation });
  }

  /** A zeroed persistent float32 view of `size` numbers (float64: an ordinary array), or undefined when full. */
  persistent(dtype: "float32" | "float64", size: number): FloatArray | undefined {
    // float64 arrays never enter the cache (only float32 runs in wasm), so an ordinary array is safe for them.
    if (dtype !== "float32") return new Float64Array(size);
    const bytes = bytesOf(size);
    const reused = this.freePersistent.get(bytes)?.pop();
    if (reused !== undefined) {
      const view = new Float32Array(this.buffer, reused, size);
      view.fill(0);
      return view;
    }
    if (this.nextPersistent + bytes > this.limit) return undefined;
    const view = new Float32Array(this.buffer, this.nextPersistent, size);
    this.nextPersistent += bytes;
    return view;
  }

  /** Gives a persistent view back (anything else is ignored). */
  release(a: FloatArray): void {
    if (a.buffer !== this.buffer || a.byteOffset < this.end || a.byteOffset >= this.limit) return;
    const bytes = bytesOf(a.length);
    const list = this.freePersistent.get(bytes) ?? [];
    list.push(a.byteOffset);
    this.freePersistent.set(bytes, list);
  }

  /** A block of the resident region, or undefined when it has no room left. */
  claimResident(length: number): number | undefined {
    if (this.nextResident + length > this.buffer.byteLength) return undefined;
    const at = this.nextResident;
    this.nextResident += (length + 15) & ~15;
    return at;
  }

  /** Where `bytes` lives here (it does already, or is copied into the resident region now if there is room); undefined if there is none. */
  residentOffset(bytes: Uint8Array): number | undefined {
    if (bytes.buffer === this.buffer) return bytes.byteOffset;
    let at = this.resident.get(bytes);
    if (at === undefined && (at = this.claimResident(bytes.length)) !== undefined) {
      this.heapBytes.set(bytes, at);
      this.resident.set(bytes, at);
    }
    return at;
  }
}

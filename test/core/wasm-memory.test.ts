/** The wasm backend's memory on its own: the operand ring and its generations, persistent buffers, the resident region. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { WasmMemory } from "../../core/kernels/wasm-memory.ts";

const KB = 1024;
const make = (arena = 4 * KB, persistent = 4 * KB, resident = 4 * KB) => new WasmMemory(new WebAssembly.Memory({ initial: 1 }), 64 * KB - arena - persistent - resident, arena, persistent);

test("place copies inputs in once per generation and claims room for the output", () => {
  const m = make();
  const a = Float32Array.from([1, 2, 3]), b = Float32Array.from([4, 5]), out = new Float32Array(3);
  assert.ok(m.place(a, b, out));
  const [pa, pb, po] = m.placed;
  assert.deepEqual(Array.from(m.heap.subarray(pa >> 2, (pa >> 2) + 3)), [1, 2, 3]);
  assert.deepEqual(Array.from(m.heap.subarray(pb >> 2, (pb >> 2) + 2)), [4, 5]);
  assert.ok(po >= m.base && po < m.end && new Set([pa, pb, po]).size === 3);
  assert.ok(m.place(a, undefined, new Float32Array(1)));
  assert.equal(m.placed[0], pa, "a is cached: not copied again");
  // The same array twice is placed once.
  assert.ok(m.place(b, b, new Float32Array(2)));
  assert.equal(m.placed[0], m.placed[1]);
});

test("a full ring starts a new generation: cached offsets are forgotten and inputs copied in again", () => {
  const m = make(1 * KB);
  const a = Float32Array.from({ length: 64 }, (_, i) => i);
  assert.ok(m.place(a, undefined, new Float32Array(64)));
  const first = m.placed[0];
  for (let i = 0; i < 3; i++) assert.ok(m.place(new Float32Array(64), undefined, new Float32Array(64)));
  assert.equal(m.offsetNow(a), -1, "a's entry belongs to the old generation");
  assert.ok(m.place(a, undefined, new Float32Array(64)));
  assert.deepEqual(Array.from(m.heap.subarray(m.placed[0] >> 2, (m.placed[0] >> 2) + 64)), Array.from(a));
  assert.equal(m.placed[0], first, "copied again from the ring's start");
  assert.equal(m.place(new Float32Array(1024), undefined, new Float32Array(1)), false, "larger than the whole ring: refused");
});

test("finish brings a result out and caches it where it was computed; a result computed in place stays", () => {
  const m = make();
  const x = Float32Array.from([1, 2]), out = new Float32Array(2);
  assert.ok(m.place(x, undefined, out));
  m.heap.set([7, 8], m.placed[2] >> 2);
  m.finish(out, m.placed[2]);
  assert.deepEqual(Array.from(out), [7, 8]);
  assert.equal(m.offsetNow(out), m.placed[2]);
  const here = m.persistent("float32", 2) as Float32Array;
  assert.ok(m.place(x, undefined, here));
  assert.equal(m.placed[2], here.byteOffset, "an output that lives here is computed in place");
});

test("persistent buffers are zeroed views, reused by size after release, refused when the region is full", () => {
  const m = make(4 * KB, 1 * KB);
  const a = m.persistent("float32", 100) as Float32Array;
  assert.ok(m.lives(a) && a.byteOffset >= m.end && a.byteOffset < m.limit);
  a.fill(3);
  m.release(a);
  const b = m.persistent("float32", 100) as Float32Array;
  assert.equal(b.byteOffset, a.byteOffset, "the released block, reused");
  assert.deepEqual(Array.from(b), new Array(100).fill(0));
  assert.equal(m.persistent("float32", 1000), undefined, "no room: undefined, not an overlap");
  assert.ok(m.persistent("float64", 10) instanceof Float64Array, "float64 never lives here");
  m.release(new Float32Array(100)); // not ours: ignored
  assert.notEqual((m.persistent("float32", 100) as Float32Array).byteOffset, b.byteOffset);
});

test("the resident region holds data sets' bytes in place and is never handed out twice", () => {
  const m = make(4 * KB, 4 * KB, 4 * KB);
  const bytes = Uint8Array.from([1, 2, 3, 4, 5]);
  const at = m.residentOffset(bytes)!;
  assert.ok(at >= m.limit);
  assert.deepEqual(Array.from(m.heapBytes.subarray(at, at + 5)), [1, 2, 3, 4, 5]);
  assert.equal(m.residentOffset(bytes), at, "copied in once");
  const block = m.claimResident(100)!;
  assert.ok(block >= at + 16 && block % 16 === 0);
  assert.equal(m.claimResident(64 * KB), undefined);
});

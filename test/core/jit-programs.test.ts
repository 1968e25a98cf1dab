/** jit is an optimisation, never a change of meaning: random programs, random aliasing, numbers among the arguments, random call sequences. */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import * as T from "../../core/index.ts";

type Tensor = T.Tensor;
type Args = { readonly a: Tensor; readonly b: Tensor; readonly c: Tensor };

/** One step of a program: an op applied to earlier values (the inputs a, b, c are values 0-2) and the number s. */
type Instr = { readonly op: string; readonly x: number; readonly y: number };

const unaries: Record<string, (x: Tensor) => Tensor> = { tanh: T.tanh, sigmoid: T.sigmoid, square: T.square, neg: T.neg, relu: T.relu, abs: T.abs };
/** t (h'×w') with zero rows and columns added to make it h×w: image ops keep a program's values one shape. */
function padTo(t: Tensor, h: number, w: number): Tensor {
  const rows = h > t.shape[0] ? T.concat([t, T.zeros([h - t.shape[0], t.shape[1]], t.dtype)], 0) : t;
  return w > t.shape[1] ? T.concat([rows, T.zeros([h, w - t.shape[1]], t.dtype)], 1) : rows;
}
const image = (x: Tensor) => T.reshape(x, [1, 1, x.shape[0], x.shape[1]]);
const binaries: Record<string, (x: Tensor, y: Tensor, s: number) => Tensor> = {
  add: T.add, sub: T.sub, mul: T.mul,
  scale: (x, _y, s) => T.mul(x, s),
  maximum: T.maximum,
  byTotal: (x, y) => T.mul(x, T.sum(y)),
  rowMix: (x, y) => T.matmul(T.matmulT(x, y, false, true), x),
  // The image ops' kernels (im2col, col2im, the block transpose, 2×2 max pooling and its scatter) in programs too.
  conv: (x, y) => {
    const [h, w] = x.shape;
    const filter = T.reshape(T.slice(T.slice(y, 0, 0, Math.min(2, h)), 1, 0, Math.min(2, w)), [1, 1, Math.min(2, h), Math.min(2, w)]);
    const out = T.conv2d(image(x), filter);
    return padTo(T.reshape(out, [out.shape[2], out.shape[3]]), h, w);
  },
  pool: (x) => {
    const [h, w] = x.shape;
    if (h < 2 || w < 2) return x;
    const out = T.maxPool2d(image(x), 2);
    return padTo(T.reshape(out, [out.shape[2], out.shape[3]]), h, w);
  },
};
const ops = [...Object.keys(unaries), ...Object.keys(binaries)];

const program = fc.array(fc.record({ op: fc.constantFrom(...ops), x: fc.nat(), y: fc.nat() }), { minLength: 1, maxLength: 8 });

/** The function a program denotes: its last value, and the sum of its values as a scalar for grad. */
function denote(instrs: readonly Instr[]) {
  const run = (p: Args, s: number): Tensor[] => {
    const vals = [p.a, p.b, p.c];
    for (const { op, x, y } of instrs) {
      const vx = vals[x % vals.length], vy = vals[y % vals.length];
      vals.push(op in unaries ? unaries[op](vx) : binaries[op](vx, vy, s));
    }
    return vals;
  };
  return {
    value: (p: Args, s: number) => ({ last: run(p, s).at(-1) as Tensor, first: run(p, s)[3] }),
    scalar: (p: Args, s: number) => T.sum(T.tanh(run(p, s).slice(3).reduce((u, v) => T.add(u, v)))),
  };
}

/** A call: which of a pool of tensors each argument is (so arguments alias at random) and the number s. */
const call = fc.record({ a: fc.nat(3), b: fc.nat(3), c: fc.nat(3), s: fc.constantFrom(0.5, 2, -1) });

const flat = (t: T.Tree) => T.treeLeaves(t).flatMap((l) => Array.from(l.data));

for (const k of [T.referenceKernels, T.fastKernels]) {
  test(`jit(f) equals f, grad(jit(f)) and jit(grad(f)) equal grad(f), on every call of random programs with random aliasing and numbers (${k.name} kernels)`, () => T.withKernels(k, () => {
    fc.assert(
      fc.property(program, fc.array(call, { minLength: 2, maxLength: 6 }), fc.integer({ min: 0, max: 1e6 }), (instrs, calls, seed) => {
        const f = denote(instrs);
        const jf = T.jit(f.value), jg = T.jit(T.grad(f.scalar)), gj = T.grad(T.jit(f.scalar));
        calls.forEach((cl, i) => {
          const pool = Array.from({ length: 4 }, (_, j) => T.normal(T.key(seed + 10 * i + j), [2, 2]));
          const args: Args = { a: pool[cl.a], b: pool[cl.b], c: pool[cl.c] };
          assert.deepEqual(flat(jf(args, cl.s)), flat(f.value(args, cl.s)), `call ${i}: jit(f)`);
          const g = flat(T.grad(f.scalar)(args, cl.s));
          assert.deepEqual(flat(jg(args, cl.s)), g, `call ${i}: jit(grad(f))`);
          assert.deepEqual(flat(gj(args, cl.s)), g, `call ${i}: grad(jit(f))`);
        });
      }),
      { numRuns: 40 },
    );
  }));
}

test("jit refuses arguments it cannot key, and runs eagerly what it cannot replay", () => {
  assert.throws(() => T.jit((x: Tensor, _m: unknown) => x)(T.tensor([1]), new Map()), /jit: argument 1 is a Map; jit takes tensors in records and arrays/);
  // A result with a number in it cannot be rebuilt from tensors: jit runs f every time.
  let runs = 0;
  const f = T.jit((x: Tensor) => ({ y: T.exp(x), n: ++runs }));
  f(T.tensor([0]));
  const second = f(T.tensor([1]));
  assert.equal(second.n, 2);
  assert.deepEqual(Array.from(second.y.data), [Math.E]);
  // valueAndGrad's result keeps its value when jitted.
  const vg = T.jit(T.valueAndGrad((x: Tensor) => T.sum(T.square(x))));
  vg(T.tensor([1, 2]));
  const r = vg(T.tensor([3, 4]));
  assert.equal(r[0].item(), 25);
  assert.deepEqual(Array.from(r[1].data), [6, 8]);
});

test("on wasm, a replay compiled into one module call equals the calls made one by one and eager f, bit for bit, whatever the inputs hold", () => {
  // Inputs that live in wasm memory (as jit's outputs and reused batches do), so the compiled calls run;
  // random programs mix module kernels with JS-only ones (tanh, relu, abs, maximum) run between the module's runs.
  const shapes: readonly (readonly number[])[] = [[2, 2], [9, 8]];
  const backends = [true, false].map((programs) => T.createWasmKernels({ arenaBytes: 1 << 20, persistentBytes: 8 << 20, programs }));
  fc.assert(
    fc.property(program, fc.array(call, { minLength: 3, maxLength: 6 }), fc.integer({ min: 0, max: 1e6 }), fc.constantFrom(...shapes), (instrs, calls, seed, shape) => {
      const f = denote(instrs);
      const results = backends.map((k) => T.withKernels(k, () => {
        const resident = (t: Tensor) => {
          const data = k.persistent!("float32", t.size) as Float32Array;
          data.set(t.data);
          return new T.Tensor(t.shape, data);
        };
        const jf = T.jit(f.value), jg = T.jit(T.grad(f.scalar));
        return calls.map((cl, i) => {
          const pool = Array.from({ length: 4 }, (_, j) => resident(T.cast(T.normal(T.key(seed + 10 * i + j), shape), "float32")));
          const args: Args = { a: pool[cl.a], b: pool[cl.b], c: pool[cl.c] };
          const out = { jit: flat(jf(args, cl.s)), eager: flat(f.value(args, cl.s)), grad: flat(jg(args, cl.s)), eagerGrad: flat(T.grad(f.scalar)(args, cl.s)) };
          for (const p of pool) k.release!(p.data);
          return out;
        });
      }));
      results[0].forEach((r, i) => {
        assert.deepEqual(r.jit, r.eager, `call ${i}: compiled jit(f) against f`);
        assert.deepEqual(r.grad, r.eagerGrad, `call ${i}: compiled jit(grad(f)) against grad(f)`);
        assert.deepEqual(r, results[1][i], `call ${i}: compiled against calls made one by one`);
      });
    }),
    { numRuns: 40 },
  );
});

test("a call is replayed only for arguments its trace's key fits: records with other keys, −0 against 0, other shapes and dtypes trace anew", () => {
  // A number the trace bakes in from the record's key names.
  const names = (p: object) => Object.keys(p).reduce((sum, k) => sum * 1000 + k.charCodeAt(0), 0);
  const f = T.jit((p: { readonly [k: string]: unknown }, s: unknown) => {
    const t = (Object.values(p).find((v) => v instanceof T.Tensor) as Tensor | undefined) ?? T.tensor([1]);
    const scale = typeof s === "number" ? s : 3;
    return { y: T.mul(t, Object.is(scale, -0) ? 7 : scale), n: T.tensor([names(p)]) };
  });
  const x = T.tensor([1, 2]);
  const calls: [Record<string, unknown>, unknown][] = [
    [{ a: x }, 2], [{ a: x }, 2], [{ b: x }, 2], [{ a: x, u: undefined }, 2], [{ a: x }, undefined], [{ a: x }, 0], [{ a: x }, -0], [{ a: x }, -0],
    [{ a: T.tensor([1, 2, 3]) }, 2], [{ a: T.cast(x, "float32") }, 2], [{ a: x }, NaN], [{ a: x }, NaN], [{ a: x }, "2"], [{ a: x }, 2],
  ];
  for (const [p, s] of calls) {
    const t = (Object.values(p).find((v) => v instanceof T.Tensor) as Tensor | undefined) ?? T.tensor([1]);
    const scale = typeof s === "number" ? s : 3;
    const r = f(p, s);
    assert.deepEqual(Array.from(r.y.data), Array.from(t.data).map((v) => (t.dtype === "float32" ? Math.fround : Number)(v * (Object.is(scale, -0) ? 7 : scale))), `${JSON.stringify(Object.keys(p))} ${String(s)}`);
    assert.deepEqual(Array.from(r.n.data), [names(p)]);
  }
});

test("a backend that spreads the wasm one compiles programs too, unless it overrides a kernel the program calls", () => {
  const k = T.createWasmKernels({ arenaBytes: 1 << 20, persistentBytes: 1 << 20 });
  const x = k.persistent!("float32", 8) as Float32Array, y = k.persistent!("float32", 8) as Float32Array, out = k.persistent!("float32", 8) as Float32Array;
  x.set([1, 2, 3, 4, 5, 6, 7, 8]);
  y.fill(1);
  const calls = [{ kernel: "axpy" as const, args: [2, x, y, out], inputs: [] }];
  const wrapped: T.Kernels = { ...k, name: "wasm, wrapped" };
  const compiled = wrapped.compile!(calls, []);
  assert.ok(compiled !== undefined, "a wrapper that overrides nothing it calls compiles (it used to refuse any wrapper, silently)");
  assert.ok(compiled.run([]));
  assert.deepEqual(Array.from(out), [3, 5, 7, 9, 11, 13, 15, 17]);
  compiled.release();
  let overridden = 0;
  const overriding: T.Kernels = { ...k, name: "wasm, axpy counted", axpy: (...a) => void (overridden++, k.axpy(...a)) };
  assert.equal(overriding.compile!(calls, []), undefined, "its axpy would be bypassed by a compiled replay: the calls stay calls");
  assert.ok(overriding.compile!([{ kernel: "matmul", args: [x, y, out, 2, 4, 2, false, true], inputs: [] }], []) !== undefined, "a program not calling the override compiles");
  assert.equal(overridden, 0);
});

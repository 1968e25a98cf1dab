/**
 * `jit(f)`: trace once, replay many times. The first call of f with a given key (the arguments' tree
 * structure, each tensor's shape and dtype, and every number, string or boolean among them) runs f on
 * copies of its tensors while recording every kernel call and every array it allocates. Later calls with
 * the same key replay just those kernel calls into buffers kept from call to call: no tape, no shape
 * checks, no allocation, only the arithmetic. Inputs are found by their position in the argument tree,
 * never by identity, so neither aliasing at trace time nor a captured constant passed as an argument is
 * baked in. Outputs are fresh copies (unless donated, see JitOptions), so results stay immutable values.
 *
 * jit is an optimisation, never a change of meaning. Under grad, vjp, jvp or vmap f runs eagerly, so the
 * enclosing transform sees every op (jit(grad(f)) is where the speed is: the whole gradient is traced).
 * What f makes in JavaScript is fixed at trace time: numbers read out (`item()`, `toArray()`, `.data`)
 * and control flow that depends on them, and random tensors drawn inside f (pass them in as arguments
 * instead). `item()`, `toArray()` and `cast` during a trace are noticed, and then f simply runs eagerly
 * every time, as it does when its result holds anything but tensors in plain records and arrays.
 */
import { kernels, withKernels } from "./kernels/backend.ts";
import { outArgument, type CompiledCalls, type KernelName, type Kernels } from "./kernels/kernels.ts";
import { batching } from "./batch-tracer.ts";
import { poison, poisoningReused } from "./reuse.ts";
import { activeTapes } from "./tape.ts";
import { SparseBatch } from "./sparse.ts";
import { sameShape, Tensor, watchAllocations, watchReads, type DType, type FloatArray } from "./tensor.ts";
import { findNonTree, isPlainRecord, treeBuilder, treeLeaves, type Tree } from "./tree.ts";

/** Where a replayed call finds an array: an input leaf, a kept buffer, or a constant. */
type Ref = { readonly input: number } | { readonly buffer: number } | { readonly constant: FloatArray };

interface Call {
  readonly kernel: KernelName;
  /** The arguments for each buffer set, with buffers, constants and plain values in place; inputs are filled in per replay. */
  readonly args: readonly [unknown[], unknown[]];
  readonly inputs: readonly (readonly [argument: number, input: number])[];
  /** For each argument that is a kept buffer, its number. */
  readonly bufferOf: readonly (number | undefined)[];
}

interface Program {
  readonly kernels: Kernels;
  readonly calls: readonly Call[];
  /** Two sets of buffers: with donation, replays alternate between them (see JitOptions). */
  readonly buffers: readonly [readonly FloatArray[], readonly FloatArray[]];
  readonly outputs: readonly { readonly ref: Ref; readonly shape: readonly number[] }[];
  /** Builds the output tree from the output tensors. */
  readonly build: (leaves: readonly Tensor[]) => Tree;
  /** The arguments it was traced for, to match a later call's against without making its key (see `matches`). */
  readonly skeleton: readonly Skeleton[];
  /** The buffer set the last replay wrote. */
  parity: number;
  /** Each buffer set's calls as the backend compiled them (made on first use; null: it did not). */
  readonly compiled: [CompiledCalls | null | undefined, CompiledCalls | null | undefined];
  /** With poisoning on (core/reuse.ts): the tensors each buffer set's last donated replay handed out. */
  readonly handedOut: [Tensor[], Tensor[]];
  /** With JitOptions.inPlace: outputs whose one buffer (shared by both sets) may be written over the input it updates. */
  readonly inPlace: readonly { readonly input: number; readonly buffer: number }[];
  /** With poisoning on: the last replay's outputs from those shared buffers (the next replay overwrites them). */
  readonly handedInPlace: Tensor[];
}

export interface JitOptions {
  /**
   * The caller gives up its arguments: it will not read them again once the call after this one has
   * started. Outputs are then handed out without copying (they live in jit's buffers, two sets used in
   * turn), for a loop that feeds each call's outputs to the next, as a training loop does. A caller that
   * keeps a result longer must copy it.
   */
  readonly donate?: boolean;
  /**
   * With donate, the stronger promise JAX's donate_argnums asks for: the caller gives up its arguments as
   * soon as the call starts. An output that is an update of an argument (a weight's sgd step, fused with its
   * sparse gradient: `sparseMatmulTAxpy`) then keeps one buffer, and when the argument passed is that
   * buffer (the call before handed it out), the update is written over it: only the rows the batch touches.
   * Such outputs are valid until the next call starts. A call whose other arguments share that buffer runs
   * eagerly.
   */
  readonly inPlace?: boolean;
}

/**
 * The arguments' tensors in canonical order, and the key a trace is kept under: the trees' structure,
 * each tensor's dtype and shape, and every other value (numbers, strings, booleans, null, undefined),
 * which jit treats as static, as JAX's static arguments: a new value makes a new trace.
 * This runs on every call of a jitted step, so it builds no paths (see `describeArgument` for errors).
 */
function flattenArgs(args: readonly unknown[]): { leaves: Tensor[]; key: string } {
  return walkArgs(args, false);
}

/** flattenArgs, and the arguments' skeletons (made when a call traces, not on every call). */
function walkArgs(args: readonly unknown[], build: boolean): { leaves: Tensor[]; key: string; skeleton: Skeleton[] } {
  const acc = { leaves: [] as Tensor[], key: "", skeleton: [] as Skeleton[] };
  for (let i = 0; i < args.length; i++) {
    acc.key += "|";
    const s = walkArg(args[i], acc, build);
    if (s === false) throw new Error(`jit: ${describeArgument(args)}; jit takes tensors in records and arrays, and numbers, strings, booleans, null or undefined (each value of these traces anew)`);
    if (s !== null) acc.skeleton.push(s);
  }
  return acc;
}

// Shapes are frozen and shared between tensors (jit's outputs reuse the traced ones): their key text is kept.
const shapeKeys = new WeakMap<readonly number[], string>();

function shapeKey(t: Tensor): string {
  let k = shapeKeys.get(t.shape);
  if (k === undefined) {
    k = `[${t.shape.join(",")}]`;
    if (Object.isFrozen(t.shape)) shapeKeys.set(t.shape, k);
  }
  return k;
}

/**
 * The one walk over an argument, which defines the canonical order of its tensors: adds its leaves and key
 * text to acc and returns its skeleton (null when not asked for one, with `build` false; false when x holds
 * a value jit cannot key). The skeleton's consumers (`matches`, `fromSkeleton`) follow it, so they keep to
 * the same order by construction.
 */
function walkArg(x: unknown, acc: { leaves: Tensor[]; key: string }, build: boolean): Skeleton | null | false {
  if (x instanceof Tensor) {
    acc.leaves.push(x);
    acc.key += x.dtype === "float32" ? "f" : "d";
    acc.key += shapeKey(x);
    return build ? { kind: "tensor", dtype: x.dtype, shape: x.shape } : null;
  }
  if (x instanceof SparseBatch) {
    // The matrix is static (part of the key, as JAX's static aux data); its row numbers are traced.
    acc.key += `S${x.matrix.id}:`;
    const rows = walkArg(x.rows, acc, build);
    return build ? { kind: "sparse", matrix: x.matrix, rows: rows as Skeleton } : null;
  }
  if (Array.isArray(x)) {
    const items: Skeleton[] = [];
    acc.key += "(";
    for (let i = 0; i < x.length; i++) {
      const item = walkArg(x[i], acc, build);
      if (item === false) return false;
      if (item !== null) items.push(item);
    }
    acc.key += ")";
    return build ? { kind: "array", items } : null;
  }
  if (isPlainRecord(x)) {
    const keys = Object.keys(x).sort();
    const values: Skeleton[] = [];
    acc.key += "{";
    for (let i = 0; i < keys.length; i++) {
      acc.key += `${keys[i].length}:${keys[i]}`; // length-prefixed, so no key text can mimic another structure
      const value = walkArg(x[keys[i]], acc, build);
      if (value === false) return false;
      if (value !== null) values.push(value);
    }
    acc.key += "}";
    return build ? { kind: "record", keys, values } : null;
  }
  if (typeof x === "number") acc.key += Object.is(x, -0) ? "n-0;" : `n${x};`;
  else if (typeof x === "string") acc.key += `s${x.length}:${x}`;
  else if (typeof x === "boolean") acc.key += x ? "T" : "F";
  else if (x === undefined) acc.key += "u";
  else if (x === null) acc.key += "z";
  else return false;
  return build ? { kind: "static", value: x } : null;
}

/**
 * An argument as its key describes it: tree structure, each tensor's dtype and shape, every static value.
 * Matching a call's arguments against it finds what flattenArgs would (the same leaves, and a key equal to
 * the program's) without making key text: the fast path for a loop calling with the same kinds of arguments.
 */
type Skeleton =
  | { readonly kind: "tensor"; readonly dtype: DType; readonly shape: readonly number[] }
  | { readonly kind: "array"; readonly items: readonly Skeleton[] }
  | { readonly kind: "record"; readonly keys: readonly string[]; readonly values: readonly Skeleton[] }
  | { readonly kind: "sparse"; readonly matrix: SparseBatch["matrix"]; readonly rows: Skeleton }
  | { readonly kind: "static"; readonly value: unknown };

const hasOwn = (x: object, k: string) => Object.prototype.hasOwnProperty.call(x, k);

/** Whether x fits the skeleton exactly (then its leaves, in canonical order, are added to `leaves`). */
function matches(s: Skeleton, x: unknown, leaves: Tensor[]): boolean {
  switch (s.kind) {
    case "tensor":
      if (!(x instanceof Tensor) || x.dtype !== s.dtype || (x.shape !== s.shape && !sameShape(x.shape, s.shape))) return false;
      leaves.push(x);
      return true;
    case "sparse":
      return x instanceof SparseBatch && x.matrix === s.matrix && matches(s.rows, x.rows, leaves);
    case "array":
      if (!Array.isArray(x) || x.length !== s.items.length) return false;
      for (let i = 0; i < x.length; i++) if (!matches(s.items[i], x[i], leaves)) return false;
      return true;
    case "record":
      if (!isPlainRecord(x) || Object.keys(x).length !== s.keys.length) return false;
      for (let i = 0; i < s.keys.length; i++) if (!hasOwn(x, s.keys[i]) || !matches(s.values[i], x[s.keys[i]], leaves)) return false;
      return true;
    case "static":
      return Object.is(x, s.value); // as the key text tells numbers (−0 from 0, NaN as NaN), strings and the rest apart
  }
}

/** Where the first value jit cannot key is, and what it is, e.g. "argument 1 at lr is a function". */
function describeArgument(args: readonly unknown[]): string {
  const isStatic = (x: unknown) => x instanceof SparseBatch || x === null || x === undefined || ["number", "string", "boolean"].includes(typeof x);
  for (let i = 0; i < args.length; i++) {
    const bad = findNonTree(args[i], isStatic);
    if (bad !== undefined) return `argument ${i}${bad.path === "" ? "" : ` at ${bad.path}`} is ${bad.what}`;
  }
  return "an argument cannot be keyed";
}

/** The arguments a skeleton describes, with `leaves` (in canonical order) for their tensors. */
function fromSkeleton(skeleton: readonly Skeleton[], leaves: readonly Tensor[]): unknown[] {
  let at = 0;
  const rebuild = (s: Skeleton): unknown => {
    switch (s.kind) {
      case "tensor": return leaves[at++];
      case "sparse": return new SparseBatch(s.matrix, rebuild(s.rows) as Tensor);
      case "array": return s.items.map(rebuild);
      case "record": return Object.fromEntries(s.keys.map((k, i) => [k, rebuild(s.values[i])]));
      case "static": return s.value;
    }
  };
  return skeleton.map(rebuild);
}

/** Whether a result can be rebuilt from its tensors: tensors in plain records (of plain data properties) and arrays. */
function rebuildable(x: unknown): boolean {
  if (x instanceof Tensor) return true;
  if (Array.isArray(x)) return x.every(rebuildable);
  if (!isPlainRecord(x)) return false;
  const names = Object.getOwnPropertyNames(x);
  if (names.length !== Object.keys(x).length) return false;
  return names.every((n) => "value" in (Object.getOwnPropertyDescriptor(x, n) as PropertyDescriptor) && rebuildable(x[n]));
}

/** A jitted function keeps at most this many traces; further signatures run eagerly (a new static value on every call would otherwise pile up traces). */
const MAX_TRACES = 64;

let tracing = 0;
let untraceable = false;

/** What running f once under the trace's hooks saw: the kernel calls, the arrays made, the inputs' copies. */
interface Recording {
  readonly result: unknown;
  readonly skeleton: readonly Skeleton[];
  /** The input copies' arrays, by position among the arguments' tensors. */
  readonly inputOf: ReadonlyMap<FloatArray, number>;
  /** Arrays allocated during the run, and those a kernel wrote. */
  readonly allocated: ReadonlySet<FloatArray>;
  readonly written: ReadonlySet<FloatArray>;
  readonly raw: readonly RawCall[];
  /** A number was read out (or a cast made): f cannot be replayed. */
  readonly untraceable: boolean;
}

/**
 * Runs f once on fresh copies of its inputs (so each input is one array the program reads, whatever the
 * caller's aliasing: two leaves sharing data, a leaf that is also a constant f captured), with three hooks
 * installed for the run: kernels that note every call, an allocation watcher and a read watcher.
 */
function record(f: (...args: unknown[]) => unknown, args: readonly unknown[], base: Kernels): Recording {
  const { leaves, skeleton } = walkArgs(args, true);
  const copies = leaves.map((l) => new Tensor(l.shape, l.data.slice()));
  const inputOf = new Map<FloatArray, number>();
  copies.forEach((l, i) => inputOf.set(l.data, i));
  const allocated = new Set<FloatArray>();
  const written = new Set<FloatArray>();
  const raw: RawCall[] = [];
  // A recording wrapper: every call is noted, then computed by the real kernels.
  const recorder = { name: `${base.name} (tracing)`, dtype: base.dtype } as Record<string, unknown>;
  for (const name of Object.keys(outArgument) as KernelName[]) {
    recorder[name] = (...callArgs: unknown[]) => {
      raw.push({ kernel: name, args: callArgs } as RawCall);
      written.add(callArgs[outArgument[name]] as FloatArray);
      return (base[name] as (...a: unknown[]) => void)(...callArgs);
    };
  }
  const previousWatcher = watchAllocations((a) => void allocated.add(a));
  // Reading numbers out during the trace would bake them in: such a function runs eagerly instead.
  const previousReads = watchReads(() => {
    untraceable = true;
  });
  tracing++;
  untraceable = false;
  let result: unknown;
  try {
    result = withKernels(recorder as unknown as Kernels, () => f(...fromSkeleton(skeleton, copies)));
  } finally {
    tracing--;
    watchAllocations(previousWatcher);
    watchReads(previousReads);
  }
  return { result, skeleton, inputOf, allocated, written, raw, untraceable };
}

/**
 * The program a recording makes: arrays a kernel wrote get a kept buffer (two sets, for donated calls),
 * arrays made in JavaScript (scalars, seeds, zeros) are constants, inputs are read from the call's arguments.
 * Undefined when the backend has no room for the buffers.
 */
function programOf(r: Recording, base: Kernels, inPlace: boolean): Program | undefined {
  const bufferOf = new Map<FloatArray, number>();
  const buffers: [FloatArray[], FloatArray[]] = [[], []];
  // A backend that caches by identity must know which arrays jit rewrites: only its persistent arrays may be buffers.
  let roomless = false;
  const keep = (a: FloatArray): FloatArray => {
    const dtype = a instanceof Float32Array ? "float32" : "float64";
    if (base.persistent === undefined) return dtype === "float32" ? new Float32Array(a.length) : new Float64Array(a.length);
    const b = base.persistent(dtype, a.length);
    if (b === undefined) roomless = true;
    return b ?? new Float32Array(0);
  };
  const refOf = (a: FloatArray): Ref => {
    const input = r.inputOf.get(a);
    if (input !== undefined) return { input };
    if (r.allocated.has(a) && r.written.has(a)) {
      let b = bufferOf.get(a);
      if (b === undefined) {
        b = buffers[0].length;
        bufferOf.set(a, b);
        buffers[0].push(keep(a));
        buffers[1].push(keep(a));
      }
      return { buffer: b };
    }
    return { constant: r.allocated.has(a) ? a.slice() : a };
  };
  const outLeaves = treeLeaves(r.result as Tree);
  const calls: Call[] = fuse(r.raw, new Set(outLeaves.map((t) => t.data)), base).map(({ kernel, args: callArgs }) => {
    const inputs: [number, number][] = [];
    const refs = callArgs.map((v, i) => {
      if (!isArray(v)) return { value: v };
      const ref = refOf(v);
      if ("input" in ref) inputs.push([i, ref.input]);
      return ref;
    });
    const argsFor = (set: 0 | 1) => refs.map((x) => ("value" in x ? x.value : "input" in x ? undefined : "buffer" in x ? buffers[set][x.buffer] : x.constant));
    return { kernel, args: [argsFor(0), argsFor(1)], inputs, bufferOf: refs.map((x) => ("buffer" in x ? x.buffer : undefined)) };
  });
  const outputs = outLeaves.map((t) => ({ ref: refOf(t.data), shape: t.shape }));
  if (roomless) {
    releaseBuffers(base, buffers);
    return undefined;
  }
  const shared = inPlace ? inPlaceUpdates(calls, outputs, base) : [];
  for (const { buffer } of shared) {
    base.release?.(buffers[1][buffer]);
    buffers[1][buffer] = buffers[0][buffer];
    for (const call of calls) call.bufferOf.forEach((b, j) => {
      if (b === buffer) call.args[1][j] = buffers[0][buffer];
    });
  }
  return { kernels: base, calls, buffers, outputs, build: treeBuilder(r.result as Tree), skeleton: r.skeleton, parity: 1, compiled: [undefined, undefined], handedOut: [[], []], inPlace: shared, handedInPlace: [] };
}

/**
 * The updates that may be written over their input: a call whose argument the backend names (Kernels.inPlaceArgument:
 * the wasm sparse update's c) is an input no later call reads and that is not itself an output, and whose out is
 * a buffer written by no other call and handed out.
 */
function inPlaceUpdates(calls: readonly Call[], outputs: readonly { readonly ref: Ref }[], k: Kernels): { input: number; buffer: number }[] {
  const found: { input: number; buffer: number }[] = [];
  const outputBuffers = new Set(outputs.flatMap(({ ref }) => ("buffer" in ref ? [ref.buffer] : [])));
  const outputInputs = new Set(outputs.flatMap(({ ref }) => ("input" in ref ? [ref.input] : [])));
  const writers = new Map<number, number>();
  calls.forEach((call) => {
    const out = call.bufferOf[outArgument[call.kernel]];
    if (out !== undefined) writers.set(out, (writers.get(out) ?? 0) + 1);
  });
  calls.forEach((call, i) => {
    // Only where the backend writes less in place (the rows a sparse batch touches), and says which argument.
    const argument = k.inPlaceArgument?.(call.kernel, call.args[0]);
    if (argument === undefined) return;
    const c = call.inputs.find(([arg]) => arg === argument)?.[1];
    const out = call.bufferOf[outArgument[call.kernel]];
    if (c === undefined || out === undefined || outputInputs.has(c) || !outputBuffers.has(out) || writers.get(out) !== 1) return;
    if (calls.slice(i + 1).some((later) => later.inputs.some(([, input]) => input === c))) return;
    if (found.some((f) => f.input === c || f.buffer === out)) return;
    found.push({ input: c, buffer: out });
  });
  return found;
}

/** Traces f: its result now, and a program to replay it by when it can be replayed. */
function trace(f: (...args: unknown[]) => unknown, args: readonly unknown[], inPlace: boolean): { result: unknown; program?: Program } {
  const base = kernels();
  const r = record(f, args, base);
  if (r.untraceable || !rebuildable(r.result)) return { result: r.result };
  const program = programOf(r, base, inPlace);
  return program === undefined ? { result: r.result } : { result: r.result, program };
}

const isArray = (v: unknown): v is FloatArray => v instanceof Float64Array || v instanceof Float32Array;

/** A kernel call as the trace saw it, typed by its kernel: `args` are that kernel's parameters. */
type RawCall = { readonly [K in KernelName]: { readonly kernel: K; readonly args: Parameters<NonNullable<Kernels[K]>> } }[KernelName];

/**
 * A weight gradient read only by its update becomes one call: aᵀ·b (dense, or a sparse batch's rows
 * transposed) followed by an axpy that is the only reader of the product (and the product not an output)
 * is replaced, in the axpy's place, by the kernels' `matmulAxpy` or `sparseMatmulTAxpy`, when they have it,
 * so the gradient is never written out. Their contract is the same numbers.
 */
function fuse(raw: readonly RawCall[], outputs: ReadonlySet<FloatArray>, k: Kernels): readonly RawCall[] {
  if (k.matmulAxpy === undefined && k.sparseMatmulTAxpy === undefined) return raw;
  const reads = new Map<FloatArray, number>();
  const producer = new Map<FloatArray, number>();
  raw.forEach(({ kernel, args }, i) => {
    (args as readonly unknown[]).forEach((v, j) => {
      if (isArray(v) && j !== outArgument[kernel]) reads.set(v, (reads.get(v) ?? 0) + 1);
    });
    producer.set(args[outArgument[kernel]] as FloatArray, i);
  });
  const fused = [...raw];
  const dropped = new Set<number>();
  raw.forEach((call, i) => {
    if (call.kernel !== "axpy") return;
    const [alpha, x, y, out] = call.args;
    const p = producer.get(x);
    if (p === undefined || reads.get(x) !== 1 || outputs.has(x)) return;
    const product = raw[p];
    if (product.kernel === "matmul" && k.matmulAxpy !== undefined) {
      const [a, b, , m, kk, n, transA, transB] = product.args;
      if (transA !== true || transB !== false) return;
      fused[i] = { kernel: "matmulAxpy", args: [alpha, a, b, y, out, m, kk, n, transA, transB] };
    } else if (product.kernel === "sparseMatmulT" && k.sparseMatmulTAxpy !== undefined) {
      const [matrix, rows, g, , n, h] = product.args;
      fused[i] = { kernel: "sparseMatmulTAxpy", args: [alpha, matrix, rows, g, y, out, n, h] };
    } else return;
    dropped.add(p);
  });
  return fused.filter((_, i) => !dropped.has(i));
}

function releaseBuffers(k: Kernels, buffers: readonly (readonly FloatArray[])[]): void {
  if (k.release !== undefined) for (const set of buffers) for (const b of set) k.release(b);
}

function releaseProgram(p: Program): void {
  for (const c of p.compiled) c?.release();
  releaseBuffers(p.kernels, p.buffers);
}

// When a jitted function is collected, its programs' buffers go back to their backend.
const finalizer = new FinalizationRegistry<Map<string, Program | "eager">>((programs) => {
  for (const p of programs.values()) if (p !== "eager") releaseProgram(p);
});

/** A buffer set's calls compiled by the backend (see Kernels.compile), or null when it does not. */
function compiledCalls(p: Program, set: 0 | 1, leaves: readonly Tensor[]): CompiledCalls | null {
  const calls = p.calls.map((c) => ({ kernel: c.kernel, args: c.args[set], inputs: c.inputs }));
  return p.kernels.compile?.(calls, leaves.map((l) => l.size)) ?? null;
}

/** Whether an argument other than the one an in-place update reads lies in (or over) that update's buffer. */
function sharesInPlaceBuffer(p: Program, leaves: readonly Tensor[]): boolean {
  for (const { input, buffer } of p.inPlace) {
    const b = p.buffers[0][buffer];
    const lo = b.byteOffset, hi = lo + b.byteLength;
    for (let i = 0; i < leaves.length; i++) {
      const d = leaves[i].data;
      if (i !== input && d.buffer === b.buffer && d.byteOffset < hi && d.byteOffset + d.byteLength > lo) return true;
    }
    // The updated input itself must be the buffer or lie apart from it (a view half over it would be read as it is written).
    const d = leaves[input].data;
    if (d !== b && d.buffer === b.buffer && d.byteOffset < hi && d.byteOffset + d.byteLength > lo) return true;
  }
  return false;
}

function replay(p: Program, leaves: readonly Tensor[], donate: boolean): Tree {
  // Donated calls alternate buffer sets, so this call's inputs (the last call's outputs) are not overwritten.
  const set = (donate ? (p.parity ^= 1) : 0) as 0 | 1;
  const buffers = p.buffers[set];
  // What the call before last handed out from these buffers is overwritten now: a late read must fail.
  const handedOut = p.handedOut[set];
  if (handedOut.length > 0) {
    for (const t of handedOut) poison(t, "a donated jit call");
    handedOut.length = 0;
  }
  let compiled = p.compiled[set];
  if (compiled === undefined) compiled = p.compiled[set] = compiledCalls(p, set, leaves);
  // The compiled calls run when the inputs are where they read them (wasm: in its memory); else one by one.
  if (compiled === null || !compiled.run(leaves)) {
    const k = p.kernels as unknown as Record<KernelName, (...a: unknown[]) => void>;
    for (let c = 0; c < p.calls.length; c++) {
      const call = p.calls[c];
      const args = call.args[set];
      for (let i = 0; i < call.inputs.length; i++) args[call.inputs[i][0]] = leaves[call.inputs[i][1]].data;
      k[call.kernel](...args);
    }
  }
  // Outputs written over in place are overwritten by the next replay: what the last one handed out is now stale.
  const poisoning = donate && poisoningReused();
  if (p.handedInPlace.length > 0) {
    for (const t of p.handedInPlace) poison(t, "a jit call that updates in place");
    p.handedInPlace.length = 0;
  }
  // Without donation, buffers are overwritten by the next replay: hand out copies.
  const outs: Tensor[] = new Array(p.outputs.length);
  for (let i = 0; i < p.outputs.length; i++) {
    const { ref, shape } = p.outputs[i];
    const data = "input" in ref ? leaves[ref.input].data : "buffer" in ref ? (donate ? buffers[ref.buffer] : buffers[ref.buffer].slice()) : ref.constant;
    outs[i] = new Tensor(shape, data);
    if (poisoning && "buffer" in ref) (p.inPlace.some((u) => u.buffer === ref.buffer) ? p.handedInPlace : handedOut).push(outs[i]);
  }
  return p.build(outs);
}

/** How a jitted function has run so far: what JAX's tests count as tracing-cache misses, and the rest. */
export interface JitCounts {
  /** Calls that traced f (a new signature, or new kernels). */
  readonly traces: number;
  /** Calls answered by replaying a trace. */
  readonly replays: number;
  /** Calls that ran f eagerly (under a transform, a signature that cannot be replayed, past the trace limit). */
  readonly eager: number;
}

const counts = new WeakMap<object, { traces: number; replays: number; eager: number }>();

/** The counts of a function made by `jit` (a copy; undefined for any other function). */
export function jitCounts(f: (...args: never[]) => unknown): JitCounts | undefined {
  const c = counts.get(f);
  return c === undefined ? undefined : { ...c };
}

/**
 * f, traced on first use for each input signature and replayed after; results equal f's, number for
 * number. f's arguments are parameter trees (tensors in records and arrays) and static values (numbers,
 * strings, booleans, null, undefined: a new value traces anew). Under another transform (grad, vjp, jvp,
 * vmap) f runs eagerly, so that transform sees every op; inside another jit's trace it just runs.
 */
export function jit<A extends unknown[], R>(f: (...args: A) => R, options: JitOptions = {}): (...args: A) => R {
  const donate = options.donate === true;
  const inPlace = donate && options.inPlace === true;
  const programs = new Map<string, Program | "eager">();
  // The program the last call replayed or traced: a loop's next call most likely has the same kind of arguments.
  let last: Program | undefined;
  const count = { traces: 0, replays: 0, eager: 0 };
  const eager = (args: A): R => {
    count.eager++;
    return f(...args);
  };
  const replayed = (p: Program, leaves: readonly Tensor[], args: A): R => {
    // An update written in place must not change an argument the program reads elsewhere.
    if (p.inPlace.length > 0 && sharesInPlaceBuffer(p, leaves)) return eager(args);
    count.replays++;
    return replay(p, leaves, donate) as unknown as R;
  };
  const jitted = (...args: A): R => {
    if (tracing > 0 || activeTapes().length > 0 || batching()) return eager(args);
    if (last !== undefined && last.kernels === kernels()) {
      const leaves: Tensor[] = [];
      let fits = args.length === last.skeleton.length;
      for (let i = 0; fits && i < args.length; i++) fits = matches(last.skeleton[i], args[i], leaves);
      if (fits) return replayed(last, leaves, args);
    }
    const { leaves, key } = flattenArgs(args);
    const known = programs.get(key);
    if (known === "eager") return eager(args);
    if (known !== undefined && known.kernels === kernels()) {
      last = known;
      return replayed(known, leaves, args);
    }
    if (known !== undefined) releaseProgram(known); // traced for other kernels: trace again
    else if (programs.size >= MAX_TRACES) return eager(args);
    count.traces++;
    const { result, program } = trace(f as unknown as (...a: unknown[]) => unknown, args, inPlace);
    programs.set(key, program ?? "eager");
    last = program;
    return result as R;
  };
  counts.set(jitted, count);
  finalizer.register(jitted, programs);
  return jitted;
}

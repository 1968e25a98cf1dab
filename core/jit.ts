/**
 * `jit(f)`: trace once, replay many times. The first call of f with given input shapes runs it as usual
 * while recording every kernel call and every array it allocates. Later calls with the same shapes and
 * kernels replay just those kernel calls into buffers kept from call to call: no tape, no shape checks,
 * no allocation, only the arithmetic. Outputs are fresh copies, so results stay immutable values.
 *
 * f must compute with ops only. Numbers read in JavaScript inside f (`item()`, `toArray()`, `.data`) and
 * control flow that depends on them are fixed at trace time; `item()` and `toArray()` on a traced
 * tensor are noticed, and then f simply runs eagerly every time.
 */
import { kernels, withKernels } from "./kernels/backend.ts";
import { outArgument, type Kernels } from "./kernels/kernels.ts";
import { Tensor, watchAllocations, watchReads, type FloatArray } from "./tensor.ts";
import { treeLeaves, treeUnflatten, type Tree } from "./tree.ts";

type KernelName = keyof typeof outArgument;

/** Where a replayed call finds an array: an input leaf, a kept buffer, or a constant. */
type Ref = { readonly input: number } | { readonly buffer: number } | { readonly constant: FloatArray };

interface Call {
  readonly kernel: KernelName;
  /** The arguments, with buffers, constants and plain values in place; inputs are filled in per replay. */
  readonly args: unknown[];
  readonly inputs: readonly (readonly [argument: number, input: number])[];
}

interface Program {
  readonly kernels: Kernels;
  readonly signature: string;
  readonly calls: readonly Call[];
  readonly buffers: readonly FloatArray[];
  readonly outputs: readonly { readonly ref: Ref; readonly shape: readonly number[] }[];
  readonly outputTree: Tree;
}

/** Shapes and dtypes of the input leaves, the key under which a trace is kept. */
function signatureOf(leaves: readonly Tensor[]): string {
  let s = "";
  for (const l of leaves) s += `${l.dtype}[${l.shape.join(",")}];`;
  return s;
}

let tracing = 0;
let untraceable = false;

function trace(f: (...args: readonly Tree[]) => Tree, args: readonly Tree[], leaves: readonly Tensor[]): { result: Tree; program?: Program } {
  const base = kernels();
  const inputOf = new Map<FloatArray, number>();
  leaves.forEach((l, i) => {
    if (!inputOf.has(l.data)) inputOf.set(l.data, i);
  });
  const allocated = new Map<FloatArray, number>();
  const arrays: FloatArray[] = [];
  const written = new Set<FloatArray>();
  const raw: { kernel: KernelName; args: unknown[] }[] = [];
  // A recording wrapper: every call is noted, then computed by the real kernels.
  const recorder = { name: `${base.name} (tracing)` } as Record<string, unknown>;
  for (const name of Object.keys(outArgument) as KernelName[]) {
    recorder[name] = (...callArgs: unknown[]) => {
      raw.push({ kernel: name, args: callArgs });
      written.add(callArgs[outArgument[name]] as FloatArray);
      return (base[name] as (...a: unknown[]) => void)(...callArgs);
    };
  }
  const previousWatcher = watchAllocations((a) => {
    allocated.set(a, arrays.length);
    arrays.push(a);
  });
  // Reading numbers out during the trace would bake them in: such a function runs eagerly instead.
  const previousReads = watchReads(() => {
    untraceable = true;
  });
  tracing++;
  untraceable = false;
  let result: Tree;
  try {
    result = withKernels(recorder as unknown as Kernels, () => f(...args));
  } finally {
    tracing--;
    watchAllocations(previousWatcher);
    watchReads(previousReads);
  }
  if (untraceable) return { result };

  // Arrays a kernel wrote get a kept buffer; arrays made in JavaScript (scalars, seeds, zeros) are constants.
  const bufferOf = new Map<FloatArray, number>();
  const buffers: FloatArray[] = [];
  const refOf = (a: FloatArray): Ref => {
    const input = inputOf.get(a);
    if (input !== undefined) return { input };
    if (allocated.has(a) && written.has(a)) {
      let b = bufferOf.get(a);
      if (b === undefined) {
        b = buffers.length;
        bufferOf.set(a, b);
        buffers.push(base.persistent?.(a instanceof Float32Array ? "float32" : "float64", a.length) ?? (a instanceof Float32Array ? new Float32Array(a.length) : new Float64Array(a.length)));
      }
      return { buffer: b };
    }
    return { constant: allocated.has(a) ? a.slice() : a };
  };
  const isArray = (v: unknown): v is FloatArray => v instanceof Float64Array || v instanceof Float32Array;
  const calls: Call[] = raw.map(({ kernel, args: callArgs }) => {
    const inputs: [number, number][] = [];
    const args = callArgs.map((v, i) => {
      if (!isArray(v)) return v;
      const r = refOf(v);
      if ("input" in r) {
        inputs.push([i, r.input]);
        return undefined;
      }
      return "buffer" in r ? buffers[r.buffer] : r.constant;
    });
    return { kernel, args, inputs };
  });
  const outLeaves = treeLeaves(result);
  const outputs = outLeaves.map((t) => ({ ref: refOf(t.data), shape: t.shape }));
  return { result, program: { kernels: base, signature: signatureOf(leaves), calls, buffers, outputs, outputTree: result } };
}

function replay(p: Program, leaves: readonly Tensor[]): Tree {
  const resolve = (r: Ref): FloatArray => ("input" in r ? leaves[r.input].data : "buffer" in r ? p.buffers[r.buffer] : r.constant);
  const k = p.kernels as unknown as Record<KernelName, (...a: unknown[]) => void>;
  for (const call of p.calls) {
    for (const [arg, input] of call.inputs) call.args[arg] = leaves[input].data;
    k[call.kernel](...call.args);
  }
  // Buffers are overwritten by the next replay: hand out copies.
  return treeUnflatten(p.outputTree, p.outputs.map((o) => new Tensor(o.shape, "buffer" in o.ref ? p.buffers[o.ref.buffer].slice() : resolve(o.ref))));
}

/**
 * f, traced on first use for each input signature and replayed after; results equal f's, number for
 * number. f's arguments and result must be parameter trees (tensors in records and arrays).
 */
export function jit<A extends unknown[], R>(f: (...args: A) => R): (...args: A) => R {
  const programs = new Map<string, Program | "eager">();
  return (...args: A): R => {
    if (tracing > 0) return f(...args); // inside another trace: just run, so the outer trace sees the kernels
    const leaves = treeLeaves(args as unknown as readonly Tree[]);
    const key = signatureOf(leaves);
    const known = programs.get(key);
    if (known === "eager") return f(...args);
    if (known !== undefined && known.kernels === kernels()) return replay(known, leaves) as unknown as R;
    const { result, program } = trace(f as unknown as (...a: readonly Tree[]) => Tree, args as unknown as readonly Tree[], leaves);
    programs.set(key, program ?? "eager");
    return result as unknown as R;
  };
}

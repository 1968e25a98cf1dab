/**
 * The WebAssembly kernels: float32 products, updates, the sigmoid and the dense layers' small ops in
 * 128-bit SIMD, everything else (and any float64 data) on the fast JS kernels. Tensors stay ordinary JS
 * arrays; wasm memory is only a cache of them. Because tensors are immutable, an array already copied in
 * is still valid by identity, so the weights are copied in once and then reused across steps, and every
 * result is remembered where it was computed. The cache is a ring over a fixed arena: when it is full it
 * is dropped whole and refilled. Beside it: `persistent` buffers (jit's, and reused batches) that live
 * here for good, datasets' bytes kept resident for gathering batches, and optionally a helper thread
 * (wasm-helper.ts) that takes half of the large products.
 */
import { bytesOf, WasmMemory } from "./wasm-memory.ts";
import { CONTROL_BYTES, SCRATCH_ENTRIES, TEMP_ENTRIES } from "./wasm-contract.ts";
import type { FloatArray } from "../tensor.ts";
import { fastKernels } from "./fast.ts";
import { outArgument, type ConvGeometry, type KernelName, type Kernels } from "./kernels.ts";
import { HelperLink, type WasmHelperData } from "./wasm-helper.ts";
import type { WasmExports } from "./wasm-exports.ts";
import { ThreadSplit } from "./wasm-split.ts";
import { sparseFromRows, sparseKernels } from "./wasm-sparse.ts";
import { compileCalls, moduleRecorder, type ModuleCall, type ProgramHost } from "./wasm-program.ts";
import { wasmKernelsBase64, wasmSharedKernelsBase64 } from "./wasm-module.generated.ts";


/** Stride 1 and no padding on any side: the windows the wasm im2col and col2im handle. */
const plainWindows = (g: ConvGeometry) => g.stride === 1 && g.padTop === 0 && g.padLeft === 0 && g.oh === g.h - g.kh + 1 && g.ow === g.w - g.kw + 1;
const twoByTwo = (g: ConvGeometry) => g.kh === 2 && g.kw === 2 && g.stride === 2 && g.padTop === 0 && g.padLeft === 0;

function decodeBase64(s: string): Uint8Array<ArrayBuffer> {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export interface WasmKernelOptions {
  /** Bytes of wasm memory for cached arrays (default 16 MiB: batches and jit buffers live in persistent memory, so mostly evaluation passes through here); arrays larger than this run on the JS kernels. */
  readonly arenaBytes?: number;
  /**
   * Bytes of wasm memory for jit's long-lived buffers (default 128 MiB, reserved and touched only as used:
   * chapter 6's fc1000 network, 1.7 M parameters, did not fit in 32 with Adam and ran eagerly); when they run
   * out, jit runs eagerly.
   */
  readonly persistentBytes?: number;
  /**
   * Bytes of wasm memory for byte arrays that `bytesToFloat` gathers rows from, and sparse matrices (datasets:
   * default 96 MiB: all of MNIST, and its training images as sparse rows). Each is copied in on first use
   * and kept, so a mini-batch is gathered without copying its pixels in; arrays that do not fit are staged
   * row by row on each call (sparse matrices that do not fit are read by the JS kernels).
   */
  readonly residentBytes?: number;
  /**
   * Starts a second thread that calls `runWasmHelper(data)` (for Node, see node/helper-thread.ts).
   * The kernels then run on shared memory, and the large products and updates are split between the two
   * threads (see wasm-helper.ts: the first layer's sums are rounded a little differently than on one
   * thread, the same way every time). Until the thread is running, its halves run on the calling thread.
   */
  readonly startHelper?: (data: WasmHelperData) => void;
  /**
   * Whether jit's programs are compiled into one module call per replay (default true; see wasm-program.ts).
   * Off, each call is made from JavaScript: the same numbers, for comparing the two.
   */
  readonly programs?: boolean;
}

/** The wasm backend: a Kernels, plus `close` to end its helper thread, if it has one. */
export interface WasmKernels extends Kernels {
  /** Ends the helper thread (the kernels keep working, with the same numbers, on one thread). */
  close(): void;
  /** Threads computing now: 2 while a helper thread is running, else 1. */
  threads(): number;
  /** Why a helper thread that was asked for is not used (no shared memory here), else undefined. */
  readonly note?: string;
}

const PAGE = 65536;
// The first page belongs to the wasm module's own static data (math tables); our regions start above it.
const RESERVED = PAGE;
// The elementwise operations the wasm module has, by its op codes (the rest stay on the JS kernels).
const wasmOp: Partial<Record<string, number>> = { add: 0, sub: 1, mul: 2, div: 3 };
// binaryOp has one more (scalarOp and fillOp do not): ReLU's VJP.
const wasmBinaryOp: Partial<Record<string, number>> = { ...wasmOp, reluGrad: 4 };
// Shorter elementwise operations stay in JS, where they cost less than placing their operands.
const WASM_ELEMENTWISE = 64;

/** Whether wasm memory can be shared with another thread here (in a browser: a cross-origin isolated page). */
export function sharedMemoryAvailable(): boolean {
  const scope = globalThis as { crossOriginIsolated?: boolean };
  if (typeof SharedArrayBuffer === "undefined" || scope.crossOriginIsolated === false) return false;
  try {
    return new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }).buffer instanceof SharedArrayBuffer;
  } catch {
    return false;
  }
}

/** Whether this JavaScript engine can run the kernels (WebAssembly with SIMD). */
export function wasmSupported(): boolean {
  try {
    return WebAssembly.validate(decodeBase64(wasmKernelsBase64));
  } catch {
    return false;
  }
}

/** The module instantiated on a memory laid out for it: static data | scratch per thread | control block | ring | persistent | resident. */
function instantiate(options: WasmKernelOptions) {
  const scratchBytes = SCRATCH_ENTRIES * 8 + TEMP_ENTRIES * 4; // non-zero positions, their values, a transposed operand
  const arenaBytes = options.arenaBytes ?? 16 * 1024 * 1024;
  const persistentBytes = options.persistentBytes ?? 128 * 1024 * 1024;
  const residentBytes = options.residentBytes ?? 96 * 1024 * 1024;
  // A helper thread needs shared memory, which a browser grants only to cross-origin isolated pages:
  // without it the kernels run on one thread (the same numbers as without a helper) and say so in `note`.
  const sharing = sharedMemoryAvailable();
  const threaded = options.startHelper !== undefined && sharing;
  const control = RESERVED + scratchBytes * (threaded ? 2 : 1);
  const base = control + CONTROL_BYTES * (threaded ? 1 : 0);
  const pages = Math.ceil((base + arenaBytes + persistentBytes + residentBytes) / PAGE);
  const memory = new WebAssembly.Memory(threaded ? { initial: pages, maximum: pages, shared: true } : { initial: pages });
  const module = new WebAssembly.Module(decodeBase64(threaded ? wasmSharedKernelsBase64 : wasmKernelsBase64));
  const instance = new WebAssembly.Instance(module, { env: { memory, abort() {} } });
  const wasm = instance.exports as unknown as WasmExports;
  if (wasm.staticDataEnd() > RESERVED) throw new Error(`wasm kernels: static data ends at ${wasm.staticDataEnd()}, above the ${RESERVED} bytes reserved for it`);
  const scratchAt = (s: number): [number, number, number] => [s, s + SCRATCH_ENTRIES * 4, s + SCRATCH_ENTRIES * 8];
  wasm.setScratch(...scratchAt(RESERVED));
  const helperScratch = scratchAt(RESERVED + scratchBytes);
  const helper = threaded ? new HelperLink(memory, control) : undefined;
  if (threaded) wasm.setHelper(control);
  if (threaded) options.startHelper?.({ module, memory, control, scratch: helperScratch });
  const mem = new WasmMemory(memory, base, arenaBytes, persistentBytes);
  return { memory, wasm, helper, sharing, mem, helperTemp: helperScratch[2], mainTemp: scratchAt(RESERVED)[2] };
}

/**
 * Where the kernels' calls go: the module and the JS kernels, or, while `compile` records a program, a
 * recorder of module calls and a stand-in that computes nothing and marks the call as one that must stay a
 * JS call (see wasm-program.ts).
 */
class CallRoute {
  module: WasmExports;
  fallback: Kernels = fastKernels;
  recording = false;
  impure = false;
  constructor(readonly wasm: WasmExports) {
    this.module = wasm;
  }
}

/** The context the kernel sections share, with placing refused while recording arrays that do not live here. */
function wasmContext(mem: WasmMemory, route: CallRoute, threads: ThreadSplit, self: () => Kernels): WasmContext {
  const inMemory = (a: FloatArray) => mem.lives(a);
  const placed = mem.placed;
  const place = (a: Float32Array, b: Float32Array | undefined, out: Float32Array): boolean => {
    // A program holds only arrays that live here.
    if (route.recording && !(inMemory(a) && (b === undefined || inMemory(b)) && inMemory(out))) {
      route.impure = true;
      return false;
    }
    return mem.place(a, b, out);
  };
  const finish = (out: Float32Array, at: number) => mem.finish(out, at);
  return {
    mem, placed, threads, heapInts: new Int32Array(mem.buffer),
    module: () => route.module,
    fallback: () => route.fallback,
    place, finish, inMemory,
    // Long, or on arrays that live here (no copying in). The choice never changes a number: + − × ÷ are
    // correctly rounded in float32 here and in JS (double, rounded).
    worthWasm: (out, a, b) => out.length >= WASM_ELEMENTWISE || (inMemory(out) && inMemory(a) && (b === undefined || inMemory(b))),
    // im2col and col2im (its transpose): in wasm for stride-1 unpadded windows, else on the JS loops.
    windows(kernel, x, g, out) {
      if (plainWindows(g) && x instanceof Float32Array && out instanceof Float32Array && place(x, undefined, out)) {
        threads.windows(kernel, placed[0], placed[2], g);
        finish(out, placed[2]);
        return;
      }
      route.fallback[kernel](x, g, out);
    },
    recording: () => route.recording,
    markImpure: () => void (route.impure = true),
    self,
  };
}

/** What the program compiler needs of the backend: its methods run against a recorder, its memory, its `run`. */
function recordingHost(backend: Kernels, route: CallRoute, mem: WasmMemory): ProgramHost {
  // The kernels this backend computes itself (the others are the JS kernels', always called from JS).
  const own = new Set((Object.keys(outArgument) as KernelName[]).filter((name) => backend[name] !== (fastKernels as Kernels)[name]));
  const moduleNames = Object.keys(route.wasm);
  // What `fallback` is while recording: no JS kernel may run then; a call that would need one stays a JS call.
  const standIn = Object.fromEntries(Object.keys(outArgument).map((name) => [name, () => void (route.impure = true)])) as unknown as Kernels;
  const methods = backend as unknown as Record<KernelName, (...a: unknown[]) => void>;
  return {
    buffer: mem.buffer,
    record(kernel, args) {
      if (!own.has(kernel)) return undefined;
      const recorded: ModuleCall[] = [];
      route.module = moduleRecorder<WasmExports>(moduleNames, recorded);
      route.fallback = standIn;
      route.recording = true;
      route.impure = false;
      try {
        methods[kernel](...args);
      } finally {
        route.module = route.wasm;
        route.fallback = fastKernels;
        route.recording = false;
      }
      return route.impure || recorded.some((r) => r.op < 0) ? undefined : recorded;
    },
    hold: (length) => mem.persistent("float32", Math.max(length, 1)) as Float32Array | undefined,
    release: (a) => mem.release(a),
    run: (program, count) => route.wasm.run(program, count),
    call: (kernel, args) => methods[kernel](...args),
  };
}

/** A Kernels backend on WebAssembly; throws if WebAssembly SIMD is not available. */
export function createWasmKernels(options: WasmKernelOptions = {}): WasmKernels {
  const { memory, wasm, helper, sharing, mem, helperTemp, mainTemp } = instantiate(options);
  const route = new CallRoute(wasm);
  // The large products and the update, split between the threads when a helper is there and it is worth it.
  const threads = new ThreadSplit(helper !== undefined, () => route.module, helperTemp, mainTemp);
  const context = wasmContext(mem, route, threads, () => backend);
  const backend: WasmKernels = {
    ...fastKernels,
    name: "wasm",
    dtype: "float32",
    ...(options.startHelper !== undefined && !sharing ? { note: "shared memory is not available here (a browser page must be cross-origin isolated): computing on one thread" } : {}),
    close() {
      helper?.stop();
    },
    threads: () => (helper?.running() === true ? 2 : 1),
    persistent: (dtype, size) => mem.persistent(dtype, size),
    release: (a) => mem.release(a),
    residentBytes(length) {
      const at = Number.isSafeInteger(length) && length >= 0 ? mem.claimResident(length) : undefined;
      return at === undefined ? undefined : new Uint8Array(memory.buffer, at, length);
    },
    compile(calls, inputLengths) {
      if (options.programs === false) return undefined;
      // A backend that spreads this one compiles too, unless it overrides a kernel the program calls: a compiled
      // replay runs this backend's methods, so an override's calls stay calls, made through the override.
      const self = (this ?? backend) as Kernels;
      if (self !== backend && calls.some((c) => self[c.kernel] !== backend[c.kernel])) return undefined;
      return compileCalls(calls, inputLengths, host);
    },
    ...productKernels(context),
    ...elementwiseKernels(context),
    ...broadcastKernels(context),
    ...imageKernels(context),
    ...gatherKernels(context),
    ...sparseKernels({ ...context, wasm }),
    ...adamKernels(context),
    sparseFromRows: (rows, cols, divisor, read) => sparseFromRows(mem, wasm, rows, cols, divisor, read),
  };
  const host = recordingHost(backend, route, mem);
  return backend;
}

/** What the kernel sections share: the memory, the module to call now (or its recorder), the JS fallback, the split. */
interface WasmContext {
  readonly mem: WasmMemory;
  readonly placed: number[];
  readonly threads: ThreadSplit;
  readonly heapInts: Int32Array;
  module(): WasmExports;
  fallback(): Kernels;
  place(a: Float32Array, b: Float32Array | undefined, out: Float32Array): boolean;
  finish(out: Float32Array, at: number): void;
  worthWasm(out: FloatArray, a: FloatArray, b?: FloatArray): boolean;
  inMemory(a: FloatArray): boolean;
  windows(kernel: "im2col" | "col2im", x: FloatArray, g: ConvGeometry, out: FloatArray): void;
  /** Whether a program is being recorded (then a call that needs JavaScript marks itself with markImpure). */
  recording(): boolean;
  markImpure(): void;
  /** The backend itself (matmulAxpy's fallback goes through its own matmul and axpy). */
  self(): Kernels;
}

/** The products and the update: placed in wasm memory, split between the threads by ThreadSplit. */
function productKernels(ctx: WasmContext): Pick<Kernels, "matmul" | "matmulAxpy" | "axpy"> {
  return {
    matmul(a, b, out, m, k, n, transA, transB) {
      if (a instanceof Float32Array && b instanceof Float32Array && out instanceof Float32Array && !(transA && transB) && Math.max(m, k) <= SCRATCH_ENTRIES) {
        if (ctx.place(a, b, out)) {
          const po = ctx.placed[2];
          ctx.threads.matmul(ctx.placed[0], ctx.placed[1], po, m, k, n, transA, transB);
          ctx.finish(out, po);
          return;
        }
      }
      ctx.fallback().matmul(a, b, out, m, k, n, transA, transB);
    },
    matmulAxpy(alpha, a, b, c, out, m, k, n, transA, transB) {
      // The weight gradient fused with its update, when the update's arrays live here (jit's buffers).
      if (transA && !transB && a instanceof Float32Array && b instanceof Float32Array && c instanceof Float32Array && out instanceof Float32Array &&
        c.buffer === ctx.mem.buffer && out.buffer === ctx.mem.buffer && Math.max(m, k) <= SCRATCH_ENTRIES && ctx.place(a, b, out)) {
        ctx.threads.tnRows(ctx.placed[0], ctx.placed[1], ctx.placed[2], m, k, n, alpha, c.byteOffset);
        return;
      }
      // Otherwise the product, then the update: the same numbers.
      const product = out instanceof Float32Array ? new Float32Array(out.length) : new Float64Array(out.length);
      ctx.self().matmul(a, b, product, m, k, n, transA, transB);
      ctx.self().axpy(alpha, product, c, out);
    },
    axpy(alpha, x, y, out) {
      if (x instanceof Float32Array && y instanceof Float32Array && out instanceof Float32Array) {
        if (ctx.place(x, y, out)) {
          ctx.threads.axpy(alpha, ctx.placed[0], ctx.placed[1], ctx.placed[2], out.length);
          ctx.finish(out, ctx.placed[2]);
          return;
        }
      }
      ctx.fallback().axpy(alpha, x, y, out);
    },
  };
}

/** Elementwise maps: in wasm where it is worth it (long, or on arrays that live here). */
function elementwiseKernels(ctx: WasmContext): Pick<Kernels, "unary" | "binary"> {
  return {
    unary(kind, x, out) {
      // Sigmoid is the one activation the seed's network runs on every step; exp is cheaper in wasm than in JS.
      if (kind === "sigmoid" && x instanceof Float32Array && out instanceof Float32Array) {
        if (ctx.place(x, undefined, out)) {
          ctx.threads.sigmoid(ctx.placed[0], ctx.placed[2], out.length);
          ctx.finish(out, ctx.placed[2]);
          return;
        }
      }
      // sqrt and square: correctly rounded in float32 either way, so the same numbers as the JS loop (Adam's
      // update); ReLU: a selection, the same numbers too.
      const u = kind === "sqrt" ? 0 : kind === "square" ? 1 : kind === "relu" ? 2 : -1;
      if (u >= 0 && ctx.worthWasm(out, x) && x instanceof Float32Array && out instanceof Float32Array && ctx.place(x, undefined, out)) {
        ctx.threads.unaryOp(u, ctx.placed[0], ctx.placed[2], out.length);
        ctx.finish(out, ctx.placed[2]);
        return;
      }
      ctx.fallback().unary(kind, x, out);
    },
    binary(kind, a, b, out) {
      const op = wasmBinaryOp[kind];
      if (op !== undefined && ctx.worthWasm(out, a, b) && a instanceof Float32Array && b instanceof Float32Array && out instanceof Float32Array && ctx.place(a, b, out)) {
        ctx.threads.binaryOp(op, ctx.placed[0], ctx.placed[1], ctx.placed[2], out.length);
        ctx.finish(out, ctx.placed[2]);
        return;
      }
      if (kind === "sigmoidGrad" && a instanceof Float32Array && b instanceof Float32Array && out instanceof Float32Array && ctx.place(a, b, out)) {
        ctx.threads.sigmoidGrad(ctx.placed[0], ctx.placed[1], ctx.placed[2], out.length);
        ctx.finish(out, ctx.placed[2]);
        return;
      }
      ctx.fallback().binary(kind, a, b, out);
    },
  };
}

/** Adam's one-pass update: in wasm for float32 arrays (at least three of them placed at once: w, m and the output). */
function adamKernels(ctx: WasmContext): Pick<Kernels, "adamMoment" | "adamStep"> {
  return {
    adamMoment(x, g, a, b, square, out) {
      if (x instanceof Float32Array && g instanceof Float32Array && out instanceof Float32Array && ctx.worthWasm(out, x, g) && ctx.place(x, g, out)) {
        ctx.module().adamMoment(ctx.placed[0], ctx.placed[1], a, b, square ? 1 : 0, ctx.placed[2], out.length);
        ctx.finish(out, ctx.placed[2]);
        return;
      }
      ctx.fallback().adamMoment(x, g, a, b, square, out);
    },
    adamStep(w, m, v, c1, c2, eps, out) {
      // Five arrays: where all live here (jit's buffers), read in place; otherwise the JS loop, the same numbers.
      if (w instanceof Float32Array && m instanceof Float32Array && v instanceof Float32Array && c1 instanceof Float32Array && c2 instanceof Float32Array &&
        out instanceof Float32Array && [w, m, v, c1, c2, out].every((a) => ctx.inMemory(a))) {
        ctx.module().adamStep(w.byteOffset, m.byteOffset, v.byteOffset, c1.byteOffset, c2.byteOffset, eps, out.byteOffset, out.length);
        return;
      }
      ctx.fallback().adamStep(w, m, v, c1, c2, eps, out);
    },
  };
}

/** Broadcasts (a bias row, a scalar factor) and sums (a cost, a bias gradient): the common shapes in wasm. */
function broadcastKernels(ctx: WasmContext): Pick<Kernels, "binaryBroadcast" | "sumInto"> {
  return {
    // The bias add, its gradient and the sigmoid's VJP: small, but on every step of every dense layer.
    binaryBroadcast(kind, a, aStrides, b, bStrides, out, outShape) {
      // A number times (plus, minus, over) an array: weight decay's λ/n·w, the cost's scalings.
      const op = wasmOp[kind];
      if (op !== undefined && b.length === 1 && a.length === out.length && ctx.worthWasm(out, a, b) && a instanceof Float32Array && b instanceof Float32Array && out instanceof Float32Array && ctx.place(a, b, out)) {
        ctx.threads.scalarOp(op, ctx.placed[0], ctx.placed[1], ctx.placed[2], out.length); // the number is read there, never baked into a program
        ctx.finish(out, ctx.placed[2]);
        return;
      }
      // Two single numbers spread over out (a scalar's gradient broadcast back to a shape).
      if (op !== undefined && a.length === 1 && b.length === 1 && ctx.inMemory(a) && ctx.inMemory(b) && ctx.inMemory(out) && a instanceof Float32Array && b instanceof Float32Array && out instanceof Float32Array && ctx.place(a, b, out)) {
        ctx.module().fillOp(op, ctx.placed[0], ctx.placed[1], ctx.placed[2], out.length);
        return;
      }
      if (kind === "add" && outShape.length === 2 && a.length === out.length && aStrides[1] === 1 && bStrides[0] === 0 && bStrides[1] === 1 &&
        a instanceof Float32Array && b instanceof Float32Array && out instanceof Float32Array && ctx.place(a, b, out)) {
        ctx.threads.addRow(ctx.placed[0], ctx.placed[1], ctx.placed[2], outShape[0], outShape[1]);
        ctx.finish(out, ctx.placed[2]);
        return;
      }
      ctx.fallback().binaryBroadcast(kind, a, aStrides, b, bStrides, out, outShape);
    },
    sumInto(x, xShape, out, outStrides) {
      // A sum of everything (a cost), on arrays that live here: float64 in order, as the JS kernel.
      if (out.length === 1 && ctx.inMemory(x) && ctx.inMemory(out) && x instanceof Float32Array && out instanceof Float32Array && ctx.place(x, undefined, out)) {
        ctx.module().sumAll(ctx.placed[0], ctx.placed[2], x.length);
        return;
      }
      if (xShape.length === 2 && xShape[0] >= 1 && outStrides[0] === 0 && outStrides[1] === 1 && x instanceof Float32Array && out instanceof Float32Array && ctx.place(x, undefined, out)) {
        ctx.module().sumRows(ctx.placed[0], ctx.placed[2], xShape[0], xShape[1]);
        ctx.finish(out, ctx.placed[2]);
        return;
      }
      ctx.fallback().sumInto(x, xShape, out, outStrides);
    },
  };
}

/** Convolution windows, the block transpose and 2×2 pooling: the common cases in wasm, the rest on the JS loops. */
function imageKernels(ctx: WasmContext): Pick<Kernels, "im2col" | "col2im" | "permute" | "maxPool" | "maxPoolScatter"> {
  return {
    // Convolution and pooling: the common cases in wasm, the rest (strides, padding) on the JS loops.
    im2col: (x, g, out) => ctx.windows("im2col", x, g, out),
    col2im: (cols, g, out) => ctx.windows("col2im", cols, g, out),
    permute(x, shape, axes, out) {
      if (shape.length === 3 && axes[0] === 0 && axes[1] === 2 && axes[2] === 1 && x instanceof Float32Array && out instanceof Float32Array && ctx.place(x, undefined, out)) {
        ctx.threads.transposeBlocks(ctx.placed[0], ctx.placed[2], shape[0], shape[1], shape[2]);
        ctx.finish(out, ctx.placed[2]);
        return;
      }
      ctx.fallback().permute(x, shape, axes, out);
    },
    maxPool(x, g, out) {
      if (twoByTwo(g) && x instanceof Float32Array && out instanceof Float32Array && ctx.place(x, undefined, out)) {
        ctx.threads.maxPool2(ctx.placed[0], ctx.placed[2], g.n, g.h, g.w, g.oh, g.ow);
        ctx.finish(out, ctx.placed[2]);
        return;
      }
      ctx.fallback().maxPool(x, g, out);
    },
    maxPoolScatter(x, grad, g, out) {
      if (twoByTwo(g) && x instanceof Float32Array && grad instanceof Float32Array && out instanceof Float32Array && ctx.place(x, grad, out)) {
        ctx.threads.maxPool2Scatter(ctx.placed[0], ctx.placed[1], ctx.placed[2], g.n, g.h, g.w, g.oh, g.ow);
        ctx.finish(out, ctx.placed[2]);
        return;
      }
      ctx.fallback().maxPoolScatter(x, grad, g, out);
    },
  };
}

/** Gathering a batch's rows of a data set's bytes as floats, where the bytes lie when they are resident. */
function gatherKernels(ctx: WasmContext): Pick<Kernels, "bytesToFloat"> {
  return {
    bytesToFloat(bytes, rows, rowLength, divisor, out) {
      if (ctx.recording()) {
        ctx.markImpure(); // it writes row numbers from JavaScript
        return;
      }
      const len = rows.length * rowLength;
      const outHere = out.buffer === ctx.mem.buffer;
      if (!(out instanceof Float32Array) || !ctx.mem.fits((outHere ? 0 : bytesOf(len)) + bytesOf(Math.ceil(len / 4)))) {
        ctx.fallback().bytesToFloat(bytes, rows, rowLength, divisor, out);
        return;
      }
      const source = rows.length <= SCRATCH_ENTRIES ? ctx.mem.residentOffset(bytes) : undefined;
      // A row outside `bytes` would be read from whatever lies beside it in wasm memory: refused. (Gathering
      // in place, the row numbers go in the index scratch on the same pass.)
      for (let r = 0; r < rows.length; r++) {
        const row = rows[r];
        if (!(Number.isInteger(row) && row >= 0 && (row + 1) * rowLength <= bytes.length)) {
          throw new Error(`bytesToFloat: row ${row} is outside the ${Math.floor(bytes.length / rowLength)} rows of ${rowLength} bytes`);
        }
        if (source !== undefined) ctx.heapInts[(RESERVED >> 2) + r] = row;
      }
      // Room for the output, and for the rows' bytes when they are staged.
      ctx.mem.reserve((outHere ? 0 : bytesOf(len)) + (source === undefined ? bytesOf(Math.ceil(len / 4)) : 0));
      const at = outHere ? out.byteOffset : ctx.mem.claim(len);
      if (source !== undefined) {
        // The rows are read where the dataset inMemory.
        ctx.module().gatherRows(source, rows.length, rowLength, divisor, at);
      } else {
        // The rows' bytes are copied in side by side and converted in SIMD.
        const staging = ctx.mem.claim(Math.ceil(len / 4));
        for (let r = 0; r < rows.length; r++) ctx.mem.heapBytes.set(bytes.subarray(rows[r] * rowLength, (rows[r] + 1) * rowLength), staging + r * rowLength);
        ctx.module().bytesToFloat(staging, at, len, divisor);
      }
      ctx.finish(out, at);
    },
  };
}

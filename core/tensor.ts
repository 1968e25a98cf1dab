/**
 * The tensor: an immutable value, a shape plus contiguous row-major numbers. No op writes into its inputs,
 * and users must not write into a tensor's data either. Three loops are handed tensors whose memory is
 * reused later, after the point they have promised to be done with them: jit's donated outputs, the batch
 * gatherer's batches and the training loop's onBatch parameters (core/reuse.ts, which can poison them).
 */

export type DType = "float64" | "float32";
import { describeValue } from "./describe.ts";
import { defaultDType } from "./kernels/backend.ts";

export type FloatArray = Float64Array | Float32Array;
export type Shape = readonly number[];

/** A nested array of numbers, as `tensor` takes and `toArray` gives. */
export type NestedArray = number | readonly NestedArray[];

export class Tensor {
  readonly shape: Shape;
  readonly data: FloatArray;
  readonly size: number;
  readonly dtype: DType;
  readonly rank: number;

  /** Wraps data of a given shape; prefer `tensor`, `fromArray` and friends. The data is not copied. */
  constructor(shape: Shape, data: FloatArray) {
    const size = shapeSize(shape);
    if (data.length !== size && data !== unbacked) {
      throw new Error(`tensor: shape [${shape.join(", ")}] holds ${size} numbers, data has ${data.length}`);
    }
    // A frozen shape may be shared as it is; anything else is copied, so no caller can change it later.
    this.shape = Object.isFrozen(shape) ? shape : Object.freeze(shape.slice());
    this.data = data;
    this.size = size;
    this.dtype = data instanceof Float32Array ? "float32" : "float64";
    this.rank = this.shape.length;
  }

  /** The single number of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new Error(`item: tensor of shape ${shapeString(this.shape)} is not a single number`);
    onRead?.();
    return this.data[0];
  }

  /** The numbers as nested arrays (a fresh copy). */
  toArray(): NestedArray {
    onRead?.();
    return nest(this.data, this.shape, 0, 0);
  }

  /**
   * The shape and the numbers, NaN and ±Infinity included; past 1,000 numbers each axis longer than six shows
   * its first and last three (numpy's summary).
   */
  toString(): string {
    onRead?.();
    const summarise = this.size > 1000;
    const strides = this.shape.map((_, i) => shapeSize(this.shape.slice(i + 1)));
    const format = (axis: number, offset: number): string => {
      if (axis === this.rank) return String(this.data[offset]);
      const n = this.shape[axis], parts: string[] = [];
      const shown = summarise && n > 6 ? [0, 1, 2, -1, n - 3, n - 2, n - 1] : Array.from({ length: n }, (_, i) => i);
      for (const i of shown) parts.push(i < 0 ? "…" : format(axis + 1, offset + i * strides[axis]));
      return `[${parts.join(", ")}]`;
    };
    return `Tensor${shapeString(this.shape)}(${format(0, 0)})`;
  }
}

/**
 * The data of a tensor whose numbers live elsewhere (a batch tracer inside `vmap` stands for a whole batch):
 * such a tensor replaces `data` with an accessor that throws, so nothing reads made-up numbers.
 */
export const unbacked: FloatArray = new Float64Array(0);

function nest(data: FloatArray, shape: Shape, axis: number, offset: number): NestedArray {
  if (axis === shape.length) return data[offset];
  const stride = shapeSize(shape.slice(axis + 1));
  const out: NestedArray[] = [];
  for (let i = 0; i < shape[axis]; i++) out.push(nest(data, shape, axis + 1, offset + i * stride));
  return out;
}

export function shapeSize(shape: Shape): number {
  let n = 1;
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i];
    if (!(d >= 0 && Math.floor(d) === d)) throw new Error(`tensor: bad dimension ${d} in shape [${shape.join(", ")}]`);
    n *= d;
  }
  return n;
}

/** `[10x784]`-style text for error messages. */
export function shapeString(shape: Shape): string {
  return shape.length === 0 ? "[scalar]" : `[${shape.join("x")}]`;
}

export function sameShape(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

let onAllocate: ((a: FloatArray) => void) | undefined;
let onRead: (() => void) | undefined;

/** Installs (or removes) a watcher told whenever numbers are read out with item() or toArray(); jit uses it. */
export function watchReads(f: (() => void) | undefined): (() => void) | undefined {
  const previous = onRead;
  onRead = f;
  return previous;
}

/** Every array the library makes for a tensor comes from here (zero-filled); `jit` watches it while tracing. */
export function allocate(dtype: DType, size: number): FloatArray {
  const a = dtype === "float32" ? new Float32Array(size) : new Float64Array(size);
  if (onAllocate !== undefined) onAllocate(a);
  return a;
}

/** Installs (or, with undefined, removes) the allocation watcher; returns the previous one. */
export function watchAllocations(f: ((a: FloatArray) => void) | undefined): ((a: FloatArray) => void) | undefined {
  const previous = onAllocate;
  onAllocate = f;
  return previous;
}

/** Throws, naming the op and what it got, unless x is a Tensor (plain JavaScript can pass anything). */
export function expectTensor(op: string, x: unknown, position = 1): asserts x is Tensor {
  if (!(x instanceof Tensor)) throw new Error(`${op}: argument ${position} must be a Tensor, got ${describeValue(x)}${Array.isArray(x) ? " (make it one with tensor(…))" : ""}`);
}

/** The most dimensions `tensor` reads from nested arrays (deeper nesting is a mistake, and would overflow the stack). */
const MAX_NESTED_RANK = 32;

function inferShape(x: NestedArray): number[] {
  const shape: number[] = [];
  let cur: NestedArray = x;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    if (shape.length > MAX_NESTED_RANK) throw new Error(`tensor: arrays nested more than ${MAX_NESTED_RANK} deep; a tensor has at most ${MAX_NESTED_RANK} dimensions here`);
    if (cur.length === 0) break;
    cur = (cur as readonly NestedArray[])[0];
  }
  return shape;
}

const at = (path: readonly number[]) => path.map((i) => `[${i}]`).join("");

function flattenInto(x: unknown, shape: Shape, path: number[], out: number[]): void {
  const axis = path.length;
  if (axis === shape.length) {
    if (typeof x !== "number") {
      throw new Error(Array.isArray(x) ? `tensor: ragged nested array: ${at(path)} is an array where ${at(path.map(() => 0))} is a number` : `tensor: expected a number at ${at(path)}, got ${describeValue(x)}`);
    }
    out.push(x);
    return;
  }
  if (!Array.isArray(x)) throw new Error(`tensor: ragged nested array: ${at(path)} is ${describeValue(x)} where an array of ${shape[axis]} was expected`);
  if (x.length !== shape[axis]) throw new Error(`tensor: ragged nested array: ${at(path) || "the array"} has ${x.length} entries where ${at(path.map(() => 0)) || "the first"} has ${shape[axis]}`);
  for (let i = 0; i < x.length; i++) {
    path.push(i);
    flattenInto(x[i], shape, path, out);
    path.pop();
  }
}

/**
 * A tensor from nested arrays of numbers (`tensor([[1, 2], [3, 4]])`), a number (a scalar), or a typed array
 * (its numbers, one dimension). Anything else (a string among the numbers, an object, a ragged nesting) is an
 * error that says where.
 */
export function tensor(values: NestedArray | ArrayLike<number>, dtype: DType = defaultDType()): Tensor {
  if (dtype !== "float32" && dtype !== "float64") throw new Error(`tensor: dtype must be "float32" or "float64", got ${describeValue(dtype)}`);
  if (ArrayBuffer.isView(values) && !(values instanceof DataView)) {
    const typed = values as unknown as ArrayLike<number>;
    return fromArray(typed, [typed.length], dtype);
  }
  if (typeof values !== "number" && !Array.isArray(values)) throw new Error(`tensor: expected a number, nested arrays of numbers or a typed array, got ${describeValue(values)}`);
  const shape = inferShape(values as NestedArray);
  const flat: number[] = [];
  flattenInto(values, shape, [], flat);
  return fromArray(flat, shape, dtype);
}

/** A tensor of the given shape from flat row-major numbers (copied). */
export function fromArray(values: ArrayLike<number>, shape: Shape, dtype: DType = defaultDType()): Tensor {
  const data = allocate(dtype, values.length);
  for (let i = 0; i < values.length; i++) data[i] = values[i];
  return new Tensor(shape, data);
}

export function scalar(value: number, dtype: DType = defaultDType()): Tensor {
  if (typeof value !== "number") throw new Error(`scalar: expected a number, got ${describeValue(value)}`);
  return fromArray([value], [], dtype);
}

export function zeros(shape: Shape, dtype: DType = defaultDType()): Tensor {
  return new Tensor(shape, allocate(dtype, shapeSize(shape)));
}

export function full(shape: Shape, value: number, dtype: DType = defaultDType()): Tensor {
  const data = allocate(dtype, shapeSize(shape));
  data.fill(value);
  return new Tensor(shape, data);
}

export function ones(shape: Shape, dtype: DType = defaultDType()): Tensor {
  return full(shape, 1, dtype);
}

export function zerosLike(t: Tensor): Tensor {
  return zeros(t.shape, t.dtype);
}

/** The same numbers in another precision (a copy; the same tensor when the dtype already matches). */
export function cast(t: Tensor, dtype: DType): Tensor {
  if (t.dtype === dtype) return t;
  onRead?.(); // the numbers are copied in JavaScript, not by a kernel: jit must not bake them in
  const data = allocate(dtype, t.size);
  data.set(t.data);
  return new Tensor(t.shape, data);
}

/** The error for an op given tensors of two dtypes: it names them and how to cast. */
export function dtypesDiffer(op: string, ...dtypes: DType[]): Error {
  const other = dtypes.find((d) => d !== dtypes[0]) ?? dtypes[0];
  return new Error(`${op}: dtypes differ (${dtypes.join(" and ")}); cast one to the other, e.g. cast(x, "${other === "float32" ? "float32" : "float64"}") (tensors made without a dtype get the backend's, now ${defaultDType()})`);
}

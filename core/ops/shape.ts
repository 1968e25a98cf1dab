/** Ops that change how numbers are arranged, not the numbers. */
import { defineOp, type Op } from "../op.ts";
import { kernels } from "../kernels/backend.ts";
import { describeValue } from "../describe.ts";
import { Tensor, allocate, expectTensor, shapeSize, shapeString, type Shape, dtypesDiffer } from "../tensor.ts";
import { broadcastTo } from "./broadcast.ts";

function resolveShape(from: Shape, shape: Shape): number[] {
  const free = shape.filter((d) => d === -1).length;
  const known = shapeSize(shape.filter((d) => d !== -1));
  const total = shapeSize(from);
  if (free > 1 || (free === 1 && (known === 0 || total % known !== 0)) || (free === 0 && known !== total)) {
    throw new Error(`reshape: cannot view ${shapeString(from)} as [${shape.join("x")}]`);
  }
  return shape.map((d) => (d === -1 ? total / known : d));
}

const reshapeOp = defineOp<[Tensor], Shape>({
  name: "reshape",
  // Same numbers, same order: the data is shared, which immutability makes safe.
  forward: ([x], shape) => new Tensor(shape, x.data),
  vjp: [(g, [x]) => reshape(g, x.shape)],
  batch: ([x], _b, shape, size) => reshape(x, [size, ...shape]),
});

/** The same numbers in another shape of the same size; one dimension may be -1 (inferred). */
export function reshape(x: Tensor, shape: Shape): Tensor {
  expectTensor("reshape", x, 1);
  return reshapeOp([x], resolveShape(x.shape, shape));
}

const permuteOp: Op<[Tensor], readonly number[]> = defineOp<[Tensor], readonly number[]>({
  name: "permute",
  forward([x], axes) {
    const out = allocate(x.dtype, x.size);
    kernels().permute(x.data, x.shape, axes, out);
    return new Tensor(axes.map((a) => x.shape[a]), out);
  },
  vjp: [(g, _x, _y, axes) => permuteOp([g], inversePermutation(axes))],
  batch: ([x], _b, axes) => permuteOp([x], [0, ...axes.map((a) => a + 1)]),
});

function inversePermutation(axes: readonly number[]): number[] {
  const inv = new Array<number>(axes.length);
  axes.forEach((a, i) => (inv[a] = i));
  return inv;
}

/** The axes of x reordered: the result's axis i is x's axis axes[i] (numpy's transpose with axes). */
export function permute(x: Tensor, axes: readonly number[]): Tensor {
  expectTensor("permute", x, 1);
  const seen = new Set<number>();
  const norm = axes.map((a) => (a < 0 ? a + x.rank : a));
  if (norm.length !== x.rank || norm.some((a) => !Number.isInteger(a) || a < 0 || a >= x.rank || seen.size === seen.add(a).size)) {
    throw new Error(`permute: [${axes.join(", ")}] is not a permutation of the ${x.rank} axes of ${shapeString(x.shape)}`);
  }
  return norm.every((a, i) => a === i) ? x : permuteOp([x], norm);
}

/** x with axis `from` moved to position `to`, the other axes in order. */
export function moveAxis(x: Tensor, from: number, to: number): Tensor {
  expectTensor("moveAxis", x, 1);
  const f = from < 0 ? from + x.rank : from, t = to < 0 ? to + x.rank : to;
  if (!(f >= 0 && f < x.rank && t >= 0 && t < x.rank)) throw new Error(`moveAxis: axis ${from} or ${to} is out of range for ${shapeString(x.shape)}`);
  const rest = x.shape.map((_, i) => i).filter((i) => i !== f);
  rest.splice(t, 0, f);
  return permute(x, rest);
}

/** x seen as rows × rowLength around `axis`: rows are the axes before it, a row the axis and those after. */
function aroundAxis(op: string, x: Tensor, axis: number): { readonly axis: number; readonly rows: number; readonly inner: number } {
  if (typeof axis !== "number" || !Number.isInteger(axis)) throw new Error(`${op}: axis must be a whole number, got ${describeValue(axis)}`);
  const a = axis < 0 ? axis + x.rank : axis;
  if (a < 0 || a >= x.rank) throw new Error(`${op}: axis ${axis} is out of range for ${shapeString(x.shape)}`);
  return { axis: a, rows: shapeSize(x.shape.slice(0, a)), inner: shapeSize(x.shape.slice(a + 1)) };
}

interface SliceParams {
  readonly axis: number;
  readonly start: number;
  readonly end: number;
}

const sliceOp: Op<[Tensor], SliceParams> = defineOp<[Tensor], SliceParams>({
  name: "slice",
  forward([x], { axis, start, end }) {
    const { rows, inner } = aroundAxis("slice", x, axis);
    const shape = x.shape.map((d, i) => (i === axis ? end - start : d));
    const out = allocate(x.dtype, shapeSize(shape));
    kernels().sliceRows(x.data, rows, x.shape[axis] * inner, start * inner, (end - start) * inner, out);
    return new Tensor(shape, out);
  },
  // The gradient is g put back in place, zeros around it.
  vjp: [(g, [x], _y, { axis, start, end }) => {
    const zerosOf = (n: number) => new Tensor(g.shape.map((d, i) => (i === axis ? n : d)), allocate(g.dtype, (shapeSize(g.shape) / (end - start)) * n));
    let out = g;
    if (start > 0) out = concatOp([zerosOf(start), out], axis);
    if (end < x.shape[axis]) out = concatOp([out, zerosOf(x.shape[axis] - end)], axis);
    return out;
  }],
  batch: ([x], _b, p) => sliceOp([x], { ...p, axis: p.axis + 1 }),
});

/** Elements start … end − 1 along `axis` (end exclusive, as Python's slices; negative values count from the end). */
export function slice(x: Tensor, axis: number, start: number, end?: number): Tensor {
  expectTensor("slice", x, 1);
  const { axis: a } = aroundAxis("slice", x, axis);
  const n = x.shape[a];
  const s = start < 0 ? start + n : start, e = end === undefined ? n : end < 0 ? end + n : end;
  if (!Number.isInteger(s) || !Number.isInteger(e) || s < 0 || e > n || s > e) {
    throw new Error(`slice: [${start}, ${end ?? n}) is not a range within axis ${axis} of length ${n} (${shapeString(x.shape)})`);
  }
  return s === 0 && e === n ? x : sliceOp([x], { axis: a, start: s, end: e });
}

const concatOp: Op<[Tensor, Tensor], number> = defineOp<[Tensor, Tensor], number>({
  name: "concat",
  forward([a, b], axis) {
    if (a.rank !== b.rank || a.shape.some((d, i) => i !== axis && d !== b.shape[i])) {
      throw new Error(`concat: shapes ${shapeString(a.shape)} and ${shapeString(b.shape)} differ off axis ${axis}`);
    }
    if (a.dtype !== b.dtype) throw dtypesDiffer("concat", a.dtype, b.dtype);
    const { rows, inner } = aroundAxis("concat", a, axis);
    const shape = a.shape.map((d, i) => (i === axis ? d + b.shape[axis] : d));
    const out = allocate(a.dtype, shapeSize(shape));
    kernels().concatRows(a.data, a.shape[axis] * inner, b.data, b.shape[axis] * inner, rows, out);
    return new Tensor(shape, out);
  },
  vjp: [
    (g, [a], _y, axis) => slice(g, axis, 0, a.shape[axis]),
    (g, [a], _y, axis) => slice(g, axis, a.shape[axis]),
  ],
  // A shared input is repeated for every example, then the examples are joined along the shifted axis.
  batch: ([a, b], [ba, bb], axis, size) => concatOp([ba ? a : repeatFor(a, size), bb ? b : repeatFor(b, size)], axis + 1),
});

/** x repeated `size` times along a new first axis (a shared input in a batch). */
function repeatFor(x: Tensor, size: number): Tensor {
  return broadcastTo(reshape(x, [1, ...x.shape]), [size, ...x.shape]);
}

/** The tensors joined along `axis` (their other dimensions equal). */
export function concat(xs: readonly Tensor[], axis: number): Tensor {
  if (xs.length === 0) throw new Error("concat: no tensors to join");
  const { axis: a } = aroundAxis("concat", xs[0], axis);
  return xs.slice(1).reduce((acc, x) => concatOp([acc, x], a), xs[0]);
}

/** The tensors (all one shape) stacked along a new axis at `axis`. */
export function stack(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new Error("stack: no tensors to stack");
  const rank = xs[0].rank;
  const a = axis < 0 ? axis + rank + 1 : axis;
  if (!Number.isInteger(a) || a < 0 || a > rank) throw new Error(`stack: axis ${axis} is out of range for tensors of rank ${rank}`);
  return concat(xs.map((x) => reshape(x, [...x.shape.slice(0, a), 1, ...x.shape.slice(a)])), a);
}

/** Ops that change how numbers are arranged, not the numbers. */
import { defineOp, type Op } from "../op.ts";
import { kernels } from "../kernels/backend.ts";
import { Tensor, allocate, shapeSize, shapeString, type Shape } from "../tensor.ts";

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
  const seen = new Set<number>();
  const norm = axes.map((a) => (a < 0 ? a + x.rank : a));
  if (norm.length !== x.rank || norm.some((a) => !Number.isInteger(a) || a < 0 || a >= x.rank || seen.size === seen.add(a).size)) {
    throw new Error(`permute: [${axes.join(", ")}] is not a permutation of the ${x.rank} axes of ${shapeString(x.shape)}`);
  }
  return norm.every((a, i) => a === i) ? x : permuteOp([x], norm);
}

/** x with axis `from` moved to position `to`, the other axes in order. */
export function moveAxis(x: Tensor, from: number, to: number): Tensor {
  const f = from < 0 ? from + x.rank : from, t = to < 0 ? to + x.rank : to;
  if (!(f >= 0 && f < x.rank && t >= 0 && t < x.rank)) throw new Error(`moveAxis: axis ${from} or ${to} is out of range for ${shapeString(x.shape)}`);
  const rest = x.shape.map((_, i) => i).filter((i) => i !== f);
  rest.splice(t, 0, f);
  return permute(x, rest);
}

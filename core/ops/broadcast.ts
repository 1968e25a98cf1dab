/** Numpy-style broadcasting: shapes align on the right; a 1 (or a missing axis) stretches. */
import { defineOp } from "../op.ts";
import { kernels } from "../kernels/backend.ts";
import { Tensor, allocate, sameShape, shapeSize, shapeString, type Shape } from "../tensor.ts";
import { reshape } from "./shape.ts";

/** The shape two operands broadcast to, or an error naming the op and both shapes. */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new Error(`${op}: shapes do not broadcast (${shapeString(a)} and ${shapeString(b)})`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Strides of `shape` read along the axes of `target` (right-aligned), 0 on broadcast axes. */
export function broadcastStrides(shape: Shape, target: Shape): number[] {
  const strides = new Array<number>(target.length).fill(0);
  let stride = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const t = target.length - shape.length + i;
    if (shape[i] !== 1) strides[t] = stride;
    stride *= shape[i];
  }
  return strides;
}

function checkBroadcastable(op: string, from: Shape, to: Shape): void {
  const b = broadcastShapes(op, from, to);
  if (!sameShape(b, to)) throw new Error(`${op}: ${shapeString(from)} does not broadcast to ${shapeString(to)}`);
}

const sumToShapeOp = defineOp<[Tensor], Shape>({
  name: "sumTo",
  forward([x], shape) {
    checkBroadcastable("sumTo", shape, x.shape);
    const out = allocate(x.dtype, shapeSize(shape));
    kernels().sumInto(x.data, x.shape, out, broadcastStrides(shape, x.shape));
    return new Tensor(shape, out);
  },
  vjp: [(g, [x]) => broadcastTo(g, x.shape)],
  // Each example [..x] sums to `shape`: the batch keeps its own axis in front.
  batch: ([x], _b, shape, size) => {
    checkBroadcastable("sumTo", shape, x.shape.slice(1));
    return reshape(sumToShape(x, [size, ...ones(x.rank - 1 - shape.length), ...shape]), [size, ...shape]);
  },
});

const broadcastToOp = defineOp<[Tensor], Shape>({
  name: "broadcastTo",
  forward([x], shape) {
    checkBroadcastable("broadcastTo", x.shape, shape);
    const out = allocate(x.dtype, shapeSize(shape));
    const zero = allocate(x.dtype, 1);
    kernels().binaryBroadcast("add", x.data, broadcastStrides(x.shape, shape), zero, shape.map(() => 0), out, shape);
    return new Tensor(shape, out);
  },
  vjp: [(g, [x]) => sumToShape(g, x.shape)],
  batch: ([x], _b, shape, size) => broadcastTo(alignBatch(x, shape.length), [size, ...shape]),
});

function ones(n: number): number[] {
  return new Array<number>(Math.max(n, 0)).fill(1);
}

/**
 * A batch [size, ...s] viewed as [size, 1, …, 1, ...s] with `rank` axes after the batch axis, so that it
 * broadcasts against other examples of rank `rank` the way one example would (shapes align on the right).
 */
export function alignBatch(x: Tensor, rank: number): Tensor {
  const exampleRank = x.rank - 1;
  return exampleRank >= rank ? x : reshape(x, [x.shape[0], ...ones(rank - exampleRank), ...x.shape.slice(1)]);
}

/** Sums `x` down to `shape`, the inverse of broadcasting (how a bias's gradient is formed). */
export function sumToShape(x: Tensor, shape: Shape): Tensor {
  return sameShape(x.shape, shape) ? x : sumToShapeOp([x], shape);
}

/** Repeats `x` along broadcast axes to fill `shape`. */
export function broadcastTo(x: Tensor, shape: Shape): Tensor {
  return sameShape(x.shape, shape) ? x : broadcastToOp([x], shape);
}

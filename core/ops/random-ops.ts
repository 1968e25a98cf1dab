/**
 * Randomness as an op: a mask computed by a kernel from a key held in a tensor, so jit replays a new mask for
 * each new key (a mask made in JavaScript would be a constant of the trace, the same on every step).
 */
import { defineOp, type Op } from "../op.ts";
import { defaultDType, kernels } from "../kernels/backend.ts";
import { split, type Key } from "../random.ts";
import { Tensor, allocate, shapeSize, shapeString, zeros, type DType, type Shape } from "../tensor.ts";
import { broadcastTo } from "./broadcast.ts";
import { reshape, slice, stack } from "./shape.ts";

/** A key as a tensor of four 16-bit halves (exact in float32), what random ops take. */
export function keyTensor(k: Key, dtype: DType = defaultDType()): Tensor {
  const data = allocate(dtype, 4);
  data[0] = k[0] >>> 16;
  data[1] = k[0] & 0xffff;
  data[2] = k[1] >>> 16;
  data[3] = k[1] & 0xffff;
  return new Tensor([4], data);
}

/** Keys for `n` steps or examples, as one [n, 4] tensor (row i is split(k, n)[i]). */
export function keyTensors(k: Key, n: number, dtype: DType = defaultDType()): Tensor {
  const rows = split(k, n).map((s) => keyTensor(s, dtype));
  return stack(rows, 0);
}

interface MaskParams {
  readonly shape: Shape;
  readonly rate: number;
  readonly salt: number;
}

const dropoutMaskOp: Op<[Tensor], MaskParams> = defineOp<[Tensor], MaskParams>({
  name: "dropoutMask",
  forward([key], { shape, rate, salt }) {
    if (key.rank !== 1 || key.shape[0] !== 4) throw new Error(`dropoutMask: the key must be a tensor of 4 numbers (keyTensor), got ${shapeString(key.shape)}`);
    const out = allocate(key.dtype, shapeSize(shape));
    kernels().dropoutMask(key.data, salt, rate, out);
    return new Tensor(shape, out);
  },
  vjp: [(_g, [key]) => zeros(key.shape, key.dtype)],
  // One key per example: each example's mask from its own key; one key for all: the same mask for each (as JAX).
  batch: ([keys], [batched], p, size) => batched
    ? stack(Array.from({ length: size }, (_, i) => dropoutMaskOp([reshape(slice(keys, 0, i, i + 1), [4])], p)), 0)
    : broadcastTo(reshape(dropoutMaskOp([keys], p), [1, ...p.shape]), [size, ...p.shape]),
});

/**
 * Inverted dropout's mask for a tensor of `shape`: 0 with probability `rate`, else 1/(1 − rate), so the
 * expected value is unchanged. `salt` tells apart masks drawn from one key (one per layer).
 */
export function dropoutMask(key: Tensor, shape: Shape, rate: number, salt = 0): Tensor {
  if (!(rate >= 0 && rate < 1)) throw new Error(`dropoutMask: rate must be in [0, 1), got ${rate}`);
  return dropoutMaskOp([key], { shape: [...shape], rate, salt });
}

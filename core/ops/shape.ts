/** Ops that change how numbers are arranged, not the numbers. */
import { defineOp } from "../op.ts";
import { Tensor, shapeSize, shapeString, type Shape } from "../tensor.ts";

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
});

/** The same numbers in another shape of the same size; one dimension may be -1 (inferred). */
export function reshape(x: Tensor, shape: Shape): Tensor {
  return reshapeOp([x], resolveShape(x.shape, shape));
}

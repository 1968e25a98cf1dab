// A function of tensors and its gradient, with no derivative written by hand.
import { grad, matmul, sigmoid, sum, tensor, type Tensor } from "../core/index.ts";

const x = tensor([[0.5, -1.0], [2.0, 0.25]]);
const f = (p: { w: Tensor; b: Tensor }) => sum(sigmoid(matmul(x, p.w)));
const params = { w: tensor([[0.1], [-0.3]]), b: tensor([0]) };

const g = grad(f)(params);
console.log("df/dw =", g.w.toArray()); // shaped like w
console.log("df/db =", g.b.toArray()); // b is not used by f: zeros

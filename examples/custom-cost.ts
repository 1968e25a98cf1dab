// A cost of your own trains the network with no gradient code: here the Huber loss on XOR.
import { abs, argmaxRows, clip, key, mean, mul, square, sub, sum, tensor, type Tensor } from "../core/index.ts";
import { momentum, network, step, type Cost } from "../nn/index.ts";

/** Huber loss (δ = 0.5): quadratic near the target, linear far from it; averaged over the batch. */
const huber: Cost = (a, y) => {
  const err = abs(sub(a, y));
  const small = clip(err, 0, 0.5); // the part of the error inside δ
  return mean(sum(sub(mul(square(small), 0.5), mul(sub(small, err), 0.5)), 1));
};

const data = { x: tensor([[0, 0], [0, 1], [1, 0], [1, 1]]), y: tensor([[1, 0], [0, 1], [0, 1], [1, 0]]) };
const net = network([2, 8, 2]);
const opt = momentum(0.5, 0.9);
const train = step(net, huber, opt);
let params = net.init(key(0));
let state = opt.init(params);
for (let i = 0; i <= 1500; i++) {
  const r = train(params, state, data);
  ({ params, optState: state } = r);
  if (i % 500 === 0) console.log(`step ${i}: huber = ${r.loss.toFixed(5)}`);
}
const out: Tensor = net.apply(params, data.x);
console.log("predicted:", Array.from(argmaxRows(out)), "expected: [0, 1, 1, 0]");

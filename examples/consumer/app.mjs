// A project that depends on tsgrad by name, in plain JavaScript: trains a 2-8-2 sigmoid network on XOR.
import { key, tensor } from "tsgrad";
import { momentum, network, quadratic, step } from "tsgrad/nn";

const x = tensor([[0, 0], [0, 1], [1, 0], [1, 1]]);
const y = tensor([[1, 0], [0, 1], [0, 1], [1, 0]]);
const net = network([2, 8, 2]);
const opt = momentum(2, 0.9);
const train = step(net, quadratic, opt);
let params = net.init(key(3)), optState = opt.init(params);
for (let i = 0; i <= 2000; i++) {
  const r = train(params, optState, { x, y });
  ({ params, optState } = r);
  if (i % 500 === 0) console.log(`step ${i}: loss ${r.loss.toFixed(6)}`);
}

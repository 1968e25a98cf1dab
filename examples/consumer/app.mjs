// A project that depends on tsgrad by name, in plain JavaScript: trains a 2-8-2 sigmoid network on XOR,
// then shows that what TypeScript would catch is caught at run time too, with a message naming it.
import { grad, key, mul, normal, sigmoid, sum, tensor, valueAndGrad, vmap } from "tsgrad";
import { adam, chain, clipByGlobalNorm, momentum, network, quadratic, step } from "tsgrad/nn";

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

// JAX's conventions: [value, grads], argnums, an optax chain.
const [value, dw] = valueAndGrad((w, v) => sum(mul(sigmoid(w), v)), { argnums: 0 })(tensor([0]), tensor([2]));
console.log(`value ${value.item()} grad ${dw.item()}`);
const clipped = chain(clipByGlobalNorm(1), adam(0.01));
console.log(`chain state entries ${clipped.init(params).length}`);

// Mistakes a JavaScript caller can make: each a clear error, never a wrong number.
const mistakes = [
  () => mul(tensor([1, 2]), [1, 2]),
  () => sigmoid(3),
  () => normal(key(0), 3),
  () => grad((a) => sum(a), { argnum: 1 }),
  () => vmap((a) => a, "0")(x),
  () => tensor([1, "2"]),
];
for (const m of mistakes) {
  try {
    m();
    console.log("NOT CAUGHT");
  } catch (e) {
    console.log(`caught: ${e.message}`);
  }
}

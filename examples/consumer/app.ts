// The same in TypeScript, checked by tsc with the strictest settings a consumer might use (tsconfig.json).
import { grad, key, matmul, sigmoid, sum, tanh, tensor, treeMap, valueAndGrad, vmap, type Tensor, type Tree } from "tsgrad";
import { applyGradients, chain, dense, network, quadratic, scaleByAdam, scaleByLearningRate, serial, sgd, step, Tanh, type Batch } from "tsgrad/nn";

const batch: Batch = { x: tensor([[0, 0], [0, 1], [1, 0], [1, 1]]), y: tensor([[1, 0], [0, 1], [0, 1], [1, 0]]) };
const net = network([2, 8, 2]);
const opt = sgd(3);
const train = step(net, quadratic, opt);
let params: Tree = net.init(key(3));
let optState: Tree = opt.init(params);
for (let i = 0; i < 100; i++) ({ params, optState } = train(params, optState, batch));
const f = (p: { w: Tensor }) => sum(sigmoid(matmul(batch.x, p.w)));
const g = grad(f)({ w: tensor([[0.1], [-0.3]]) });
console.log("df/dw =", g.w.toArray(), "params:", treeMap(params, (t) => t).constructor.name);

// JAX's conventions, typed: [value, grads]; argnums as a list gives a tuple; hasAux; vmap's axes.
const h = (w: Tensor, x: Tensor) => sum(tanh(matmul(x, w)));
const [v, [dw, dx]] = valueAndGrad(h, { argnums: [0, 1] })(tensor([[0.5], [-1]]), batch.x);
const [[, aux], gw] = valueAndGrad((w: Tensor) => [sum(w), { note: "aux" }] as const, { hasAux: true })(tensor([1, 2]));
const rows = vmap((r: Tensor) => sum(r), [1], 0)(batch.x);
console.log(v.item(), dw.shape, dx.shape, aux.note, gw.shape, rows.shape);

// An optax chain, and core's tanh beside the Tanh layer.
const tx = chain(scaleByAdam(), scaleByLearningRate(0.01));
const small = serial(dense(4), Tanh, dense(2));
let p2 = small.init(key(1), [2]).params;
let s2: Tree = tx.init(p2);
const loss = (p: readonly Tree[]) => quadratic(small.apply(p, batch.x), batch.y);
for (let i = 0; i < 3; i++) [p2, s2] = applyGradients(tx, grad(loss)(p2), s2, p2);
console.log("loss after 3 Adam steps", loss(p2).item());

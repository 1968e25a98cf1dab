// The same in TypeScript, checked by tsc with the strictest settings a consumer might use (tsconfig.json).
import { grad, key, matmul, sigmoid, sum, tensor, treeMap, type Tensor, type Tree } from "tsgrad";
import { network, quadratic, sgd, step, type Batch } from "tsgrad/nn";

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

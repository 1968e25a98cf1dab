// The transforms compose: grad of grad, a Hessian, forward mode, and per-example gradients with vmap.
import { add, grad, hessian, jvp, key, matmul, mean, mul, pow, reshape, setBackend, sum, tanh, tensor, treeLeaves, uniform, vmap, type Tensor, type Tree } from "../core/index.ts";
import { backprop, denseLayers, network, quadratic } from "../nn/index.ts";

// float64 throughout, for the digits quoted below (by default tsgrad runs the wasm kernels in float32, as JAX
// defaults to float32).
setBackend("js");

// grad∘grad: d²/dx² tanh x = −2 tanh x (1 − tanh² x).
const dtanh = grad((x: Tensor) => sum(tanh(x)));
const d2tanh = grad((x: Tensor) => sum(dtanh(x)));
console.log("tanh''(0.5) =", d2tanh(tensor([0.5])).toArray());

// hessian: f(x) = ½ xᵀAx + Σ xᵢ³ has Hessian A + diag(6x).
const A = tensor([[2, 1], [1, 3]]);
const f = (x: Tensor) => add(mul(sum(mul(x, reshape(matmul(A, reshape(x, [2, 1])), [2]))), 0.5), sum(pow(x, 3)));
console.log("hessian at [1, -1] =", hessian(f)(tensor([1, -1])).toArray());

// jvp: forward mode, the directional derivative J·t along t (here of ∇f, so the Hessian times t).
const [gradient, hvp] = jvp((x: Tensor) => grad(f)(x), [tensor([1, -1])], [tensor([1, 0])]);
console.log("∇f =", gradient.toArray(), " H·[1, 0] =", hvp.toArray());

// vmap: per-example gradients of the seed's network; their mean is the mini-batch gradient,
// which is also the mean of the seed's hand-written backprop run one example at a time.
const net = network([4, 3, 2]);
const params = net.init(key(1)) as Tree[];
const xs = uniform(key(2), [5, 4]), ys = uniform(key(3), [5, 2]);
const costOfOne = (p: Tree[], x: Tensor, y: Tensor) => quadratic(net.apply(p, reshape(x, [1, 4])), reshape(y, [1, 2]));
const perExample = vmap(grad(costOfOne), [null, 0, 0])(params, xs, ys); // each leaf: [5, ...its shape]
const meanGrad = treeLeaves(perExample).map((g) => mean(g, 0));
const batchGrad = treeLeaves(grad((p: Tree[]) => quadratic(net.apply(p, xs), ys))(params));
const ex = (t: Tensor, i: number) => reshape(tensor((t.toArray() as number[][])[i]), [1, -1]);
const seeds = [0, 1, 2, 3, 4].map((i) => treeLeaves(backprop(denseLayers(params), ex(xs, i), ex(ys, i), "quadratic").grads));
const seedMean = seeds[0].map((_, l) => mul(seeds.map((s) => s[l]).reduce((u, v) => add(u, v)), 1 / 5));
const gap = (u: Tensor[], v: Tensor[]) => Math.max(...u.flatMap((t, l) => Array.from(t.data, (x, i) => Math.abs(x - v[l].data[i]))));
console.log("largest gap: mean(vmap(grad)) vs grad(batch)", gap(meanGrad, batchGrad).toExponential(1), "vs the seed's backprop", gap(meanGrad, seedMean).toExponential(1));

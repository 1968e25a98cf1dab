// The README's library loop: the seed's network (784-30-10, sigmoid, quadratic cost, SGD η 3, batch 10) on
// real MNIST, from the library's parts (a project imports "tsgrad", "tsgrad/nn", …). Run: npx tsx examples/mnist-loop.ts [epochs]
import { key } from "../core/index.ts";
import { examples } from "../datasets/index.ts";
import { initialState, network, quadratic, sgd, train } from "../nn/index.ts";
import { loadMnist } from "../node/index.ts";

const { training, validation } = loadMnist();             // the seed's split: 50,000 / 10,000 (/ 10,000 test)
const net = network([784, 30, 10]);                       // dense + sigmoid per layer, N(0, 1) weights
const setup = {
  net, cost: quadratic, optimizer: sgd(3), epochs: Number(process.argv[2] ?? 30), batchSize: 10, key: key(1),
  data: examples(training), evalData: examples(validation), // float32 on the default (wasm) kernels
};
await train(setup, initialState(net, setup.optimizer, key(1)), {
  onEpoch: (r) => console.log(`Epoch ${r.epoch}: ${r.evaluation?.correct} / 10000, ${r.seconds.toFixed(2)} s`),
});

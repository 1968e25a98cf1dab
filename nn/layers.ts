/**
 * The layers under one namespace, lower-case as in a spec: `import { layers } from "tsgrad/nn"`, then
 * `layers.serial(layers.dense(32), layers.tanh, layers.dense(1))`, beside core's `tanh` function. (The same
 * layers are exported capitalised too, as stax's: `serial(dense(32), Tanh, dense(1))`.)
 */
export { Relu as relu, Sigmoid as sigmoid, Softmax as softmax, Tanh as tanh } from "./activations.ts";
export { avgPoolLayer as avgPool, conv2dLayer as conv2d, dropout, flatten, maxPoolLayer as maxPool } from "./image-layers.ts";
export { dense } from "./dense.ts";
export { serial } from "./layer.ts";

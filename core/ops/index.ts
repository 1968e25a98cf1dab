export { broadcastShapes, broadcastTo, sumToShape } from "./broadcast.ts";
export { abs, add, addScaled, clip, div, exp, heaviside, identity, log, maximum, minimum, mul, neg, pow, relu, sigmoid, sign, sqrt, square, stopGradient, sub, tanh, type Operand } from "./elementwise.ts";
export { matmul, matmulT, transpose } from "./linalg.ts";
export { mean, sum, type ReduceOptions } from "./reduce.ts";
export { moveAxis, permute, reshape } from "./shape.ts";
export { logSoftmax, softmax } from "./softmax.ts";

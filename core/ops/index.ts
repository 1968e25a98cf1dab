export { broadcastShapes, broadcastTo, sumToShape } from "./broadcast.ts";
export { abs, add, addScaled, clip, div, exp, log, maximum, minimum, mul, neg, relu, sigmoid, sqrt, square, sub, tanh, type Operand } from "./elementwise.ts";
export { matmul, matmulT, transpose } from "./linalg.ts";
export { mean, sum, type ReduceOptions } from "./reduce.ts";
export { reshape } from "./shape.ts";
export { logSoftmax, softmax } from "./softmax.ts";

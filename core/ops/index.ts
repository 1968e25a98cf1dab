export { broadcastShapes, broadcastTo, sumToShape } from "./broadcast.ts";
export { abs, add, addScaled, clip, div, equal, exp, greater, greaterEqual, heaviside, identity, less, lessEqual, log, maximum, minimum, mul, neg, pow, relu, sigmoid, sign, sqrt, square, stopGradient, sub, tanh, where, type Operand } from "./elementwise.ts";
export { avgPool2d, conv2d, convGeometry, im2col, maxPool2d, type Conv2dOptions, type Padding } from "./conv.ts";
export { matmul, matmulT, transpose } from "./linalg.ts";
export { logSumExp, max, mean, sum, type ReduceOptions } from "./reduce.ts";
export { concat, moveAxis, permute, reshape, slice, stack } from "./shape.ts";
export { logSoftmax, softmax } from "./softmax.ts";
export { dropoutMask, keyTensor, keyTensors } from "./random-ops.ts";
export { sparseMatmul, sparseMatmulT, toDense } from "./sparse.ts";

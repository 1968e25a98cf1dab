/** tsgrad core: immutable tensors, ops with their gradients, the tape and the transforms. */
export { Tensor, allocate, cast, fromArray, full, ones, scalar, sameShape, shapeSize, shapeString, tensor, zeros, zerosLike } from "./tensor.ts";
export type { DType, FloatArray, NestedArray, Shape } from "./tensor.ts";
export * from "./ops/index.ts";
export { grad, hessian, jacobian, jvp, valueAndGrad, vjp, type ValueAndGrad } from "./transforms.ts";
export { vmap } from "./vmap.ts";
export { BatchTracer } from "./batch-tracer.ts";
export { treeLeaves, treeMap, treeUnflatten, treeZip, type Tree } from "./tree.ts";
export { foldIn, key, normal, permutation, split, uniform, Stream, type Key } from "./random.ts";
export { checkGrad, checkGrads, type CheckGradsOptions, type GradCheckOptions, type GradCheckResult } from "./gradcheck.ts";
export { kernels, setKernels, withKernels } from "./kernels/backend.ts";
export { referenceKernels } from "./kernels/reference.ts";
export type { BinaryKind, Kernels, UnaryKind } from "./kernels/kernels.ts";
export { defineOp, type BatchRule, type OpDef } from "./op.ts";
export { argmaxRows } from "./argmax.ts";
export { fastKernels } from "./kernels/fast.ts";
export { createWasmKernels, sharedMemoryAvailable, wasmSupported, type WasmKernelOptions, type WasmKernels } from "./kernels/wasm.ts";
export { runWasmHelper, type WasmHelperData } from "./kernels/wasm-helper.ts";
export { jit } from "./jit.ts";

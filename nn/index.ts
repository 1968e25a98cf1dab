/**
 * tsgrad nn: layers, network specs, costs, optimizers, the training step and the backprop reference.
 *
 * "The seed", wherever the code says it, is the network of chapter 1 of Michael Nielsen's *Neural Networks
 * and Deep Learning* (his `network.py`): sigmoid layers of N(0, 1) weights, the quadratic cost, mini-batch
 * SGD with η 3 and batches of 10, trained on the first 50,000 MNIST images. (`--seed` and `seedSplit` are
 * other words: a random seed, and the seed's split of the data.)
 */
export { serial, type ApplyContext, type Layer, type Shape } from "./layer.ts";
export { avgPoolLayer, conv2dLayer, dropout, flatten, maxPoolLayer, type ConvOptions, type ConvParams } from "./image-layers.ts";
export { dense, initWeights, type DenseOptions, type DenseParams, type InitScheme } from "./dense.ts";
export { activations, Relu, Sigmoid, Softmax, Tanh, type ActivationName } from "./activations.ts";
export * as layers from "./layers.ts";
export { compile, compileFromFile, DEFAULT_DENSE_INIT, decodeSpec, withoutInit, MAX_FILE_PARAMETERS, network, sigmoidSpec, specInputSize, specOutputSize, specParameterCount, specShapes, LayerSpec, NetworkSpec, type Network } from "./spec.ts";
export { costs, crossEntropy, logLikelihood, quadratic, type Cost, type CostName } from "./costs.ts";
export {
  adam, addDecayedWeights, allLeaves, applyGradients, applyUpdates, chain, clipByGlobalNorm, constantSchedule, cosineDecaySchedule, exponentialDecaySchedule,
  linearSchedule, matricesOnly, momentum, scale, scaleByAdam, scaleByLearningRate, sgd, weightDecay,
  type AdamOptions, type GradientTransform, type GradientTransformation, type LeafFilter, type LearningRate, type Optimizer,
} from "./optimizers.ts";
export { step, type Batch, type StepOptions, type StepResult } from "./step.ts";
export { backprop, denseLayers, updateMiniBatch, type BackpropCost, type BackpropResult } from "./backprop.ts";
export { decodeWith, described, formatErrors, FiniteNumber, PositiveInt } from "./decode.ts";
export { evaluate, type Evaluation, type Examples } from "./evaluate.ts";
export { initialState, train, type EpochResult, type EpochSummary, type MonitorName, type Score, type TrainHooks, type TrainOutcome, type TrainSetup, type TrainState } from "./train.ts";
export { decodeModel, encodeModel, encodeModelSafetensors, epochRecord, EpochRecord, MODEL_FORMAT, MODEL_VERSION, type Model } from "./model.ts";
export { decodeTree, encodeTree, treesEqual, type TreeJson } from "./tree-codec.ts";
export { CHECKPOINT_FORMAT, CHECKPOINT_VERSION, decodeCheckpoint, decodeCheckpointHeader, encodeCheckpoint, encodeCheckpointSafetensors, type Checkpoint, type Resumed } from "./checkpoint.ts";
export { bestEpoch, combine, constant, earlyStopping, exponentialDecay, halveOnPlateau, score, stepDecay, type Schedule, type ScheduleDecision } from "./schedules.ts";
export { majorityVote } from "./ensemble.ts";
export { BOOK_STARTS, hiddenBiasGradientNorms, layerGradientNorms, type LayerGradientNorms, slowdown, vanishing, vanishingNetwork, type LabelledTensors, type NeuronStart, type SlowdownOptions, type SlowdownRun, type VanishingOptions, type VanishingResult } from "./experiments.ts";
export { decodeSafetensors, encodeSafetensors, looksLikeSafetensors, treeSkeleton } from "./safetensors.ts";
export { bestByEvaluation, bestLine, copyTree, epochLine, percentOf } from "./report.ts";

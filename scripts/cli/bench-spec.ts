/**
 * `npm run bench -- --spec FILE`: a spec network's training speed (the autodiff path, as train runs it) over
 * the first `limit` mini-batches of an epoch, with chapter 6's settings (log-likelihood, sgd η 0.03, L2 λ 0.1,
 * batch 10), beside PyTorch's same network (../shared/peers/conv_torch.py) run in the same session.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { cast, foldIn, key, keyTensor, permutation, treeMap, type Tree } from "../../core/index.ts";
import { chain, logLikelihood, sgd, step, weightDecay, type Network } from "../../nn/index.ts";
import { batchGatherer } from "../../datasets/index.ts";
import type { InstalledBackend, Threads } from "./backend.ts";
import { loadSplits } from "./data.ts";
import { UserError } from "./exit.ts";
import { peerScript } from "./peers.ts";

export interface SpecMeasurement extends Rate {
  readonly spec: string;
  readonly backend: string;
  readonly batches: number;
  readonly seconds: number;
}

/** Trains `batches` mini-batches of `net` (after one untimed batch that traces the step) and times them. */
export function measureSpec(specPath: string, net: Network, batches: number, batchSize: number, installed: InstalledBackend, threads: Threads): SpecMeasurement {
  const { dtype, name } = installed;
  const { training } = loadSplits(undefined);
  let params: Tree = treeMap(net.init(key(1)), (t) => cast(t, dtype));
  const opt = chain(weightDecay(0.1, training.count), sgd(0.03));
  let state: Tree = opt.init(params);
  const update = step(net, logLikelihood, opt, { donate: true });
  const nextBatch = batchGatherer(training, dtype);
  const order = permutation(foldIn(key(1), 0), training.count);
  const run = (b: number) => {
    const gathered = nextBatch(order.subarray(b * batchSize, (b + 1) * batchSize));
    const batch = net.stochastic ? { ...gathered, key: keyTensor(foldIn(key(2), b), dtype) } : gathered;
    ({ params, optState: state } = update(params, state, batch));
  };
  run(0);
  const n = Math.min(batches, Math.floor(training.count / batchSize) - 1);
  const t0 = performance.now(), c0 = process.cpuUsage();
  for (let b = 1; b <= n; b++) run(b);
  const seconds = (performance.now() - t0) / 1000;
  const c1 = process.cpuUsage(c0), cpu = (c1.user + c1.system) / 1e6;
  return { spec: specPath, backend: threads === "2" ? `${name} ×2` : name, batches: n, seconds, imagesPerSecond: (n * batchSize) / seconds, imagesPerCpuSecond: (n * batchSize) / cpu };
}


/** Images per second of wall time and of CPU time (process.cpuUsage over the same batches: what a busy host does not inflate). */
export interface Rate {
  readonly imagesPerSecond: number;
  readonly imagesPerCpuSecond: number;
}

/** PyTorch's chapter-6 network over the same number of batches, on `threads` threads: its rates. */
export function runTorchPeer(batches: number, threads: number): Promise<Rate> {
  const torchPeerScript = peerScript("conv_torch.py", "--peers torch");
  const python = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
  return new Promise((res, rej) => {
    execFile(python, [torchPeerScript, "--limit", String(batches), "--threads", String(threads), "--json"], { maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) return rej(new UserError(`the PyTorch peer failed: ${(stderr || err.message).trim().split("\n").pop()}`));
      res(JSON.parse(stdout) as Rate);
    });
  });
}

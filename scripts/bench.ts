/**
 * Training speed, measured: median seconds per 50,000-image epoch (evaluation excluded), images/s,
 * effective GFLOP/s and peak RSS, for the autodiff path `train` uses and for the hand-written
 * backprop on the same kernels. Each measurement runs in a child process of its own, so its peak RSS
 * is its own. `--peers` runs the numpy peer in the same session and prints the ratios.
 */
import { execFile } from "node:child_process";
import { median } from "./cli/stats.ts";
import { cast, key, permutation, foldIn, treeMap, type Tree } from "../core/index.ts";
import { compile, decodeSpec, denseLayers, MAX_FILE_PARAMETERS, specInputSize, specOutputSize, specParameterCount, evaluate, network, quadratic, sgd, step, updateMiniBatch } from "../nn/index.ts";
import { batchGatherer, sparseBatchGatherer } from "../datasets/index.ts";
import { backendFlag, checkBackend, helperStarted, threadsFlag, useBackend, type BackendName, type InstalledBackend, type Threads } from "./cli/backend.ts";
import { examples, loadSplits } from "./cli/data.ts";
import { orFail, runMain, UserError } from "./cli/exit.ts";
import { scriptArgs } from "./cli/script-command.ts";
import { booleanFlag, commandLine, layerSizes, nonEmpty, oneOf, positiveInt } from "./cli/flags.ts";
import { measureSpec, runTorchPeer, type Rate, type SpecMeasurement } from "./cli/bench-spec.ts";
import { wholeRun, wholeRunReport } from "./cli/bench-whole-run.ts";
import { peerScript, runCPeer } from "./cli/peers.ts";
import { stealText, watchSteal } from "./cli/host.ts";
import { mnistDirectory } from "../node/index.ts";
import { readJsonFile } from "./cli/files.ts";
import { mapLeft } from "fp-ts/lib/Either.js";
import { pipe } from "fp-ts/lib/function.js";

const table = {
  layers: { codec: layerSizes, default: "784,30,10", placeholder: "N,N,…", help: "network(s) to measure", many: true },
  epochs: { codec: positiveInt, default: "3", placeholder: "N", help: "epochs per measurement (the median is reported)" },
  "batch-size": { codec: positiveInt, default: "10", placeholder: "N", help: "mini-batch size" },
  backend: backendFlag,
  threads: { ...threadsFlag, many: true, help: "threads for the wasm kernels; give 1 2 to measure both" },
  path: { codec: oneOf("both", "autodiff", "backprop"), default: "both", placeholder: "WHICH", help: "autodiff (train's path), backprop (hand-written), or both" },
  peers: { codec: oneOf("none", "numpy", "c", "torch", "library"), default: "none", placeholder: "WHICH", many: true, help: "also run peers (../shared/peers), alternating with tsgrad, and print ratios: numpy and/or c (sparse_sgd.c, built with gcc) for --layers and --whole-run, torch (conv_torch.py, 1 thread) for --spec; library (examples/mnist-loop.ts, the README's loop) for --whole-run" },
  spec: { codec: nonEmpty, placeholder: "FILE", help: "measure a spec network instead (chapter 6's settings: log-likelihood, sgd η 0.03, λ 0.1), e.g. examples/specs/ch6-conv2.json" },
  limit: { codec: positiveInt, default: "500", placeholder: "N", help: "with --spec: mini-batches timed per run (after one that traces)" },
  rounds: { codec: positiveInt, default: "3", placeholder: "N", help: "runs of tsgrad and its peers, alternating (medians of the rounds reported)" },
  "whole-run": booleanFlag("time whole default runs (npm run train, --epochs of them) against the numpy float32 peer's (or with --peers c the C yardstick's): wall and CPU time, reported s/epoch, whole epochs from outside"),
  json: booleanFlag("print one JSON object instead of a table"),
  child: { codec: oneOf("autodiff", "backprop", "spec"), placeholder: "", help: "(internal) run one measurement in this process" },
} as const;

interface Measurement {
  readonly layers: readonly number[];
  readonly path: string;
  readonly backend: string;
  readonly secondsPerEpoch: readonly number[];
  readonly medianSecondsPerEpoch: number;
  /** CPU seconds per epoch (process.cpuUsage), median: what a busy host does not inflate. */
  readonly medianCpuSecondsPerEpoch: number;
  readonly imagesPerSecond: number;
  readonly gflops: number;
  readonly peakRssMB: number;
  /** Resident memory after each epoch: flat means nothing accumulates from step to step. */
  readonly rssPerEpochMB: readonly number[];
  readonly correct: number;
}

/** Dense-equivalent floating-point work per example: forward products, weight gradients, hidden deltas. */
function flopsPerExample(sizes: readonly number[]): number {
  let f = 0;
  for (let l = 1; l < sizes.length; l++) {
    const mac = sizes[l - 1] * sizes[l];
    f += 2 * mac + 2 * mac + (l > 1 ? 2 * mac : 0);
  }
  return f;
}

/** One measurement in this process: trains `epochs` epochs the seed's way and reports the timings. */
function measure(sizes: readonly number[], epochs: number, batchSize: number, installed: InstalledBackend, threads: Threads, path: "autodiff" | "backprop"): Measurement {
  const { dtype, name: backendName } = installed;
  const name = threads === "2" ? `${backendName} ×2` : backendName;
  const { training, test } = loadSplits(undefined);
  const net = network(sizes);
  let params: Tree = treeMap(net.init(key(1)), (t) => cast(t, dtype));
  const opt = sgd(3);
  let state: Tree = opt.init(params);
  const update = step(net, quadratic, opt, { donate: true }); // as the training loop steps
  let layers = denseLayers(params as readonly Tree[]);
  const seconds: number[] = [], cpu: number[] = [];
  const cpuNow = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  };
  const rss: number[] = [];
  // As the training loop gathers: sparse rows for autodiff (the seed's network takes them), dense rows for the backprop.
  const sparse = path === "autodiff" && net.sparseInput;
  const nextSparse = sparse ? sparseBatchGatherer(training, dtype) : undefined, nextDense = sparse ? undefined : batchGatherer(training, dtype);
  for (let e = 0; e < epochs; e++) {
    const order = permutation(foldIn(key(1), e), training.count);
    const t0 = performance.now(), c0 = cpuNow();
    for (let b = 0; b < training.count; b += batchSize) {
      const indices = order.subarray(b, Math.min(b + batchSize, training.count));
      if (nextSparse !== undefined) ({ params, optState: state } = update(params, state, nextSparse(indices)));
      else {
        const batch = nextDense!(indices);
        if (path === "autodiff") ({ params, optState: state } = update(params, state, batch));
        else layers = updateMiniBatch(layers, batch.x, batch.y, 3, "quadratic");
      }
    }
    seconds.push((performance.now() - t0) / 1000);
    cpu.push(cpuNow() - c0);
    rss.push(Math.round(process.memoryUsage().rss / 2 ** 20));
  }
  // A sanity check that the measured run learned: test accuracy after the last epoch.
  const final: Tree = path === "autodiff" ? params : layers.flatMap((l): Tree[] => [l, []]);
  const { correct } = evaluate(net, final, examples(test, dtype), quadratic);
  const med = median(seconds);
  return {
    layers: sizes, path, backend: name, secondsPerEpoch: seconds, medianSecondsPerEpoch: med, medianCpuSecondsPerEpoch: median(cpu),
    imagesPerSecond: training.count / med,
    gflops: (flopsPerExample(sizes) * training.count) / med / 1e9,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
    rssPerEpochMB: rss,
    correct,
  };
}

function runChild(args: readonly string[]): Promise<string> {
  return new Promise((res, rej) => {
    execFile(process.execPath, [...scriptArgs(import.meta.url, "bench"), ...args], { maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err === null) return res(stdout);
      // The measuring child's own error line, as ours: its flags were ours.
      const last = stderr.trim().split("\n").pop() ?? err.message;
      rej(/^error: /.test(last) ? new UserError(last.replace(/^error: /, "")) : new Error(stderr || err.message));
    });
  });
}

interface PeerResult {
  readonly medianSecondsPerEpoch: number;
  readonly secondsPerEpoch: readonly number[];
}


type PeerRow = { readonly layers: readonly number[]; readonly peer: string; readonly dtype: string; readonly result: PeerResult & { readonly medianCpuSecondsPerEpoch?: number } };

function runPeer(sizes: readonly number[], epochs: number, batchSize: number, dtype: string): Promise<PeerResult> {
  const script = peerScript("mnist_numpy.py", "--peers numpy");
  return new Promise((res, rej) => {
    execFile("python3", [script, "--layers", sizes.join(","), "--epochs", String(epochs), "--batch-size", String(batchSize), "--dtype", dtype, "--json"], (err, stdout, stderr) => {
      if (err) return rej(new UserError(`the numpy peer failed: ${(stderr || err.message).trim().split("\n").pop()}`));
      res(JSON.parse(stdout) as PeerResult);
    });
  });
}

type BenchFlags = { readonly spec?: string; readonly limit: number; readonly rounds: number; readonly backend: BackendName; readonly threads: readonly Threads[]; readonly peers: readonly string[]; readonly child?: string; readonly "batch-size": number; readonly json: boolean };

/** --spec: tsgrad (a child process per run) and, with --peers torch, PyTorch, alternating; medians of images/s. */
async function benchSpec(path: string, f: BenchFlags): Promise<number> {
  const spec = readJsonFile(path);
  const net = orFail(pipe(decodeSpec(spec), mapLeft((e) => new Error(`${path}: ${e.message}`))));
  // Measured on MNIST: the spec must take its 784 pixels and give its 10 classes (checked here, not in a child).
  if (specInputSize(net) !== 784) throw new UserError(`${path}: the network takes ${specInputSize(net)} numbers per example; bench measures on MNIST's 784 pixels`);
  if (specOutputSize(net) !== 10) throw new UserError(`${path}: the network gives ${specOutputSize(net)} outputs; bench measures on MNIST's 10 classes`);
  if (specParameterCount(net) > MAX_FILE_PARAMETERS) throw new UserError(`${path}: the network has ${specParameterCount(net)} parameters; at most ${MAX_FILE_PARAMETERS} are supported`);
  for (const threads of f.threads) checkBackend(f.backend, threads);
  if (f.child === "spec") {
    const installed = useBackend(f.backend, f.threads[0]);
    await helperStarted();
    process.stdout.write(`${JSON.stringify(measureSpec(path, compile(net), f.limit, f["batch-size"], installed, f.threads[0]))}\n`);
    return 0;
  }
  // Each round measures every thread count on both sides, one after another (tsgrad, then PyTorch with as many).
  if (f.peers.includes("library")) throw new UserError("--peers library times the README's loop against npm run train: give it with --whole-run, not --spec");
  const torch = f.peers.includes("torch");
  const ours = new Map<Threads, SpecMeasurement[]>(), peer = new Map<Threads, Rate[]>();
  for (const t of f.threads) { ours.set(t, []); peer.set(t, []); }
  const steal = watchSteal();
  for (let r = 0; r < f.rounds; r++) {
    for (const threads of f.threads) {
      const out = await runChild(["--spec", path, "--limit", String(f.limit), "--batch-size", String(f["batch-size"]), "--backend", f.backend, "--threads", threads, "--child", "spec"]);
      const mine = JSON.parse(out) as SpecMeasurement;
      ours.get(threads)!.push(mine);
      const theirs = torch ? await runTorchPeer(f.limit, Number(threads)) : undefined;
      if (theirs !== undefined) peer.get(threads)!.push(theirs);
      process.stderr.write(`round ${r + 1}, ${threads} thread(s): tsgrad ${Math.round(mine.imagesPerSecond)} images/s (${Math.round(mine.imagesPerCpuSecond)} per CPU second)${theirs ? `, PyTorch ${Math.round(theirs.imagesPerSecond)} (${Math.round(theirs.imagesPerCpuSecond)})` : ""}\n`);
    }
  }
  const medians = (rates: readonly Rate[]): Rate => ({ imagesPerSecond: median(rates.map((m) => m.imagesPerSecond)), imagesPerCpuSecond: median(rates.map((m) => m.imagesPerCpuSecond)) });
  const lines: string[] = [];
  for (const threads of f.threads) {
    const mine = medians(ours.get(threads)!);
    lines.push(`${path} (${f.limit} batches of ${f["batch-size"]}, ${f.backend}, ${threads} thread(s)): tsgrad ${Math.round(mine.imagesPerSecond)} images/s (${Math.round(mine.imagesPerCpuSecond)} per CPU second), ${(50000 / mine.imagesPerSecond).toFixed(1)} s per 50,000-image epoch (median of ${f.rounds})`);
    if (torch) {
      const theirs = medians(peer.get(threads)!);
      lines.push(`PyTorch CPU, ${threads} thread(s): ${Math.round(theirs.imagesPerSecond)} images/s (${Math.round(theirs.imagesPerCpuSecond)} per CPU second); tsgrad is ${(mine.imagesPerSecond / theirs.imagesPerSecond).toFixed(2)}× its speed in wall time, ${(mine.imagesPerCpuSecond / theirs.imagesPerCpuSecond).toFixed(2)}× in CPU time`);
    }
  }
  if (torch && f.threads.length > 1) {
    // Each side at its best thread count: the fastest in wall time, and (separately) the least CPU per image.
    const best = (m: Map<Threads, readonly Rate[]>, key: keyof Rate) => Math.max(...f.threads.map((t) => medians(m.get(t)!)[key]));
    const wall = best(ours, "imagesPerSecond") / best(peer, "imagesPerSecond"), cpu = best(ours, "imagesPerCpuSecond") / best(peer, "imagesPerCpuSecond");
    lines.push(`each at its best thread count: tsgrad is ${wall.toFixed(2)}× PyTorch's speed in wall time, ${cpu.toFixed(2)}× in CPU time`);
  }
  lines.push(stealText(steal()));
  process.stdout.write(`${lines.join("\n")}\n`);
  return 0;
}

runMain(async () => {
  const parsed = commandLine(table, { usage: "npm run bench -- [flags]", about: "Measures training speed on MNIST (784-n-10, quadratic cost, sgd, eta 3)." });
  if (parsed === undefined) return 0;
  const f = parsed.flags;
  const epochs = f.epochs, batch = f["batch-size"];
  // Every flag is checked here, before any child runs: a child's failure would otherwise be its stack.
  for (const threads of f.threads) checkBackend(f.backend, threads);
  if (f.child === "spec" && f.spec === undefined) throw new UserError("--child spec needs --spec FILE");
  if (f.spec !== undefined) return benchSpec(f.spec, f);
  for (const sizes of f.layers) {
    if (sizes[0] !== 784) throw new UserError(`--layers ${sizes.join(",")}: the first size must be MNIST's 784 pixels`);
    if (sizes[sizes.length - 1] !== 10) throw new UserError(`--layers ${sizes.join(",")}: the last size must be MNIST's 10 classes`);
  }
  if (f["whole-run"]) {
    if (f.peers.includes("torch") || f.peers.length > 1) throw new UserError("--whole-run compares the seed's run with one peer: --peers numpy (the default), c or library");
    const peer = f.peers.includes("c") ? "c" : f.peers.includes("library") ? "library" : "numpy";
    process.stdout.write(wholeRunReport(await wholeRun(epochs, f.rounds, peer, mnistDirectory(), (s) => process.stderr.write(s)), epochs));
    return 0;
  }
  if (f.child !== undefined) {
    const installed = useBackend(f.backend, f.threads[0]);
    await helperStarted();
    process.stdout.write(`${JSON.stringify(measure(f.layers[0], epochs, batch, installed, f.threads[0], f.child as "autodiff" | "backprop"))}\n`);
    return 0;
  }
  // The peers are looked for before anything is measured, not after minutes of measuring.
  if (f.peers.includes("torch")) throw new UserError("--peers torch measures a conv net: give it with --spec FILE");
  if (f.peers.includes("library")) throw new UserError("--peers library times the README's loop against npm run train: give it with --whole-run");
  if (f.peers.includes("numpy")) peerScript("mnist_numpy.py", "--peers numpy");
  if (f.peers.includes("c")) {
    peerScript("sparse_sgd.c", "--peers c");
    for (const sizes of f.layers) if (sizes.length !== 3) throw new UserError(`--peers c: sparse_sgd.c has one hidden layer; --layers ${sizes.join(",")} has ${sizes.length - 2}`);
  }
  const paths = f.path === "both" ? (["autodiff", "backprop"] as const) : [f.path];
  // Each round measures everything once, tsgrad and its peers one after another; the table gives each one's
  // median over the rounds, so a host that was busier in one round moves every figure of that round alike.
  const rounds: { results: Measurement[]; peers: PeerRow[] }[] = [];
  const steal = watchSteal();
  for (let r = 0; r < f.rounds; r++) {
    const round: { results: Measurement[]; peers: PeerRow[] } = { results: [], peers: [] };
    for (const sizes of f.layers) {
      for (const threads of f.threads) {
        for (const path of paths) {
          process.stderr.write(`round ${r + 1}: measuring ${sizes.join("-")} ${path} on ${f.backend}, ${threads} thread(s) …\n`);
          const out = await runChild(["--layers", sizes.join(","), "--epochs", String(epochs), "--batch-size", String(batch), "--backend", f.backend, "--threads", threads, "--child", path]);
          round.results.push(JSON.parse(out) as Measurement);
        }
      }
      if (f.peers.includes("numpy")) {
        for (const dtype of ["float32", "float64"]) {
          process.stderr.write(`round ${r + 1}: measuring ${sizes.join("-")} numpy ${dtype} …\n`);
          round.peers.push({ layers: sizes, peer: "numpy", dtype, result: await runPeer(sizes, epochs, batch, dtype) });
        }
      }
      if (f.peers.includes("c")) {
        process.stderr.write(`round ${r + 1}: measuring ${sizes.join("-")} sparse_sgd.c …\n`);
        const c = await runCPeer(sizes[1], epochs, mnistDirectory());
        round.peers.push({ layers: sizes, peer: "C (sparse_sgd.c)", dtype: "float32", result: { medianSecondsPerEpoch: c.medianSecondsPerEpoch, secondsPerEpoch: [], medianCpuSecondsPerEpoch: c.cpuSecondsPerEpoch } });
      }
    }
    rounds.push(round);
  }
  const stolen = steal();
  // Medians over the rounds, in the first round's order.
  const results: Measurement[] = rounds[0].results.map((m, i) => {
    const all = rounds.map((rd) => rd.results[i]);
    const wall = median(all.map((x) => x.medianSecondsPerEpoch));
    return { ...m, medianSecondsPerEpoch: wall, medianCpuSecondsPerEpoch: median(all.map((x) => x.medianCpuSecondsPerEpoch)), imagesPerSecond: 50000 / wall, gflops: (m.gflops * m.medianSecondsPerEpoch) / wall, peakRssMB: Math.max(...all.map((x) => x.peakRssMB)) };
  });
  const peers: PeerRow[] = rounds[0].peers.map((p, i) => {
    const all = rounds.map((rd) => rd.peers[i].result);
    const cpus = all.map((x) => x.medianCpuSecondsPerEpoch).filter((x): x is number => x !== undefined);
    return { ...p, result: { ...p.result, medianSecondsPerEpoch: median(all.map((x) => x.medianSecondsPerEpoch)), ...(cpus.length === all.length ? { medianCpuSecondsPerEpoch: median(cpus) } : {}) } };
  });
  if (f.json) {
    process.stdout.write(`${JSON.stringify({ batchSize: batch, epochs, rounds: f.rounds, ...(stolen === undefined ? {} : { stealShare: stolen }), results, peers })}\n`);
    return 0;
  }
  const rows = [["network", "path", "backend", "s/epoch (median)", "CPU s/epoch", "images/s", "GFLOP/s", "peak RSS MB", "RSS after each epoch MB", "test acc"]];
  for (const r of results) {
    rows.push([r.layers.join("-"), r.path, r.backend, r.medianSecondsPerEpoch.toFixed(3), r.medianCpuSecondsPerEpoch.toFixed(3), Math.round(r.imagesPerSecond).toString(), r.gflops.toFixed(2), r.peakRssMB.toFixed(0), r.rssPerEpochMB.join(" "), `${(r.correct / 100).toFixed(2)}%`]);
  }
  for (const p of peers) rows.push([p.layers.join("-"), `${p.peer} peer`, p.dtype, p.result.medianSecondsPerEpoch.toFixed(3), p.result.medianCpuSecondsPerEpoch?.toFixed(3) ?? "", Math.round(50000 / p.result.medianSecondsPerEpoch).toString(), "", "", "", ""]);
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r: string[]) => `| ${r.map((v, c) => v.padEnd(widths[c])).join(" | ")} |`;
  const out = [line(rows[0]), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...rows.slice(1).map(line)];
  const ofRun = (path: string, layers: readonly number[], backend: string) => results.find((r) => r.path === path && r.layers.join() === layers.join() && r.backend === backend);
  const backends = [...new Set(results.map((r) => r.backend))];
  for (const p of peers) {
    for (const backend of backends) {
      const ours = ofRun("autodiff", p.layers, backend);
      if (ours) out.push(`${p.layers.join("-")}: autodiff (${backend}) takes ${(ours.medianSecondsPerEpoch / p.result.medianSecondsPerEpoch).toFixed(2)}× the wall time of ${p.peer} ${p.dtype}${p.result.medianCpuSecondsPerEpoch === undefined ? "" : `, ${(ours.medianCpuSecondsPerEpoch / p.result.medianCpuSecondsPerEpoch).toFixed(2)}× its CPU time`}`);
    }
  }
  for (const sizes of f.layers) {
    for (const backend of backends) {
      const a = ofRun("autodiff", sizes, backend), b = ofRun("backprop", sizes, backend);
      if (a && b) out.push(`${sizes.join("-")}: autodiff (${backend}) takes ${(a.medianSecondsPerEpoch / b.medianSecondsPerEpoch).toFixed(2)}× the time of hand-written backprop`);
    }
    const one = ofRun("autodiff", sizes, f.backend), two = ofRun("autodiff", sizes, `${f.backend} ×2`);
    if (one && two) out.push(`${sizes.join("-")}: two threads run autodiff ${(one.medianSecondsPerEpoch / two.medianSecondsPerEpoch).toFixed(2)}× as fast as one`);
  }
  out.push(`medians of ${f.rounds} alternating round(s); ${stealText(stolen)}`);
  process.stdout.write(`${out.join("\n")}\n`);
  return 0;
});

// Bundled for the browser test: the wasm kernels with a Web Worker helper, against one thread.
import { browserHelperStarter, createWasmKernels, type WasmKernels } from "../../core/index.ts";

const small = { arenaBytes: 4 << 20, persistentBytes: 4 << 20, residentBytes: 0 };
const sparse = (len: number) => Float32Array.from({ length: len }, (_, i) => ((i * 7919) % 5 < 3 ? 0 : ((i * 31) % 255) / 255));
const dense = (len: number, s: number) => Float32Array.from({ length: len }, (_, i) => Math.sin(i * 0.37 + s));

async function main() {
  const one = createWasmKernels(small);
  const two = createWasmKernels({ ...small, startHelper: browserHelperStarter(new URL("./worker.js", location.href)) });
  for (let i = 0; i < 500 && two.threads() < 2; i++) await new Promise((r) => setTimeout(r, 10));
  const m = 8, k = 600, n = 32;
  const x = sparse(m * k), w = dense(k * n, 1), d = dense(m * n, 2);
  const run = (kk: WasmKernels) => {
    const gradient = new Float32Array(k * n), updated = new Float32Array(k * n);
    kk.matmul(x, d, gradient, k, m, n, true, false);
    kk.axpy(-0.3, gradient, w, updated);
    return Array.from(new Uint32Array(updated.buffer));
  };
  const a = run(one), b = run(two);
  return { isolated: crossOriginIsolated, threads: two.threads(), note: two.note ?? null, same: a.length === b.length && a.every((v, i) => v === b[i]) };
}

(globalThis as { result?: unknown }).result = main().catch((e: unknown) => ({ error: String(e) }));

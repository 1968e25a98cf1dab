/** Adam's one-pass kernels in JavaScript: the separate ops' operations, each rounded to the output's dtype as they round it. */
import type { FloatArray } from "../tensor.ts";
import type { Kernels } from "./kernels.ts";

const f = Math.fround;

// One loop per dtype, so each stays monomorphic (a shared loop calling a rounding function ran ~5× slower).
function moment32(x: FloatArray, g: FloatArray, a: number, b: number, square: boolean, out: Float32Array): void {
  const ra = f(a), rb = f(b);
  if (square) for (let i = 0; i < out.length; i++) out[i] = f(x[i] * ra) + f(f(g[i] * g[i]) * rb);
  else for (let i = 0; i < out.length; i++) out[i] = f(x[i] * ra) + f(g[i] * rb);
}

function moment64(x: FloatArray, g: FloatArray, a: number, b: number, square: boolean, out: FloatArray): void {
  if (square) for (let i = 0; i < out.length; i++) out[i] = x[i] * a + g[i] * g[i] * b;
  else for (let i = 0; i < out.length; i++) out[i] = x[i] * a + g[i] * b;
}

export const adamJsKernels: Pick<Kernels, "adamMoment" | "adamStep"> = {
  adamMoment(x, g, a, b, square, out) {
    if (out instanceof Float32Array) moment32(x, g, a, b, square, out);
    else moment64(x, g, a, b, square, out);
  },
  adamStep(w, m, v, c1, c2, eps, out) {
    const k1 = c1[0], k2 = c2[0];
    if (out instanceof Float32Array) {
      const e = f(eps);
      // (Storing into a float32 array rounds the last sum.)
      for (let i = 0; i < out.length; i++) out[i] = w[i] + f(f(m[i] * k1) / f(f(Math.sqrt(f(v[i] * k2))) + e));
    } else {
      for (let i = 0; i < out.length; i++) out[i] = w[i] + (m[i] * k1) / (Math.sqrt(v[i] * k2) + eps);
    }
  },
};

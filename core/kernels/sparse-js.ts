/** The sparse kernels in JavaScript (any dtype): sums in the order the dense product over the same rows makes them. */
import type { FloatArray } from "../tensor.ts";
import { valueTable, type CsrMatrix } from "../sparse.ts";
import type { Kernels } from "./kernels.ts";

const tableFor = (m: CsrMatrix, out: FloatArray) => valueTable(m, out instanceof Float32Array ? "float32" : "float64");

export const sparseJsKernels: Pick<Kernels, "sparseMatmul" | "sparseMatmulT" | "sparseToDense"> = {
  sparseMatmul(m, rows, b, out, n, h) {
    const table = tableFor(m, out);
    // Each output row summed in double over the row's entries (zeros add nothing), then stored.
    const acc = new Float64Array(h);
    for (let i = 0; i < n; i++) {
      const r = rows[i];
      acc.fill(0);
      for (let q = m.start[r], end = m.start[r + 1]; q < end; q++) {
        const v = table[m.values[q]], at = m.columns[q] * h;
        for (let j = 0; j < h; j++) acc[j] += v * b[at + j];
      }
      out.set(acc, i * h);
    }
  },
  sparseMatmulT(m, rows, g, out, n, h) {
    const table = tableFor(m, out);
    out.fill(0);
    // Examples in order: each row of out gets its examples' terms first to last.
    for (let i = 0; i < n; i++) {
      const r = rows[i], gi = i * h;
      for (let q = m.start[r], end = m.start[r + 1]; q < end; q++) {
        const v = table[m.values[q]], at = m.columns[q] * h;
        for (let j = 0; j < h; j++) out[at + j] += v * g[gi + j];
      }
    }
  },
  sparseToDense(m, rows, out) {
    const table = tableFor(m, out);
    out.fill(0);
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i], base = i * m.cols;
      for (let q = m.start[r], end = m.start[r + 1]; q < end; q++) out[base + m.columns[q]] = table[m.values[q]];
    }
  },
};

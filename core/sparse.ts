/**
 * Sparse input as a value of its own. A `CsrMatrix` keeps only the non-zero entries of a matrix of bytes,
 * row by row (compressed sparse rows), each entry's number being its byte over a divisor: a data set's
 * pixels, of which MNIST's are ~19% non-zero. A `SparseBatch` is some of its rows: the matrix and a tensor of
 * row numbers, as JAX's BCOO is indices beside data. The ops of core/ops/sparse.ts take it where a dense
 * batch would be: the product with a weight matrix reads only the non-zero pixels, and its gradient for
 * the weights touches only the rows of pixels the batch has, with no dense batch ever written.
 */
import { shapeString, Tensor, type DType } from "./tensor.ts";

let nextId = 0;

export class CsrMatrix {
  /** A serial number: jit keys a trace by the matrix its sparse arguments index (the matrix is static, its rows are traced). */
  readonly id = nextId++;
  private built?: { readonly start: Int32Array; readonly columns: Uint16Array; readonly values: Uint8Array };

  private constructor(
    /** The dense bytes it was made from (rows × cols, row-major), if it was: a backend may build its own copy from them. */
    readonly source: Uint8Array | undefined,
    readonly rows: number,
    readonly cols: number,
    readonly divisor: number,
    lists?: { readonly start: Int32Array; readonly columns: Uint16Array; readonly values: Uint8Array },
  ) {
    this.built = lists;
  }

  /**
   * The non-zero entries of `rows` rows of `cols` bytes each (row-major), each byte standing for byte / divisor.
   * The bytes must not change afterwards (a data set's pixels never do). The lists are made when first read:
   * the wasm backend makes its own from the bytes, in wasm.
   */
  static fromBytes(bytes: Uint8Array, rows: number, cols: number, divisor: number): CsrMatrix {
    if (!(bytes instanceof Uint8Array)) throw new Error("CsrMatrix: expects a Uint8Array of bytes");
    checkSize(rows, cols, divisor);
    if (bytes.length !== rows * cols) throw new Error(`CsrMatrix: ${bytes.length} bytes are not ${rows} rows of ${cols}`);
    return new CsrMatrix(bytes, rows, cols, divisor);
  }

  /**
   * A matrix from its lists: `start` (rows + 1 positions, the first 0), each entry's column (ascending within a
   * row, below cols) and byte (non-zero). They are checked here, once, and must not change afterwards.
   */
  static fromLists(rows: number, cols: number, divisor: number, start: Int32Array, columns: Uint16Array, values: Uint8Array): CsrMatrix {
    checkSize(rows, cols, divisor);
    if (start.length !== rows + 1 || start[0] !== 0) throw new Error(`CsrMatrix: start must hold ${rows + 1} positions from 0, got ${start.length}${start.length > 0 ? ` from ${start[0]}` : ""}`);
    const entries = start[rows];
    if (columns.length < entries || values.length < entries) throw new Error(`CsrMatrix: ${entries} entries, but ${columns.length} columns and ${values.length} values`);
    for (let r = 0; r < rows; r++) {
      if (start[r + 1] < start[r]) throw new Error(`CsrMatrix: row ${r} ends before it starts`);
      for (let q = start[r]; q < start[r + 1]; q++) {
        if (columns[q] >= cols || (q > start[r] && columns[q] <= columns[q - 1])) throw new Error(`CsrMatrix: row ${r}'s columns must ascend below ${cols}`);
        if (values[q] === 0) throw new Error(`CsrMatrix: row ${r} stores a zero`);
      }
    }
    return new CsrMatrix(undefined, rows, cols, divisor, { start, columns, values });
  }

  /** Rows [from, to) as a matrix of their own, sharing this one's lists (or bytes). */
  rowRange(from: number, to: number): CsrMatrix {
    if (!(Number.isInteger(from) && Number.isInteger(to) && 0 <= from && from <= to && to <= this.rows)) throw new Error(`CsrMatrix: rows ${from} to ${to} are not within its ${this.rows}`);
    if (this.built === undefined && this.source !== undefined) return CsrMatrix.fromBytes(this.source.subarray(from * this.cols, to * this.cols), to - from, this.cols, this.divisor);
    const { start, columns, values } = this.lists();
    // Positions stay absolute: the sub-matrix's start is a window of this one's.
    return new CsrMatrix(undefined, to - from, this.cols, this.divisor, { start: start.subarray(from, to + 1), columns, values });
  }

  /** The dense bytes (rows × cols), written into `out` (zeroed here) or a new array. */
  toBytes(out: Uint8Array = new Uint8Array(this.rows * this.cols)): Uint8Array {
    if (out.length !== this.rows * this.cols) throw new Error(`CsrMatrix: ${this.rows}×${this.cols} bytes do not fit in ${out.length}`);
    if (this.source !== undefined) {
      out.set(this.source);
      return out;
    }
    const { start, columns, values } = this.lists();
    out.fill(0);
    for (let r = 0; r < this.rows; r++) for (let q = start[r], base = r * this.cols; q < start[r + 1]; q++) out[base + columns[q]] = values[q];
    return out;
  }

  private lists() {
    if (this.built !== undefined) return this.built;
    const bytes = this.source!, cols = this.cols;
    let count = 0;
    for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 0) count++;
    const start = new Int32Array(this.rows + 1), columns = new Uint16Array(count), values = new Uint8Array(count);
    let q = 0;
    for (let r = 0; r < this.rows; r++) {
      start[r] = q;
      const base = r * cols;
      for (let c = 0; c < cols; c++) {
        const v = bytes[base + c];
        if (v !== 0) {
          columns[q] = c;
          values[q++] = v;
        }
      }
    }
    start[this.rows] = q;
    return (this.built = { start, columns, values });
  }

  /** Where each row's entries begin in `columns` and `values` (rows + 1 numbers, the last the entry count). */
  get start(): Int32Array {
    return this.lists().start;
  }

  /** Each entry's column, in order within its row. */
  get columns(): Uint16Array {
    return this.lists().columns;
  }

  /** Each entry's byte; its number is byte / divisor. */
  get values(): Uint8Array {
    return this.lists().values;
  }

  /** Whether its lists exist yet (a matrix made from bytes makes them when first read). */
  get listsMade(): boolean {
    return this.built !== undefined;
  }

  /** How many entries are stored. */
  get entries(): number {
    return this.start[this.rows];
  }
}

/**
 * A matrix from lists a backend made itself (in its own memory), unchecked: for core's kernels only, which
 * make them from bytes with the very rules fromLists checks.
 */
export function madeFromLists(rows: number, cols: number, divisor: number, start: Int32Array, columns: Uint16Array, values: Uint8Array): CsrMatrix {
  return Reflect.construct(CsrMatrix as unknown as new (...a: unknown[]) => CsrMatrix, [undefined, rows, cols, divisor, { start, columns, values }]);
}

/** Throws unless rows×cols with this divisor is a size a CsrMatrix can be. */
export function checkSize(rows: number, cols: number, divisor: number): void {
  if (!(Number.isInteger(rows) && rows >= 0 && Number.isInteger(cols) && cols >= 1)) throw new Error(`CsrMatrix: bad size ${rows}×${cols}`);
  if (cols > 65536) throw new Error(`CsrMatrix: rows of ${cols} columns are more than the 65536 it indexes`);
  if (!(Number.isFinite(divisor) && divisor > 0 && Math.fround(divisor) === divisor)) throw new Error(`CsrMatrix: the divisor must be a positive float32 number, got ${divisor}`);
}

const tables = new WeakMap<CsrMatrix, { float32?: Float32Array; float64?: Float64Array }>();

/**
 * The number each byte stands for, in a dtype: byte / divisor rounded to it, as gathering the dense rows
 * would give (float32 division is correctly rounded, and so is rounding a float64 quotient to float32).
 */
export function valueTable(m: CsrMatrix, dtype: DType): Float32Array | Float64Array {
  let t = tables.get(m);
  if (t === undefined) tables.set(m, (t = {}));
  const have = dtype === "float32" ? t.float32 : t.float64;
  if (have !== undefined) return have;
  const table = dtype === "float32" ? new Float32Array(256) : new Float64Array(256);
  for (let v = 0; v < 256; v++) table[v] = v / m.divisor;
  if (table instanceof Float32Array) t.float32 = table;
  else t.float64 = table;
  return table;
}

/** Rows of a CsrMatrix as a batch: shape [rows.size, matrix.cols], numbers in the row tensor's dtype. */
export class SparseBatch {
  readonly shape: readonly [number, number];

  /** Checks every row number (a whole number naming a row of the matrix) once, here: the kernels trust them. */
  constructor(readonly matrix: CsrMatrix, readonly rows: Tensor) {
    if (!(matrix instanceof CsrMatrix)) throw new Error("SparseBatch: the matrix must be a CsrMatrix");
    if (!(rows instanceof Tensor) || rows.rank !== 1) throw new Error(`SparseBatch: row numbers must be a 1-D tensor, got ${rows instanceof Tensor ? shapeString(rows.shape) : typeof rows}`);
    const d = rows.data;
    for (let i = 0; i < d.length; i++) {
      const r = d[i];
      if (!(Number.isInteger(r) && r >= 0 && r < matrix.rows)) throw new Error(`SparseBatch: row ${r} is not one of the matrix's ${matrix.rows} rows`);
    }
    this.shape = Object.freeze([rows.size, matrix.cols]) as readonly [number, number];
  }

  get dtype(): DType {
    return this.rows.dtype;
  }
}

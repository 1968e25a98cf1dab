/** The wasm module's exports as TypeScript calls them (test/core/wasm-contract.test.ts checks each against the built module). */
export interface WasmExports {
  staticDataEnd(): number;
  setScratch(idx: number, val: number, temp: number): void;
  matmulNN(a: number, b: number, out: number, m: number, k: number, n: number): void;
  matmulTN(a: number, b: number, out: number, m: number, k: number, n: number): void;
  matmulTNRows(a: number, b: number, out: number, m: number, k: number, n: number, lo: number, hi: number, alpha: number, c: number): void;
  matmulNNPart(a: number, b: number, out: number, m: number, k: number, n: number, lo: number, hi: number): void;
  addInto(out: number, x: number, len: number): void;
  matmulNT(a: number, b: number, out: number, m: number, k: number, n: number): void;
  axpy(alpha: number, x: number, y: number, out: number, len: number): void;
  bytesToFloat(bytes: number, out: number, len: number, divisor: number): void;
  gatherRows(bytes: number, count: number, rowLength: number, divisor: number, out: number): void;
  sigmoid(x: number, out: number, len: number): void;
  addRow(a: number, b: number, out: number, rows: number, cols: number): void;
  sumRows(x: number, out: number, rows: number, cols: number): void;
  sigmoidGrad(g: number, y: number, out: number, len: number): void;
  binaryOp(op: number, a: number, b: number, out: number, len: number): void;
  scalarOp(op: number, a: number, sAt: number, out: number, len: number): void;
  unaryOp(op: number, x: number, out: number, len: number): void;
  im2colValid(x: number, out: number, n: number, c: number, h: number, w: number, kh: number, kw: number, oh: number, ow: number): void;
  col2imValid(cols: number, out: number, n: number, c: number, h: number, w: number, kh: number, kw: number, oh: number, ow: number): void;
  transposeBlocks(x: number, out: number, blocks: number, rows: number, cols: number): void;
  maxPool2(x: number, out: number, planes: number, h: number, w: number, oh: number, ow: number): void;
  maxPool2Scatter(x: number, grad: number, out: number, planes: number, h: number, w: number, oh: number, ow: number): void;
  sumAll(x: number, out: number, len: number): void;
  fillOp(op: number, a: number, b: number, out: number, len: number): void;
  sparseMatmul(desc: number, rows: number, w: number, out: number, n: number, h: number): void;
  sparseMatmulTAxpy(desc: number, rows: number, g: number, c: number, out: number, acc: number, n: number, h: number, alpha: number): void;
  sparseToDense(desc: number, rows: number, out: number, n: number): void;
  csrCount(bytes: number, rows: number, cols: number, start: number): number;
  csrFill(bytes: number, rows: number, cols: number, columns: number, values: number): void;
  adamMoment(x: number, g: number, a: number, b: number, square: number, out: number, len: number): void;
  adamStep(w: number, m: number, v: number, c1: number, c2: number, eps: number, out: number, len: number): void;
  run(program: number, count: number): void;
}

/**
 * jit's replay as one call into the wasm module. A backend method decides, in JavaScript, which of the
 * module's kernels to call and where their arrays are; when every array of a program's calls lives in wasm
 * memory those decisions come out the same on every replay, so they can be made once: each method is run
 * against a recorder instead of the module, its module calls are written down as records (op code and
 * arguments) in wasm memory, and a replay is then the module's `run` over the records, after writing the
 * inputs' addresses into the words that hold them. The same kernels in the same order with the same
 * arguments: the same numbers as calling them one by one.
 */

/** Words (32-bit) per record: the op code and up to 11 arguments. */
export const RECORD_WORDS = 12;

/**
 * The module's kernels a program can call, in op-code order (the `run` switch in assembly/kernels.ts), each
 * with its arguments' kinds: p an address, i an integer, f a float32.
 */
export const PROGRAM_OPS = [
  ["matmulNN", "pppiii"],
  ["matmulNNPart", "pppiiiii"],
  ["addInto", "ppi"],
  ["matmulTN", "pppiii"],
  ["matmulTNRows", "pppiiiiifp"],
  ["matmulNT", "pppiii"],
  ["axpy", "fpppi"],
  ["sigmoid", "ppi"],
  ["addRow", "pppii"],
  ["sumRows", "ppii"],
  ["sigmoidGrad", "pppi"],
  ["binaryOp", "ipppi"],
  ["unaryOp", "ippi"],
  ["scalarOp", "ipppi"],
  ["im2colValid", "ppiiiiiiii"],
  ["col2imValid", "ppiiiiiiii"],
  ["transposeBlocks", "ppiii"],
  ["maxPool2", "ppiiiii"],
  ["maxPool2Scatter", "pppiiiii"],
  ["sumAll", "ppi"],
  ["fillOp", "ipppi"],
] as const;

/** One module call a method would have made. op −1: a call no program can hold (it reads JS-side state). */
export interface ModuleCall {
  readonly op: number;
  readonly args: readonly number[];
}

const opCodes = new Map<string, number>(PROGRAM_OPS.map(([name], i) => [name, i]));

/**
 * An object shaped like the module's exports whose functions note each call in `calls` and compute nothing.
 * Exports outside PROGRAM_OPS (gathering from datasets' bytes, which reads row numbers JavaScript wrote) are
 * noted as op −1.
 */
export function moduleRecorder<E extends object>(names: readonly string[], calls: ModuleCall[]): E {
  const recorder: Record<string, (...args: number[]) => void> = {};
  for (const name of names) {
    const op = opCodes.get(name) ?? -1;
    recorder[name] = (...args: number[]) => {
      calls.push({ op, args });
    };
  }
  return recorder as E;
}

/** Where an input's address goes: the word at `word` is the input's address plus `delta` bytes. */
interface Patch {
  readonly word: number;
  readonly input: number;
  readonly delta: number;
}

/**
 * Writes module calls as records into `ints`/`floats` (views of one block of wasm memory), from word 0. An
 * address inside one of `holders` (byte ranges standing for the inputs while recording) becomes a patch.
 */
export function writeRecords(calls: readonly ModuleCall[], ints: Int32Array, floats: Float32Array, holders: readonly (readonly [start: number, end: number])[]): Patch[] {
  const patches: Patch[] = [];
  calls.forEach(({ op, args }, c) => {
    const kinds = PROGRAM_OPS[op][1];
    if (args.length !== kinds.length) throw new Error(`wasm program: ${PROGRAM_OPS[op][0]} recorded with ${args.length} arguments, expected ${kinds.length}`);
    const base = c * RECORD_WORDS;
    ints[base] = op;
    args.forEach((v, i) => {
      const word = base + 1 + i;
      if (kinds[i] === "f") floats[word] = v;
      else ints[word] = v;
      if (kinds[i] !== "p") return;
      const input = holders.findIndex(([start, end]) => v >= start && v < end);
      if (input >= 0) patches.push({ word, input, delta: v - holders[input][0] });
    });
  });
  return patches;
}

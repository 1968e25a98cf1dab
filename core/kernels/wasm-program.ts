/**
 * jit's replay as one call into the wasm module. A backend method decides, in JavaScript, which of the
 * module's kernels to call and where their arrays are; when every array of a program's calls lives in wasm
 * memory those decisions come out the same on every replay, so they can be made once: each method is run
 * against a recorder instead of the module, its module calls are written down as records (op code and
 * arguments) in wasm memory, and a replay is then the module's `run` over the records, after writing the
 * inputs' addresses into the words that hold them. The same kernels in the same order with the same
 * arguments: the same numbers as calling them one by one.
 */

import type { CompiledCalls, KernelName, ProgramCall } from "./kernels.ts";

// The records' layout and op codes: one declaration shared with the module's build.
export { PROGRAM_OPS, RECORD_WORDS } from "./wasm-contract.ts";
import { PROGRAM_OPS, RECORD_WORDS } from "./wasm-contract.ts";

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
function writeRecords(calls: readonly ModuleCall[], ints: Int32Array, floats: Float32Array, holders: readonly (readonly [start: number, end: number])[]): Patch[] {
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

/** What compileCalls needs of the wasm backend. */
export interface ProgramHost {
  /** The module's memory. */
  readonly buffer: ArrayBufferLike;
  /** The module calls the backend's method for this call would make, or undefined when it needs JavaScript. */
  record(kernel: KernelName, args: readonly unknown[]): ModuleCall[] | undefined;
  /** A long-lived float32 block in the module's memory (undefined: no room), and its return. */
  hold(length: number): Float32Array | undefined;
  release(a: Float32Array): void;
  /** The module's `run` over `count` records at `program`. */
  run(program: number, count: number): void;
  /** The backend's method, called from JavaScript. */
  call(kernel: KernelName, args: readonly unknown[]): void;
}

type Step = { readonly start: number; readonly count: number } | { readonly call: ProgramCall; readonly args: unknown[] };

/**
 * Kernel calls compiled for the wasm backend (Kernels.compile): runs of calls the module can make alone become
 * records run by one `run` each; a call that needs JavaScript (a JS kernel, an array outside wasm memory, a
 * number read in JS) stays a call, made between runs. While recording, each input is stood for by a block of
 * its own, so an address inside one is known to be that input's; constants get copies in wasm memory.
 */
export function compileCalls(calls: readonly ProgramCall[], inputLengths: readonly number[], host: ProgramHost): CompiledCalls | undefined {
  const owned: Float32Array[] = [];
  const hold = (length: number) => {
    const a = host.hold(length);
    if (a !== undefined) owned.push(a);
    return a;
  };
  const holders: Float32Array[] = [];
  const copies = new Map<Float32Array, Float32Array>();
  const moduleCalls: ModuleCall[] = [];
  const steps: Step[] = [];
  try {
    for (const length of inputLengths) {
      const h = hold(length);
      if (h === undefined) return undefined;
      holders.push(h);
    }
    for (const call of calls) {
      const args = call.args.slice();
      for (const [at, input] of call.inputs) args[at] = holders[input];
      for (let i = 0; i < args.length; i++) {
        const v = args[i];
        if (!(v instanceof Float32Array) || v.buffer === host.buffer) continue;
        let copy = copies.get(v);
        if (copy === undefined) {
          copy = hold(v.length);
          if (copy === undefined) return undefined;
          copy.set(v);
          copies.set(v, copy);
        }
        args[i] = copy;
      }
      const recorded = host.record(call.kernel, args);
      if (recorded === undefined) steps.push({ call, args: call.args.slice() });
      else if (recorded.length > 0) {
        const last = steps[steps.length - 1];
        if (last !== undefined && "start" in last) steps[steps.length - 1] = { start: last.start, count: last.count + recorded.length };
        else steps.push({ start: moduleCalls.length, count: recorded.length });
        moduleCalls.push(...recorded);
      }
    }
    if (moduleCalls.length === 0) return undefined;
    const block = hold(moduleCalls.length * RECORD_WORDS);
    if (block === undefined) return undefined;
    const ints = new Int32Array(block.buffer, block.byteOffset, block.length);
    const patches = writeRecords(moduleCalls, ints, block, holders.map((h) => [h.byteOffset, h.byteOffset + h.length * 4] as const));
    // The holders only stood for the inputs while recording; the copies and the records stay with the program.
    const kept = owned.splice(0).filter((a) => !holders.includes(a));
    for (const h of holders) host.release(h);
    const lengths = [...inputLengths];
    return {
      run(inputs) {
        for (let i = 0; i < lengths.length; i++) {
          const d = inputs[i].data;
          if (!(d instanceof Float32Array) || d.buffer !== host.buffer || d.length !== lengths[i]) return false;
        }
        for (let i = 0; i < patches.length; i++) ints[patches[i].word] = inputs[patches[i].input].data.byteOffset + patches[i].delta;
        for (let s = 0; s < steps.length; s++) {
          const step = steps[s];
          if ("start" in step) host.run(block.byteOffset + step.start * RECORD_WORDS * 4, step.count);
          else {
            for (const [at, input] of step.call.inputs) step.args[at] = inputs[input].data;
            host.call(step.call.kernel, step.args);
          }
        }
        return true;
      },
      release() {
        for (const a of kept.splice(0)) host.release(a);
      },
    };
  } finally {
    for (const a of owned.splice(0)) host.release(a); // what was held for a program that was not made
  }
}

/**
 * A cost written by a learner as a short expression over the network's output `a`, the one-hot target `y`
 * and the batch size `n`, e.g. `sum((a - y)^2) / (2*n)`, compiled to a function of tsgrad ops (so the tape
 * derives its gradient, as for the built-in costs). A small parser, not `eval`: only numbers, `a`, `y`, `n`,
 * + - * / ^, parentheses and the functions below can appear, and every mistake is one line naming its column.
 */
import { left, right, type Either } from "fp-ts/lib/Either.js";
import { abs, add, div, exp, log, maximum, mean, minimum, mul, neg, pow, relu, sigmoid, sqrt, square, sub, sum, tanh, Tensor, shapeString, valueAndGrad, tensor } from "../core/index.ts";
import type { Cost } from "../nn/index.ts";

type Value = Tensor | number;
type Node =
  | { readonly kind: "number"; readonly value: number }
  | { readonly kind: "name"; readonly name: "a" | "y" | "n" }
  | { readonly kind: "neg"; readonly arg: Node }
  | { readonly kind: "binary"; readonly op: "+" | "-" | "*" | "/" | "^"; readonly left: Node; readonly right: Node }
  | { readonly kind: "call"; readonly fn: string; readonly args: readonly Node[]; readonly column: number };

const unary: Record<string, [(x: Tensor) => Tensor, (x: number) => number]> = {
  abs: [abs, Math.abs], sqrt: [sqrt, Math.sqrt], exp: [exp, Math.exp], log: [log, Math.log], square: [square, (x) => x * x],
  sigmoid: [sigmoid, (x) => 1 / (1 + Math.exp(-x))], tanh: [tanh, Math.tanh], relu: [relu, (x) => Math.max(x, 0)],
};
const binary: Record<string, [(x: Value, y: Value) => Tensor, (x: number, y: number) => number]> = {
  maximum: [maximum, Math.max], minimum: [minimum, Math.min], pow: [pow, Math.pow],
};
const reductions: Record<string, typeof sum> = { sum, mean };
/** The functions an expression may call, for the error that names them. */
export const costFunctions = [...Object.keys(reductions), ...Object.keys(unary), ...Object.keys(binary)] as const;

class SyntaxProblem extends Error {}

function tokens(text: string): { readonly text: string; readonly column: number }[] {
  const out: { text: string; column: number }[] = [];
  const re = /\s*(?:(\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)|([A-Za-z_]\w*)|(\S))/gy;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null && m[0] !== "") {
    const tok = m[1] ?? m[2] ?? m[3];
    out.push({ text: tok, column: m.index + m[0].length - tok.length + 1 });
  }
  return out;
}

/** Parses with the usual precedence: ^ (right-associative) above unary minus above * / above + -. */
function parse(text: string): Node {
  const toks = tokens(text);
  let i = 0;
  const peek = () => toks[i]?.text;
  const where = () => (i < toks.length ? `"${toks[i].text}" at column ${toks[i].column}` : "the end");
  const expect = (t: string) => {
    if (peek() !== t) throw new SyntaxProblem(`expected "${t}" but found ${where()}`);
    i++;
  };
  const expr = (): Node => {
    let node = term();
    while (peek() === "+" || peek() === "-") {
      const op = toks[i++].text as "+" | "-";
      node = { kind: "binary", op, left: node, right: term() };
    }
    return node;
  };
  const term = (): Node => {
    let node = signed();
    while (peek() === "*" || peek() === "/") {
      const op = toks[i++].text as "*" | "/";
      node = { kind: "binary", op, left: node, right: signed() };
    }
    return node;
  };
  const signed = (): Node => {
    if (peek() === "-") {
      i++;
      return { kind: "neg", arg: signed() };
    }
    if (peek() === "+") i++;
    return power();
  };
  const power = (): Node => {
    const base = primary();
    if (peek() !== "^") return base;
    i++;
    return { kind: "binary", op: "^", left: base, right: signed() };
  };
  const primary = (): Node => {
    const tok = toks[i];
    if (tok === undefined) throw new SyntaxProblem("the expression ends too soon");
    if (/^[\d.]/.test(tok.text)) {
      i++;
      return { kind: "number", value: Number(tok.text) };
    }
    if (tok.text === "(") {
      i++;
      const inner = expr();
      expect(")");
      return inner;
    }
    if (/^[A-Za-z_]/.test(tok.text)) {
      i++;
      if (tok.text === "a" || tok.text === "y" || tok.text === "n") return { kind: "name", name: tok.text };
      if (!(costFunctions as readonly string[]).includes(tok.text)) {
        throw new SyntaxProblem(`unknown name "${tok.text}" at column ${tok.column}: use a, y, n, numbers and ${costFunctions.join(", ")}`);
      }
      expect("(");
      const args = [expr()];
      while (peek() === ",") {
        i++;
        args.push(expr());
      }
      expect(")");
      return { kind: "call", fn: tok.text, args, column: tok.column };
    }
    throw new SyntaxProblem(`unexpected ${where()}`);
  };
  if (toks.length === 0) throw new SyntaxProblem("the expression is empty");
  const node = expr();
  if (i < toks.length) throw new SyntaxProblem(`unexpected ${where()}`);
  return node;
}

function arity(node: Extract<Node, { kind: "call" }>, min: number, max: number): void {
  if (node.args.length < min || node.args.length > max) {
    const want = min === max ? `${min}` : `${min} or ${max}`;
    throw new SyntaxProblem(`${node.fn} at column ${node.column} takes ${want} argument${max === 1 ? "" : "s"}, got ${node.args.length}`);
  }
}

function evaluateNode(node: Node, a: Tensor, y: Tensor): Value {
  const at = (n: Node) => evaluateNode(n, a, y);
  switch (node.kind) {
    case "number": return node.value;
    case "name": return node.name === "a" ? a : node.name === "y" ? y : a.shape[0];
    case "neg": {
      const v = at(node.arg);
      return typeof v === "number" ? -v : neg(v);
    }
    case "binary": {
      const l = at(node.left), r = at(node.right);
      if (typeof l === "number" && typeof r === "number") {
        return node.op === "+" ? l + r : node.op === "-" ? l - r : node.op === "*" ? l * r : node.op === "/" ? l / r : l ** r;
      }
      return (node.op === "+" ? add : node.op === "-" ? sub : node.op === "*" ? mul : node.op === "/" ? div : pow)(l, r);
    }
    case "call": {
      if (node.fn in reductions) {
        arity(node, 1, 2);
        const x = at(node.args[0]);
        const axisNode = node.args[1];
        if (axisNode !== undefined && (axisNode.kind !== "number" || !Number.isInteger(axisNode.value))) {
          throw new SyntaxProblem(`${node.fn} at column ${node.column}: its second argument is an axis, a whole number (0: over the batch, 1: over the classes)`);
        }
        if (typeof x === "number") throw new SyntaxProblem(`${node.fn} at column ${node.column} is given a number; it sums or averages a tensor (an expression with a or y)`);
        return reductions[node.fn](x, axisNode?.value);
      }
      if (node.fn in unary) {
        arity(node, 1, 1);
        const x = at(node.args[0]);
        const [op, num] = unary[node.fn];
        return typeof x === "number" ? num(x) : op(x);
      }
      arity(node, 2, 2);
      const x = at(node.args[0]), z = at(node.args[1]);
      const [op, num] = binary[node.fn];
      return typeof x === "number" && typeof z === "number" ? num(x, z) : op(x, z);
    }
  }
}

/**
 * Compiles an expression into a cost, and tries it on a small batch first (its value and gradient), so a
 * shape mistake (a cost that is not one number) or a cost that gives NaN is an error now, not mid-training.
 */
export function compileCost(text: string, classes = 10): Either<Error, Cost> {
  let ast: Node;
  try {
    ast = parse(text);
  } catch (e) {
    return left(new Error(`cost: ${e instanceof SyntaxProblem ? e.message : String(e)}`));
  }
  const cost: Cost = (a, y) => {
    const v = evaluateNode(ast, a, y);
    if (typeof v === "number") throw new SyntaxProblem("the expression does not depend on a (the network's output), so it cannot teach the network anything");
    if (v.size !== 1) throw new SyntaxProblem(`the cost must be one number, but this expression gives shape ${shapeString(v.shape)}: wrap it in sum(...) or mean(...)`);
    return v.rank === 0 ? v : sum(v);
  };
  try {
    // Outputs inside (0, 1) as a sigmoid or softmax gives them, targets one-hot: what training will pass.
    const a = tensor(Array.from({ length: 2 }, (_, r) => Array.from({ length: classes }, (_, c) => 0.1 + (0.8 * ((r * classes + c) % 7)) / 7)));
    const y = tensor(Array.from({ length: 2 }, (_, r) => Array.from({ length: classes }, (_, c) => (c === r + 1 ? 1 : 0))));
    const [value, g] = valueAndGrad((out: Tensor) => cost(out, y))(a);
    const bad = !Number.isFinite(value.item()) ? "its value" : Array.from(g.data).some((x) => !Number.isFinite(x)) ? "its gradient" : undefined;
    if (bad !== undefined) return left(new Error(`cost: ${bad} is not a finite number on a sample batch (a log or a division by zero?)`));
  } catch (e) {
    return left(new Error(`cost: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`));
  }
  return right(cost);
}

/** What a value is, for an error message ("the string \"3\"", "an array", "a Float32Array", "undefined"). */
export function describeValue(x: unknown): string {
  if (x === null) return "null";
  if (Array.isArray(x)) return "an array";
  if (typeof x === "object") return article((x as object).constructor?.name ?? "object");
  if (typeof x === "number" || typeof x === "boolean") return `the ${typeof x} ${String(x)}`;
  if (typeof x === "string") return `the string ${JSON.stringify(x)}`;
  return typeof x === "undefined" ? "undefined" : article(typeof x);
}

const article = (name: string) => `${/^[aeiouAEIOU]/.test(name) ? "an" : "a"} ${name}`;

/**
 * An Error for the Left of an Either: its message is an own, enumerable property, so a Left printed as JSON
 * (`JSON.stringify(decodeSpec(bad))`) shows it instead of `{}`.
 */
export function readableError(message: string): Error {
  const e = new Error(message);
  Object.defineProperty(e, "message", { value: message, enumerable: true, writable: true, configurable: true });
  return e;
}

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

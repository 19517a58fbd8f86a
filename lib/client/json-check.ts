/**
 * client/json-check.ts — refuse metadata that JSON cannot carry, naming where it is, before sending.
 *
 * `JSON.stringify` does not fail on most of what it cannot represent: NaN and Infinity become
 * null, `undefined` and functions vanish from objects (and become null in arrays), a Map or a Set
 * becomes `{}`, a Date becomes a string. tiled stores what arrives (the contract: NaN/Infinity in a
 * body are accepted and stored as null), so the metadata on the server would silently differ from
 * what the caller wrote. Only BigInt and cycles make JSON.stringify throw, and then without saying
 * where. This walks the value first and names the key path of the first problem.
 *
 * @example
 * checkJson({ sample: { temperature: NaN } }, "metadata");
 * // TiledError bad-input: metadata.sample.temperature is NaN, which JSON cannot carry …
 */
import { badInput } from "../errors.js";

/** `a.b[2].c` from path segments (keys that are not identifiers are quoted). */
function showPath(root: string, path: readonly (string | number)[]): string {
  return path.reduce<string>((out, p) => (typeof p === "number" ? `${out}[${p}]` : /^[A-Za-z_$][\w$]*$/.test(p) ? `${out}.${p}` : `${out}[${JSON.stringify(p)}]`), root);
}

/**
 * Throw bad-input unless `value` is plain JSON: null, booleans, finite numbers, strings, arrays
 * (without holes) and plain objects of those, with no cycle. `what` names the value in the
 * message ("metadata").
 */
export function checkJson(value: unknown, what: string): void {
  const seen = new Set<object>();
  const visit = (v: unknown, path: (string | number)[]): void => {
    const where = showPath(what, path);
    const refuse = (why: string, instead: string) => {
      throw badInput(`${where} is ${why}, which JSON cannot carry (the server would store something else). ${instead}`);
    };
    if (v === null || typeof v === "boolean" || typeof v === "string") return;
    if (typeof v === "number") {
      if (Number.isNaN(v)) refuse("NaN", "Use null for a missing value, or a string such as \"NaN\".");
      if (!Number.isFinite(v)) refuse(String(v), "Use null, a string such as \"inf\", or a large finite number.");
      return;
    }
    if (typeof v === "bigint") refuse(`a BigInt (${v}n)`, "Use Number(x) when it fits in 2^53, or a string.");
    if (v === undefined) refuse("undefined", "Leave the key out, or use null.");
    if (typeof v === "function") refuse("a function", "Store data, not code.");
    if (typeof v === "symbol") refuse("a symbol", "Use a string.");
    const obj = v as object;
    if (seen.has(obj)) refuse("a reference back to one of its own containers (a cycle)", "Copy the part you mean to store.");
    if (Array.isArray(obj)) {
      seen.add(obj);
      for (let i = 0; i < obj.length; i++) {
        if (!(i in obj)) refuse(`an empty slot of a sparse array (index ${i})`, "Fill it, e.g. with null.");
        visit(obj[i], [...path, i]);
      }
      seen.delete(obj);
      return;
    }
    const proto = Object.getPrototypeOf(obj) as unknown;
    if (proto !== Object.prototype && proto !== null) {
      const name = (obj as { constructor?: { name?: string } }).constructor?.name ?? "object";
      const instead = obj instanceof Date ? "Use date.toISOString() or a number of seconds." : ArrayBuffer.isView(obj) ? "Use Array.from(values)." : "Use a plain object or array.";
      refuse(`a ${name}`, instead);
    }
    seen.add(obj);
    for (const [key, child] of Object.entries(obj)) visit(child, [...path, key]);
    seen.delete(obj);
  };
  visit(value, []);
}

/** Throw bad-input unless `value` is a plain JSON object (metadata must be one), checked deeply. */
export function checkJsonObject(value: unknown, what: string): Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw badInput(`${what} must be a JSON object ({…}), not ${Array.isArray(value) ? "an array" : value === null ? "null" : typeof value}.`);
  }
  checkJson(value, what);
  return value as Record<string, unknown>;
}

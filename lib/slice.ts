/**
 * slice.ts — numpy-style slices in JavaScript, and their wire syntax (`slice=0:5,::2`).
 *
 * `paramsFromSlice` mirrors tiled's `params_from_slice`: it writes what you give it. Before a read,
 * `normalizeSlice` checks the selection against the array's shape — an index or a bound outside
 * the axis is an error here, before anything is sent (stricter than numpy, which clamps slice
 * bounds) — and resolves negatives, so the server always receives explicit `start:stop[:step]`.
 * Negative steps are not supported: read forwards and reverse.
 *
 * @example
 * paramsFromSlice([slice(0, 5), slice(null, null, 2)]);   // { slice: "0:5,::2" }
 * paramsFromSlice("0:5,::2");                              // the same, parsed from text
 * const axes = normalizeSlice([-1, slice(0, 2)], [10, 4, 6]);
 * sliceToString(axes);  // "9,0:2,0:6"        resultShape(axes)  // [2, 6]
 */
import { badInput } from "./errors.js";

/** One axis's slice; null or undefined bounds mean "from the start" / "to the end". */
export interface Slice {
  start?: number | null;
  stop?: number | null;
  step?: number | null;
}

/** What one axis can be given as: an integer index, a Slice, or "..." (all remaining axes). */
export type Index = number | Slice | "...";

/** A whole selection: one index, a list of them, or numpy text ("0:5,::2", "3", "...,0"). */
export type SliceSpec = Index | readonly Index[] | string;

/** `slice(start, stop, step)`, like Python's builtin. */
export function slice(start?: number | null, stop?: number | null, step?: number | null): Slice {
  return { start: start ?? null, stop: stop ?? null, step: step ?? null };
}

function checkInt(value: number | null | undefined, what: string): number | null {
  if (value === null || value === undefined) return null;
  if (!Number.isInteger(value)) throw badInput(`Slice ${what} ${JSON.stringify(value)} is not an integer.`);
  return value;
}

/** Parse numpy text: "0:5,::2", "3", "...", ":" (parentheses and spaces ignored). */
export function parseSlice(text: string): Index[] {
  const stripped = text.replace(/[\s()[\]]/g, "");
  if (stripped === "") return [];
  return stripped.split(",").map((part) => {
    if (part === "...") return "...";
    const toInt = (s: string | undefined): number | null => {
      if (s === undefined || s === "") return null;
      if (!/^-?\d+$/.test(s)) throw badInput(`Cannot parse slice ${JSON.stringify(text)}: ${JSON.stringify(part)} is not start:stop:step.`);
      return Number(s);
    };
    const pieces = part.split(":");
    if (pieces.length === 1) {
      const index = toInt(pieces[0]);
      if (index === null) throw badInput(`Cannot parse slice ${JSON.stringify(text)}: empty index.`);
      return index;
    }
    if (pieces.length > 3) throw badInput(`Cannot parse slice ${JSON.stringify(text)}: ${JSON.stringify(part)} has too many colons.`);
    return slice(toInt(pieces[0]), toInt(pieces[1]), toInt(pieces[2]));
  });
}

function asList(spec: SliceSpec): Index[] {
  if (typeof spec === "string") return spec === "..." ? ["..."] : parseSlice(spec);
  if (Array.isArray(spec)) return [...(spec as readonly Index[])];
  return [spec as Index];
}

function indexToString(index: Index): string {
  if (index === "...") return "...";
  if (typeof index === "number") return String(checkInt(index, "index"));
  const start = checkInt(index.start, "start");
  const stop = checkInt(index.stop, "stop");
  const step = checkInt(index.step, "step");
  return `${start ?? ""}:${stop ?? ""}${step !== null && step !== 1 ? `:${step}` : ""}`;
}

/** The `slice` query parameter for a selection, as tiled's `params_from_slice` builds it (no shape check). */
export function paramsFromSlice(spec: SliceSpec | undefined | null): { slice?: string } {
  if (spec === undefined || spec === null) return {};
  const list = asList(spec);
  if (list.length === 0) return {};
  return { slice: list.map(indexToString).join(",") };
}

/** One axis after normalisation against the shape: explicit start, stop, step, element count. */
export interface Axis {
  start: number;
  stop: number;
  step: number;
  count: number;
  /** An integer index: the axis is dropped from the result's shape. */
  index: boolean;
}

/**
 * Check a selection against `shape` and resolve it to explicit axes. Throws bad-input for an
 * index or bound outside its axis, a zero or negative step, a non-integer, or too many indices.
 */
export function normalizeSlice(spec: SliceSpec | undefined | null, shape: readonly number[]): Axis[] {
  const list = spec === undefined || spec === null ? [] : asList(spec);
  const given = list.filter((i) => i !== "...").length;
  const ellipses = list.filter((i) => i === "...").length;
  if (ellipses > 1) throw badInput(`Slice ${describe(list)}: at most one "..." is allowed.`);
  if (given > shape.length) {
    throw badInput(`Slice ${describe(list)} has ${given} indices but the array has ${shape.length} dimension${shape.length === 1 ? "" : "s"} (shape [${shape.join(", ")}]).`);
  }
  const full: Index[] = [];
  for (const item of list) {
    if (item === "...") for (let k = 0; k < shape.length - given; k++) full.push(slice());
    else full.push(item);
  }
  while (full.length < shape.length) full.push(slice());
  return full.map((item, axis) => {
    const n = shape[axis];
    const where = `axis ${axis} of length ${n} (shape [${shape.join(", ")}])`;
    if (typeof item === "number") {
      const i = checkInt(item, "index") as number;
      if (i < -n || i >= n) throw badInput(`Index ${i} is out of range for ${where}.`);
      const start = i < 0 ? i + n : i;
      return { start, stop: start + 1, step: 1, count: 1, index: true };
    }
    const s = item as Slice;
    const step = checkInt(s.step, "step") ?? 1;
    if (step === 0) throw badInput(`Slice step 0 on ${where}: the step must be positive.`);
    if (step < 0) throw badInput(`Slice step ${step} on ${where}: negative steps are not supported; read forwards and reverse.`);
    const resolve = (value: number | null, fallback: number, what: string): number => {
      if (value === null) return fallback;
      if (value < -n || value > n) throw badInput(`Slice ${what} ${value} is out of range for ${where}.`);
      return value < 0 ? value + n : value;
    };
    const start = resolve(checkInt(s.start, "start"), 0, "start");
    const stop = resolve(checkInt(s.stop, "stop"), n, "stop");
    const count = stop > start ? Math.ceil((stop - start) / step) : 0;
    return { start, stop: Math.max(start, stop), step, count, index: false };
  });
}

function describe(list: readonly Index[]): string {
  return JSON.stringify(list.map(indexToString).join(","));
}

/** The shape of the result: counts of the non-index axes. */
export function resultShape(axes: readonly Axis[]): number[] {
  return axes.filter((a) => !a.index).map((a) => a.count);
}

/** Explicit wire text for normalised axes: "9,0:2,0:6:2". */
export function sliceToString(axes: readonly Axis[]): string {
  return axes.map((a) => (a.index ? String(a.start) : `${a.start}:${a.stop}${a.step !== 1 ? `:${a.step}` : ""}`)).join(",");
}

/** True when the axes select the whole array (no slice parameter needed). */
export function isWholeArray(axes: readonly Axis[], shape: readonly number[]): boolean {
  return axes.every((a, i) => !a.index && a.start === 0 && a.step === 1 && a.stop === shape[i]);
}

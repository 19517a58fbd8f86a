/**
 * Send one rich output, with several MIME types, from a tslab notebook cell.
 *
 * tslab's public `display.raw()` sends a single MIME type as a string. A plot needs a bundle: the
 * plotly JSON (drawn by JupyterLab's plotly renderer, and by the project's HTML export) plus a
 * text/plain line for consoles and diffs. tslab keeps the kernel's display writer in
 * `tslab/dist/jupyter`; this module calls it. Outside a kernel (tests, scripts) the text/plain
 * part is printed instead, so nothing is silently lost.
 *
 * A display can also be updated in place (`displayUpdatable`): Jupyter's display_id, so a
 * progress bar is one output that changes, not a new line per step.
 *
 * @example
 * import { displayBundle } from "./lib/notebook/display.js";
 * displayBundle({ "text/html": "<b>hi</b>", "text/plain": "hi" });
 * const bar = displayUpdatable({ "text/plain": "0 %" });
 * bar.update({ "text/plain": "50 %" });
 */

import { createRequire } from "node:module";

/** MIME type → payload. JSON MIME types take an object; the others a string. */
export type MimeBundle = Record<string, unknown> & { "text/plain": string };

/** A Jupyter display message, as tslab's writer takes it (`transient.display_id` names an output to update). */
export interface DisplayMessage {
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  transient: Record<string, unknown>;
}
/** tslab's display writer: sends display_data, or update_display_data when `update`. */
export type DisplayWriter = (message: DisplayMessage, update: boolean) => void;

/**
 * Node's module cache, shared by every require() in the process (the kernel's included); which
 * file the require is created for does not matter, so this works from ESM and CommonJS alike.
 */
const moduleCache = createRequire(`${process.cwd()}/`).cache;

/**
 * The running tslab kernel's display writer, or null outside a kernel. It is found among the
 * modules the process has loaded, not by resolving "tslab" from here: the kernel may run a tslab
 * installed anywhere (a global install, another project's), and only its own instance writes to
 * the cell.
 */
export function kernelWriter(): DisplayWriter | null {
  const key = Object.keys(moduleCache).find((name) => /[\\/]tslab[\\/]dist[\\/]jupyter\.js$/.test(name));
  const jupyter = key === undefined ? undefined : (moduleCache[key]?.exports as { lastWriteDisplayData?: DisplayWriter | null } | undefined);
  return jupyter?.lastWriteDisplayData ?? null;
}

/** Display a MIME bundle in the current cell's output (or print its text/plain outside Jupyter). */
export function displayBundle(bundle: MimeBundle): void {
  const write = kernelWriter();
  if (write === null) {
    console.log(bundle["text/plain"]);
    return;
  }
  write({ data: bundle, metadata: {}, transient: {} }, false);
}

/** Display an HTML fragment, with a plain-text twin for consoles and text exports. */
export function displayHtml(html: string, text: string): void {
  displayBundle({ "text/html": html, "text/plain": text });
}

/** One output that can be replaced in place (a progress bar). */
export interface UpdatableDisplay {
  /** True when a kernel shows it (outside one, updates print nothing: a log would fill up). */
  readonly live: boolean;
  update(bundle: MimeBundle): void;
}

let displayCounter = 0;

/**
 * Display a bundle under a fresh display_id and return a handle that replaces it in place
 * (Jupyter's update_display_data). Outside a kernel, the first bundle's text is printed and
 * updates are ignored: the caller decides what a terminal should see.
 */
export function displayUpdatable(bundle: MimeBundle): UpdatableDisplay {
  const write = kernelWriter();
  if (write === null) {
    console.log(bundle["text/plain"]);
    return { live: false, update: () => undefined };
  }
  const transient = { display_id: `tiled-${process.pid}-${Date.now()}-${++displayCounter}` };
  write({ data: bundle, metadata: {}, transient }, false);
  return { live: true, update: (next) => write({ data: next, metadata: {}, transient }, true) };
}

/** True inside a tslab kernel (rich output goes to a cell). */
export function inKernel(): boolean {
  return kernelWriter() !== null;
}

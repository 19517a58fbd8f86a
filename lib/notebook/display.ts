/**
 * Send one rich output, with several MIME types, from a tslab notebook cell.
 *
 * tslab's public `display.raw()` sends a single MIME type as a string. A plot needs a bundle: the
 * plotly JSON (drawn by JupyterLab's plotly renderer, and by the project's HTML export) plus a
 * text/plain line for consoles and diffs. tslab keeps the kernel's display writer in
 * `tslab/dist/jupyter`; this module calls it. Outside a kernel (tests, scripts) the text/plain
 * part is printed instead, so nothing is silently lost.
 *
 * @example
 * import { displayBundle } from "./lib/notebook/display";
 * displayBundle({ "text/html": "<b>hi</b>", "text/plain": "hi" });
 */

/** MIME type → payload. JSON MIME types take an object; the others a string. */
export type MimeBundle = Record<string, unknown> & { "text/plain": string };

interface DisplayMessage {
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  transient: Record<string, unknown>;
}
type DisplayWriter = (message: DisplayMessage, update: boolean) => void;

function kernelWriter(): DisplayWriter | null {
  try {
    // The kernel process loaded this very module file, so require() returns its live instance.
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const jupyter = require("tslab/dist/jupyter") as { lastWriteDisplayData: DisplayWriter | null };
    return jupyter.lastWriteDisplayData;
  } catch {
    return null; // not running under tslab (vitest runs ESM, where require is absent)
  }
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

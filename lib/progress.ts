/**
 * progress.ts — a progress bar for long transfers: one output updated in place in a notebook, one
 * stderr line rewritten on a terminal, nothing elsewhere (a log or a test run is not flooded).
 *
 * Shown only for large transfers (at least `PROGRESS_MIN_BYTES` expected, or of unknown size once
 * that many bytes have arrived), and redrawn at most every 200 ms: a bar on a 2 KB CSV would only
 * flash. The caller's own `onProgress` is called for every step regardless.
 *
 * @example
 * const bar = progressBar("export /arrays/big → big.bin", 1_000_000_000, options.onProgress);
 * bar.step(4096);       // bytes received so far
 * bar.done();           // the final state (100 %), or bar.fail() to leave it as it stopped
 */
import { displayUpdatable, inKernel } from "./notebook/display.js";
import type { UpdatableDisplay } from "./notebook/display.js";

/** Transfers smaller than this show no bar (16 MiB). */
export const PROGRESS_MIN_BYTES = 16 * 1024 * 1024;

export type ProgressCallback = (bytes: number, total: number | undefined) => void;

export interface ProgressBar {
  /** Bytes done so far (absolute, not an increment); a new total when it became known. */
  step(bytes: number, total?: number): void;
  done(): void;
  fail(): void;
}

/** "1.2 GB", "340 MB", "12 kB". */
export function formatBytes(n: number): string {
  const units = ["B", "kB", "MB", "GB", "TB"];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0)} ${units[i]}`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c] ?? c);
}

/** Where a bar is drawn: a notebook display, a terminal's stderr, or nowhere. */
type Surface = "kernel" | "terminal" | "none";

function surface(): Surface {
  if (inKernel()) return "kernel";
  return process.stderr.isTTY ? "terminal" : "none";
}

/** A bar for a transfer of `total` bytes (undefined: unknown), forwarding every step to `onProgress`. */
export function progressBar(label: string, total: number | undefined, onProgress?: ProgressCallback, show: boolean | "auto" = "auto"): ProgressBar {
  const where = show === false ? "none" : surface();
  const started = Date.now();
  let known = total;
  let bytes = 0;
  let lastDraw = 0;
  let display: UpdatableDisplay | undefined;
  let drawn = false;

  const text = (state: string) => {
    const pct = known ? ` ${Math.min(100, Math.floor((100 * bytes) / known))} %` : "";
    const seconds = (Date.now() - started) / 1000;
    const rate = seconds > 0 ? `, ${formatBytes(bytes / seconds)}/s` : "";
    return `${label}: ${formatBytes(bytes)}${known ? ` of ${formatBytes(known)}` : ""}${pct}${rate}${state}`;
  };
  const html = (state: string) =>
    `<div style="font-family:monospace">${known ? `<progress value="${bytes}" max="${known}" style="width:24em"></progress> ` : ""}${escapeHtml(text(state))}</div>`;
  const large = () => show === true || (known ?? bytes) >= PROGRESS_MIN_BYTES;

  const draw = (state: string, final: boolean) => {
    if (where === "none" || !large()) return;
    const now = Date.now();
    if (!final && now - lastDraw < 200) return;
    lastDraw = now;
    drawn = true;
    if (where === "kernel") {
      const bundle = { "text/html": html(state), "text/plain": text(state) };
      if (display === undefined) display = displayUpdatable(bundle);
      else display.update(bundle);
    } else {
      process.stderr.write(`\r${text(state)}\u001b[K${final ? "\n" : ""}`);
    }
  };

  return {
    step(n, t) {
      bytes = n;
      if (t !== undefined) known = t;
      onProgress?.(bytes, known);
      draw("", false);
    },
    done() {
      if (known === undefined) known = bytes;
      draw(" — done", true);
    },
    fail() {
      if (drawn) draw(" — stopped", true);
    },
  };
}

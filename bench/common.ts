/**
 * common.ts — what every bench driver shares: argument parsing and the one JSON line a driver
 * prints on stdout for bench.py to collect (elapsed seconds, bytes, peak RSS, extra fields).
 *
 * @example
 * const args = parseArgs(process.argv.slice(2));      // --path big/stack --mode items
 * const timer = startTimer();
 * ... the timed work ...
 * emit({ ...timer.stop(), bytes });                  // seconds (wall) and cpuSeconds (this process)
 */
import { readFileSync } from "node:fs";

export interface DriverResult {
  /** Wall time of the timed section only (no process start-up, no module loading). */
  seconds: number;
  /** Bytes of data the driver ended up holding (array or table payload), or 0. */
  bytes: number;
  /** Anything else worth reporting (counts, phases, dtype…). */
  [extra: string]: unknown;
}

/** Wall time and this process's CPU time (user + system, all threads) since the start. */
export function startTimer(): { stop(): { seconds: number; cpuSeconds: number } } {
  const wall0 = performance.now();
  const cpu0 = process.cpuUsage();
  return {
    stop() {
      const seconds = (performance.now() - wall0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      return { seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
    },
  };
}

/** `--key value` pairs (and bare `--flag`) into a record. */
export function parseArgs(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith("--")) throw new Error(`unexpected argument ${JSON.stringify(arg)}`);
    const next = argv[i + 1];
    if (next === undefined || next.startsWith("--")) {
      out[arg.slice(2)] = "true";
    } else {
      out[arg.slice(2)] = next;
      i++;
    }
  }
  return out;
}

export function requireArg(args: Record<string, string>, name: string): string {
  const value = args[name];
  if (value === undefined) throw new Error(`missing --${name}`);
  return value;
}

/**
 * Peak resident set size of this process so far, in bytes: VmHWM from /proc/self/status, the peak of
 * this process's own memory. getrusage's maxRSS is not that on Linux: a process started by a larger
 * one (the bench's Python) begins with its parent's peak, so an idle node read 83-157 MB instead of 43.
 */
export function maxRssBytes(): number {
  try {
    const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync("/proc/self/status", "utf8"));
    if (hwm) return Number(hwm[1]) * 1024;
  } catch {
    // not Linux: fall back to getrusage
  }
  return process.resourceUsage().maxRSS * 1024;
}

/** Print the result as the last stdout line, with the process's peak RSS added. */
export function emit(result: DriverResult): void {
  process.stdout.write(`${JSON.stringify({ ...result, maxRssBytes: maxRssBytes() })}\n`);
}

/** Run a driver's main, turning any failure into a message and exit code 1. */
export function runMain(main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
    process.stderr.write(`${message}\n`);
    process.exit(1);
  });
}

/**
 * file-output.ts — write a download to disk so that only a complete one ever has its name.
 *
 * An export or a raw file is streamed into a hidden temporary file beside its destination
 * (`.<name>.tiled-part-<pid>-<random>`, same folder, so the final rename is atomic) and renamed
 * only when every byte has arrived and been flushed. A failure, a cancel or a full disk removes the
 * temporary file; a process killed mid-way leaves only that hidden, differently named file. An
 * existing destination is kept unless `overwrite` (and, without it, a file that appears while the
 * download runs is not clobbered either: the final step is a hard link, which fails if the name
 * exists). The folder is checked before any request: it must exist, be a folder, and take a new
 * file (checked by creating the temporary file, since permission bits say nothing for root or on
 * read-only mounts).
 *
 * @example
 * const out = openOutput("/tmp/exports/frame.tiff", { overwrite: false });   // throws bad-input if it cannot be written
 * try { for await (const chunk of body) await out.write(chunk); await out.commit(); }
 * catch (err) { await out.abort(); throw err; }
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import { TiledError, badInput } from "./errors.js";

export interface OutputOptions {
  /** Replace an existing file at the destination. Default false. */
  overwrite?: boolean;
}

/** A download being written: `write` chunks in order, then `commit` (rename into place) or `abort`. */
export interface OutputFile {
  /** The final path. */
  readonly path: string;
  /** Bytes written so far. */
  readonly bytes: number;
  write(chunk: Uint8Array): Promise<void>;
  /** Flush, close, and give the file its name. */
  commit(): Promise<void>;
  /** Close and remove the temporary file (safe to call twice, or after a failed write). */
  abort(): Promise<void>;
}

/** How a failed file operation is reported: what happened, where, and what to do. */
function fileError(action: string, target: string, err: unknown): TiledError {
  const code = (err as { code?: unknown } | null)?.code;
  const advice =
    code === "ENOSPC" || code === "EDQUOT"
      ? " The disk is full: free some space or export to another folder."
      : code === "EACCES" || code === "EPERM" || code === "EROFS"
        ? " The folder does not accept new files: choose a writable folder."
        : "";
  return new TiledError("bad-input", `Cannot ${action} ${target} (${typeof code === "string" ? code : (err as Error)?.message ?? String(err)}).${advice}`, { cause: err });
}

/**
 * Check that `dest` can be written (its folder exists and takes files; the file itself is absent
 * unless `overwrite`), without creating anything. Used before a request is sent.
 */
export function checkDestination(dest: string, options: OutputOptions = {}): string {
  const resolved = path.resolve(dest);
  const folder = path.dirname(resolved);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(folder);
  } catch (err) {
    if ((err as { code?: unknown }).code === "ENOENT") throw badInput(`The folder ${folder} does not exist: create it first (fs.mkdirSync(folder, { recursive: true })) or export elsewhere.`);
    throw fileError("use the folder", folder, err);
  }
  if (!stat.isDirectory()) throw badInput(`${folder} is not a folder, so ${path.basename(resolved)} cannot be written in it.`);
  const existing = fs.lstatSync(resolved, { throwIfNoEntry: false });
  if (existing?.isDirectory()) throw badInput(`${resolved} is a folder; give a file name to export to.`);
  if (existing && !options.overwrite) throw badInput(`${resolved} exists already: pass overwrite: true to replace it, or choose another name.`);
  return resolved;
}

/** Open the temporary file for `dest` (after checkDestination's checks); bad-input when the folder takes no file. */
export function openOutput(dest: string, options: OutputOptions = {}): OutputFile {
  const resolved = checkDestination(dest, options);
  const tmp = path.join(path.dirname(resolved), `.${path.basename(resolved)}.tiled-part-${process.pid}-${randomBytes(4).toString("hex")}`);
  let fd: number;
  try {
    fd = fs.openSync(tmp, "wx", 0o644);
  } catch (err) {
    throw fileError("create a file in", path.dirname(resolved), err);
  }
  return new AtomicFile(resolved, tmp, fd, options.overwrite === true);
}

/** Bytes gathered before one write to disk (see AtomicFile.write). */
const WRITE_BATCH_BYTES = 4 << 20;

class AtomicFile implements OutputFile {
  #bytes = 0;
  #pending = Buffer.allocUnsafe(WRITE_BATCH_BYTES);
  #pendingBytes = 0;
  #fd: number | undefined;
  #done = false;

  constructor(
    readonly path: string,
    readonly tmp: string,
    fd: number,
    readonly overwrite: boolean,
  ) {
    this.#fd = fd;
  }

  get bytes(): number {
    return this.#bytes;
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (this.#fd === undefined || this.#done) throw new TiledError("bad-input", `${this.path}: written after it was closed.`);
    this.#bytes += chunk.byteLength;
    // HTTP bodies arrive in ~64 KiB pieces; one write call each costs a syscall and a promise.
    // Gathered into 4 MiB writes, a 1 GB export spends 1.5x less time (bench case io).
    if (this.#pendingBytes + chunk.byteLength > WRITE_BATCH_BYTES) await this.#flush();
    if (chunk.byteLength >= WRITE_BATCH_BYTES) return this.#writeAll(chunk);
    this.#pending.set(chunk, this.#pendingBytes);
    this.#pendingBytes += chunk.byteLength;
  }

  async #flush(): Promise<void> {
    if (this.#pendingBytes === 0) return;
    const bytes = this.#pending.subarray(0, this.#pendingBytes);
    this.#pendingBytes = 0;
    await this.#writeAll(bytes);
  }

  async #writeAll(chunk: Uint8Array): Promise<void> {
    let at = 0;
    while (at < chunk.byteLength) {
      // fs.write may write less than asked (a full disk first shows as a short write, then ENOSPC).
      const fd = this.#fd;
      if (fd === undefined) throw new TiledError("bad-input", `${this.path}: written after it was closed.`);
      const written = await new Promise<number>((resolve, reject) => fs.write(fd, chunk, at, chunk.byteLength - at, null, (err, n) => (err ? reject(fileError("write", this.path, err)) : resolve(n))));
      at += written;
    }
  }

  async commit(): Promise<void> {
    if (this.#fd === undefined) throw new TiledError("bad-input", `${this.path}: committed twice, or after an abort.`);
    try {
      await this.#flush();
      fs.fsyncSync(this.#fd);
      fs.closeSync(this.#fd);
      this.#fd = undefined;
      if (this.overwrite) fs.renameSync(this.tmp, this.path);
      else {
        // link() fails with EEXIST when the name appeared meanwhile: never clobber without overwrite.
        fs.linkSync(this.tmp, this.path);
        fs.unlinkSync(this.tmp);
      }
      this.#done = true;
    } catch (err) {
      await this.abort();
      if ((err as { code?: unknown }).code === "EEXIST") throw badInput(`${this.path} appeared while it was being downloaded; kept it. Pass overwrite: true to replace it.`);
      throw err instanceof TiledError ? err : fileError("finish", this.path, err);
    }
  }

  async abort(): Promise<void> {
    if (this.#fd !== undefined) {
      try {
        fs.closeSync(this.#fd);
      } catch {
        /* already closed by a failed write: nothing to do */
      }
      this.#fd = undefined;
    }
    if (!this.#done) fs.rmSync(this.tmp, { force: true });
    this.#done = true;
  }
}

/** Run `fill` on a new output for `dest`; commit when it resolves, remove the temporary file when it throws. */
export async function writeOutput<T>(dest: string, options: OutputOptions, fill: (out: OutputFile) => Promise<T>, open: (dest: string, options: OutputOptions) => OutputFile = openOutput): Promise<T> {
  const out = open(dest, options);
  try {
    const result = await fill(out);
    await out.commit();
    return result;
  } catch (err) {
    await out.abort();
    throw err;
  }
}

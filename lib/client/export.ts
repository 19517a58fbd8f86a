/**
 * client/export.ts — `node.export(path, { format })`: a node written to a file in a format the
 * server produces (tiled's Python `export`), streamed to disk as it arrives.
 *
 * What the Python client does differently, and why: it holds the whole answer in memory, then
 * writes the file in place. Here every chunk goes to a temporary file beside the destination
 * (file-output.ts), renamed when complete: memory stays flat for a 300 MB CSV, and an interrupted
 * export leaves no file that looks complete. Before anything is sent: the format must be one the
 * node offers (formats.ts), the selection must fit the node (slice, columns, fields), and the
 * folder must exist and take files.
 *
 * tiled refuses any answer over 300 MB (400 "Response would exceed 300000000"). An array exported
 * as raw bytes or as CSV/text (ndim ≤ 2) is split here into slices along its first axes, each
 * under the limit, whose answers concatenate to exactly the whole (C order; numpy.savetxt writes
 * one line per row). Other formats (JSON, PNG, TIFF, …) cannot be joined: the server's refusal is
 * passed on with what to do (export a slice).
 *
 * @example
 * await image.export("/tmp/out/frame.tiff", { slice: [0, 0] });          // format from the extension
 * await table.export("/tmp/out/scan.csv", { columns: ["time", "I0"] });
 * await run.export("/tmp/out/run.jsonl", { format: "application/json-seq", overwrite: true });
 */
import { isTiledError, TiledError, badInput } from "../errors.js";
import { checkDestination, writeOutput } from "../file-output.js";
import type { OutputFile, OutputOptions } from "../file-output.js";
import { progressBar } from "../progress.js";
import type { ProgressCallback } from "../progress.js";
import { withParams } from "../urls.js";
import { parseWith } from "../parse.js";
import { ArrayStructure, TableStructure } from "../schemas/structures.js";
import { isWholeArray, normalizeSlice, resultShape, sliceToString } from "../slice.js";
import type { Axis, SliceSpec } from "../slice.js";
import type { RequestOptions } from "../http/types.js";
import type { Context } from "../context.js";
import type { NodeResource } from "../schemas/node.js";
import { planPieces } from "./pieces.js";
import { nodeFormats, resolveFormat } from "./formats.js";

/** What export needs of a node client (every BaseClient has it). */
export interface NodeRef {
  readonly context: Context;
  readonly item: NodeResource;
  readonly path: readonly string[];
}

export interface ExportOptions extends Omit<RequestOptions, "onProgress"> {
  /** A media type ("text/csv") or an extension ("csv"); default: the destination's extension. */
  format?: string;
  /** Replace an existing file. Default false: an existing file is an error. */
  overwrite?: boolean;
  /** Arrays: only this selection (numpy syntax, as ArrayClient.read). */
  slice?: SliceSpec;
  /** Tables: only these columns. */
  columns?: readonly string[];
  /** Containers: only these children. */
  fields?: readonly string[];
  /** Told the bytes written so far and the total when known. */
  onProgress?: ProgressCallback;
  /** A progress bar: "auto" (default) shows one in a notebook or on a terminal for large exports. */
  progress?: boolean | "auto";
}

export interface ExportResult {
  /** The file written (absolute). */
  path: string;
  /** The media type asked for. */
  format: string;
  bytes: number;
  /** How many requests it took (more than one when an array was split under the server's limit). */
  requests: number;
}

/** Formats whose answers for consecutive row ranges concatenate to the answer for the whole. */
const JOINABLE_ARRAY_FORMATS = new Set(["application/octet-stream", "text/csv", "text/x-comma-separated-values", "text/plain", "application/vnd.ms-excel"]);

/**
 * Bytes per element assumed when sizing CSV pieces: numpy writes a float64 with "%s" in at most
 * 24 characters plus a separator; 32 leaves room, so a piece's text stays under the limit.
 */
const CSV_BYTES_PER_ELEMENT = 32;

const product = (xs: readonly number[]) => xs.reduce((a, b) => a * b, 1);

/** The family's /full route, the query parameters, and (arrays) the pieces to ask for. */
interface Plan {
  urls: string[];
  /** Exact total bytes when known in advance (raw bytes of an array). */
  total?: number;
}

/** The node's formats (Python's `node.formats`). */
export async function formatsOf(node: NodeRef, options: RequestOptions = {}): Promise<string[]> {
  const about = await node.context.about(options);
  return nodeFormats(about, node.item.attributes.structure_family ?? null, node.item.attributes.specs ?? []);
}

function describe(node: NodeRef): string {
  return `/${node.path.join("/")}`;
}

function planArray(node: NodeRef, mediaType: string, options: ExportOptions, base: [string, string][]): Plan {
  const structure = parseWith(ArrayStructure, node.item.attributes.structure, node.context.apiUrl("metadata", node.path));
  const axes = normalizeSlice(options.slice, structure.shape);
  const shape = resultShape(axes);
  const url = (pieceAxes: readonly Axis[]) => {
    const params: [string, string][] = [...base];
    if (!isWholeArray(pieceAxes, structure.shape) && pieceAxes.length) params.push(["slice", sliceToString(pieceAxes)]);
    return withParams(node.context.apiUrl("array/full", node.path), params);
  };
  const itemsize = structure.data_type.itemsize;
  const raw = mediaType === "application/octet-stream";
  if (!JOINABLE_ARRAY_FORMATS.has(mediaType)) return { urls: [url(axes)] };
  if (raw && product(shape) === 0) return { urls: [], total: 0 }; // tiled answers 500 for an empty array; its bytes are none.
  const limit = node.context.config.responseBytesizeLimit;
  const perElement = raw ? itemsize : CSV_BYTES_PER_ELEMENT;
  const pieces = planPieces(axes, perElement, limit);
  if (!raw && pieces.length > 1) {
    // A CSV piece must hold whole rows: only the first axis may be split.
    const whole = (a: Axis, b: Axis) => a.start === b.start && a.count === b.count && a.step === b.step && a.index === b.index;
    if (pieces.some((p) => !p.axes.slice(1).every((a, i) => whole(a, axes[i + 1])))) {
      throw badInput(`One row of ${describe(node)} as ${mediaType} may exceed the server's ${limit}-byte answer limit, and a row cannot be split across requests. Export a slice of columns (slice: …) or the raw bytes (format: "application/octet-stream").`);
    }
  }
  return { urls: pieces.map((p) => url(p.axes)), total: raw ? product(shape) * itemsize : undefined };
}

function plan(node: NodeRef, mediaType: string, options: ExportOptions): Plan {
  const family = node.item.attributes.structure_family ?? null;
  const base: [string, string][] = [["format", mediaType]];
  if (options.slice !== undefined && family !== "array") throw badInput(`slice applies to arrays; ${describe(node)} is ${family ?? "a node of no family"}.`);
  if (options.columns !== undefined && family !== "table") throw badInput(`columns applies to tables; ${describe(node)} is ${family ?? "a node of no family"}.`);
  if (options.fields !== undefined && family !== "container" && family !== "composite") throw badInput(`fields applies to containers; ${describe(node)} is ${family ?? "a node of no family"}.`);
  switch (family) {
    case "array":
      return planArray(node, mediaType, options, base);
    case "table": {
      const structure = parseWith(TableStructure, node.item.attributes.structure, node.context.apiUrl("metadata", node.path));
      const unknown = (options.columns ?? []).filter((c) => !structure.columns.includes(c));
      if (unknown.length) throw badInput(`No column ${unknown.map((c) => JSON.stringify(c)).join(", ")} in ${describe(node)}; it has ${structure.columns.join(", ")}.`);
      const params = [...base, ...(options.columns ?? []).map((c): [string, string] => ["column", c])];
      return { urls: [withParams(node.context.apiUrl("table/full", node.path), params)] };
    }
    case "container":
    case "composite": {
      const params = [...base, ...(options.fields ?? []).map((f): [string, string] => ["field", f])];
      return { urls: [withParams(node.context.apiUrl("container/full", node.path), params)] };
    }
    default:
      throw badInput(`${describe(node)} is ${family ?? "a node of no family"}: this client exports arrays, tables and containers (runs included).`);
  }
}

/** A refusal the server explains badly, explained. */
function explain(err: unknown, node: NodeRef, mediaType: string): unknown {
  if (!isTiledError(err, "http")) return err;
  const detail = String(err.detail ?? "");
  if (err.status === 400 && /exceed/i.test(detail)) {
    return new TiledError("too-large", `${err.message}\n  tiled refuses answers over 300 MB. Export a slice (slice: …), some columns, or, for an array, the raw bytes or CSV, which this client splits into requests under the limit.`, { status: err.status, url: err.url, detail: err.detail, cause: err });
  }
  if (err.status === 500) {
    return new TiledError("http", `${err.message}\n  The server advertises ${mediaType} for ${describe(node)} but failed to produce it (tiled 0.2.20 fails this way for arrays as HTML, tables as HDF5, and CSV of 0-d arrays). Choose another of node.formats.`, { status: err.status, url: err.url, detail: err.detail, cause: err });
  }
  return err;
}

/**
 * Export `node` to the file `dest`. `open` makes the output file (tests give one that fails like
 * a full disk); by default a temporary file renamed into place.
 */
export async function exportNode(node: NodeRef, dest: string, options: ExportOptions = {}, open?: (dest: string, options: OutputOptions) => OutputFile): Promise<ExportResult> {
  // The folder first: a destination that cannot be written is reported before any request.
  checkDestination(dest, { overwrite: options.overwrite });
  const about = await node.context.about(options);
  const family = node.item.attributes.structure_family ?? null;
  const mediaType = resolveFormat(options.format, about, family, node.item.attributes.specs ?? [], dest);
  const { urls, total } = plan(node, mediaType, options);
  const bar = progressBar(`export ${describe(node)} → ${dest}`, total, options.onProgress, options.progress ?? "auto");
  let path = "";
  try {
    const bytes = await writeOutput(
      dest,
      { overwrite: options.overwrite },
      async (out) => {
        path = out.path;
        for (const url of urls) {
          const before = out.bytes;
          const requestOptions: RequestOptions = {
            signal: options.signal,
            timeoutMs: options.timeoutMs,
            deadlineMs: options.deadlineMs,
            onProgress: (received, length) => bar.step(before + received, total ?? (urls.length === 1 ? length : undefined)),
          };
          try {
            await node.context.transport.send({ url, accept: mediaType }, requestOptions, { write: (chunk) => out.write(chunk) });
          } catch (err) {
            throw explain(err, node, mediaType);
          }
        }
        if (total !== undefined && out.bytes !== total) {
          throw new TiledError("invalid-response", `The server sent ${out.bytes} bytes for ${describe(node)}, not the ${total} its structure says; the file was not kept.`, { url: urls[0] });
        }
        return out.bytes;
      },
      open,
    );
    bar.done();
    return { path, format: mediaType, bytes, requests: urls.length };
  } catch (err) {
    bar.fail();
    throw err;
  }
}

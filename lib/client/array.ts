/**
 * client/array.ts — read an array node as a TypedArray with its shape.
 *
 * Bytes come as `application/octet-stream` (never JSON) and are decoded by dtype.ts. A selection
 * is checked against the shape before anything is sent (slice.ts). A read bigger than the server's
 * 300 MB response limit is split into pieces that each fit — along the first axes, so each piece is
 * a contiguous run of the result — read two at a time, each received straight into its stretch of
 * one preallocated buffer: the caller sees one array, and memory stays near the size of the result.
 *
 * @example
 * const frames = await stream.get("adsimdet_image", { kind: "array" });
 * frames.shape;                                        // [10, 1, 1024, 1024]
 * const { data, shape, dtype } = await frames.read({ slice: [0, 0] });   // first frame
 * // data: Uint8Array(1048576), shape: [1024, 1024], dtype: "uint8"
 * const block = await frames.readBlock([0, 0, 0, 0]);
 */
import { mapLimit } from "../concurrency.js";
import { badInput } from "../errors.js";
import { arrayData, checkDecodable, decodeArray, decodeStrings, isTextDtype, numpyName } from "../dtype.js";
import type { ArrayData } from "../dtype.js";
import { withParams } from "../urls.js";
import { ArrayStructure } from "../schemas/structures.js";
import type { BuiltinDtype } from "../schemas/structures.js";
import type { NodeResource } from "../schemas/node.js";
import { isWholeArray, normalizeSlice, resultShape, sliceToString } from "../slice.js";
import type { Axis, SliceSpec } from "../slice.js";
import { parseWith } from "../parse.js";
import type { RequestOptions } from "../http/types.js";
import { BaseClient } from "./base.js";
import type { Context } from "../context.js";

export interface ArrayReadOptions extends RequestOptions {
  /** numpy-style selection: 3, [0, slice(0, 10)], "0,0:10,::2", "...,0". Default: everything. */
  slice?: SliceSpec;
  /** Split reads larger than this many bytes. Default: the context's limit (300 MB). */
  responseBytesizeLimit?: number;
  /** Pieces of a split read in flight at once. Default 2: the server reads one while the client receives the other. */
  concurrency?: number;
}

/** Pieces of a split read requested at once (see ArrayReadOptions.concurrency). */
export const DEFAULT_PIECE_CONCURRENCY = 2;

// planPieces lives in pieces.ts (export.ts splits exports with it too, without importing this class).
export { planPieces } from "./pieces.js";
export type { ReadPiece } from "./pieces.js";
import { planPieces } from "./pieces.js";

const product = (xs: readonly number[]) => xs.reduce((a, b) => a * b, 1);

export class ArrayClient extends BaseClient {
  readonly structure: ArrayStructure;

  constructor(context: Context, item: NodeResource, path: readonly string[]) {
    super(context, item, path);
    this.structure = parseWith(ArrayStructure, item.attributes.structure, context.apiUrl("metadata", path));
  }

  get shape(): number[] {
    return [...this.structure.shape];
  }
  get ndim(): number {
    return this.structure.shape.length;
  }
  get size(): number {
    return product(this.structure.shape);
  }
  get chunks(): number[][] {
    return this.structure.chunks.map((c) => [...c]);
  }
  get dims(): string[] | null {
    return this.structure.dims ? [...this.structure.dims] : null;
  }
  /** The data type as the server describes it (throws unsupported-dtype for structured types). */
  get dataType(): BuiltinDtype {
    return checkDecodable(this.structure.data_type);
  }
  /** numpy's name of the type: "uint16", "float64", … */
  get dtype(): string {
    return numpyName(this.dataType);
  }
  get nbytes(): number {
    return this.size * this.structure.data_type.itemsize;
  }

  /** Read the whole array or a selection, split into several requests if it exceeds the size limit. */
  async read(options: ArrayReadOptions = {}): Promise<ArrayData> {
    const dataType = this.dataType;
    const { bytes, shape } = await this.#readBytes(options);
    return arrayData(decodeArray(bytes, dataType), shape, dataType);
  }

  /** True when the elements are text (numpy kinds "U" and "S"): read them with `readText`. */
  get isText(): boolean {
    return isTextDtype(this.structure.data_type);
  }

  /**
   * Read a text array (numpy "U" or "S", as databroker serves string data keys) as strings, in C
   * order, from the same binary bytes as `read` (never JSON).
   */
  async readText(options: ArrayReadOptions = {}): Promise<{ data: string[]; shape: number[] }> {
    const dataType = this.structure.data_type;
    if (!isTextDtype(dataType)) throw badInput(`/${this.path.join("/")} holds ${this.dtype}, not text: use read().`);
    const { bytes, shape } = await this.#readBytes(options);
    return { data: decodeStrings(bytes, dataType, product(shape)), shape };
  }

  async #readBytes(options: ArrayReadOptions): Promise<{ bytes: Uint8Array; shape: number[] }> {
    const axes = normalizeSlice(options.slice, this.structure.shape);
    const shape = resultShape(axes);
    const itemsize = this.structure.data_type.itemsize;
    const total = product(axes.map((a) => a.count)) * itemsize;
    const limit = options.responseBytesizeLimit ?? this.context.config.responseBytesizeLimit;
    if (!Number.isInteger(limit) || limit < 1) throw badInput(`responseBytesizeLimit ${limit} must be a positive integer.`);
    if (itemsize === 0) {
      // Text of unknown width (databroker's "<U0"): the size is known only once it arrives, so it
      // comes in one request, capped like a table body (maxTableBytes), and the reader divides it by the count.
      return { bytes: await this.context.transport.getBytes(this.#url(axes), { ...options, accept: "application/octet-stream" }), shape };
    }
    // One buffer for the result; every piece is received straight into its own stretch of it.
    const out = new Uint8Array(new ArrayBuffer(total));
    const pieces = planPieces(axes, itemsize, limit);
    if (pieces.length === 1) await this.#fetch(pieces[0].axes, out, options);
    else {
      await mapLimit(pieces, options.concurrency ?? DEFAULT_PIECE_CONCURRENCY, (piece, signal) =>
        this.#fetch(piece.axes, out.subarray(piece.offset, piece.offset + piece.bytes), { ...options, signal }), options.signal);
    }
    return { bytes: out, shape };
  }

  /** How many requests `read(options)` would make (a 300 MB+ read makes several). */
  fetchCount(options: ArrayReadOptions = {}): number {
    const axes = normalizeSlice(options.slice, this.structure.shape);
    return planPieces(axes, this.structure.data_type.itemsize, options.responseBytesizeLimit ?? this.context.config.responseBytesizeLimit).length;
  }

  /** The `/array/full` URL of a selection. The whole array needs no slice parameter; otherwise explicit start:stop[:step] per axis. */
  #url(axes: Axis[]): string {
    const shape = resultShape(axes);
    const params: [string, string][] = [["expected_shape", shape.length ? shape.join(",") : "scalar"]];
    if (!isWholeArray(axes, this.structure.shape) && axes.length) params.push(["slice", sliceToString(axes)]);
    return withParams(this.context.apiUrl("array/full", this.path), params);
  }

  async #fetch(axes: Axis[], into: Uint8Array, options: RequestOptions): Promise<Uint8Array> {
    return this.context.transport.getBytes(this.#url(axes), { ...options, accept: "application/octet-stream", expectedBytes: into.byteLength, into });
  }

  /** Read one chunk (`/array/block`), by its block index along each axis. */
  async readBlock(block: readonly number[], options: RequestOptions = {}): Promise<ArrayData> {
    const dataType = this.dataType;
    const chunks = this.structure.chunks;
    if (block.length !== chunks.length || block.some((b, i) => !Number.isInteger(b) || b < 0 || b >= chunks[i].length)) {
      throw badInput(`Block index [${block.join(", ")}] is out of range for chunks of ${chunks.map((c) => c.length).join("×")} blocks.`);
    }
    const shape = block.map((b, i) => chunks[i][b]);
    const bytes = product(shape) * dataType.itemsize;
    const url = withParams(this.context.apiUrl("array/block", this.path), [["block", block.join(",")], ["expected_shape", shape.length ? shape.join(",") : "scalar"]]);
    const data = await this.context.transport.getBytes(url, { ...options, accept: "application/octet-stream", expectedBytes: bytes });
    return arrayData(decodeArray(data, dataType), shape, dataType);
  }

  override toString(): string {
    return `<ArrayClient /${this.path.join("/")} shape=[${this.shape.join(", ")}] dtype=${this.structure.data_type.itemsize && "kind" in this.structure.data_type ? this.dtype : "struct"}>`;
  }
}


/**
 * client/data-sources.ts — where a node's data lives (`node.dataSources()`), and a copy of those
 * files (`node.rawExport(folder)`), as tiled's Python `data_sources()` and `raw_export()`.
 *
 * Data sources come from `GET /metadata/{path}?include_data_sources=true` (`fields=` alone does not
 * include them). Raw files come from `GET /asset/bytes/{path}?id=N`, for a directory asset (zarr)
 * one request per file of its `/asset/manifest`. Each file is streamed into a temporary file
 * renamed when complete (file-output.ts), its size checked against the asset's `size` when the
 * server states one (and against Content-Length always): a server that sends fewer or more bytes
 * than it said leaves no file.
 *
 * Where files land (as the Python client lays them out): one asset → `folder/<its file name>`;
 * several → `folder/<asset id>/<file name>`; a directory asset's files keep their relative paths
 * under that. Names come from the server (Content-Disposition, data_uri, manifest), so each is
 * checked to stay inside the folder: `..`, absolute paths, empty or NUL-carrying names, and
 * manifest entries outside the asset's own directory are refused before any file is written.
 * tiled 0.2.20 does not check `relative_path` for `..` itself (it would read any file the server
 * can), so this client never sends one. Assets that are not files (an SQL table's `sqlite://…`)
 * cannot be downloaded: refused up front, pointing at `export`.
 *
 * @example
 * const sources = await image.dataSources();
 * sources[0].mimetype;                  // "multipart/related;type=image/tiff"
 * sources[0].assets.map((a) => a.dataUri);
 * const files = await image.rawExport("/tmp/raw");   // ["/tmp/raw/1/image_stack000.tiff", …]
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { TiledError, badInput } from "../errors.js";
import { writeOutput } from "../file-output.js";
import type { OutputFile, OutputOptions } from "../file-output.js";
import { progressBar } from "../progress.js";
import type { ProgressCallback } from "../progress.js";
import { withParams } from "../urls.js";
import { parseWith } from "../parse.js";
import { MetadataResponse } from "../schemas/node.js";
import type { RequestOptions } from "../http/types.js";
import type { NodeRef } from "./export.js";

/** An asset as the server describes it. */
export const AssetSchema = z.looseObject({
  data_uri: z.string(),
  is_directory: z.boolean(),
  parameter: z.string().nullable().optional(),
  num: z.number().int().nullable().optional(),
  id: z.number().int().nullable().optional(),
  size: z.number().int().nonnegative().nullable().optional(),
});

/** A data source as the server describes it. */
export const DataSourceSchema = z.looseObject({
  id: z.number().int().nullable().optional(),
  structure_family: z.string().nullable().optional(),
  structure: z.unknown().nullable().optional(),
  mimetype: z.string().nullable().optional(),
  parameters: z.record(z.string(), z.unknown()).nullable().optional(),
  properties: z.record(z.string(), z.unknown()).nullable().optional(),
  assets: z.array(AssetSchema),
  management: z.string().nullable().optional(),
});
export const DataSources = z.array(DataSourceSchema);

/** One file (or directory) behind a node. */
export interface Asset {
  /** `file://localhost/<absolute path>` on the server, or another scheme (`sqlite://…`). */
  dataUri: string;
  isDirectory: boolean;
  /** Which adapter parameter it feeds ("data_uri", "data_uris"). */
  parameter: string | null;
  /** Its position in a sequence (a TIFF stack's frame), or null. */
  num: number | null;
  id: number | null;
  /** Bytes, when the server recorded it (null for directories and tables written as Parquet). */
  size: number | null;
}

/** How a node's data is stored: format, structure, adapter parameters and files. */
export interface DataSource {
  id: number | null;
  structureFamily: string | null;
  structure: unknown;
  mimetype: string | null;
  parameters: Record<string, unknown>;
  properties: Record<string, unknown>;
  /** "writable" (the server's own storage), "external" (registered files), …. */
  management: string | null;
  assets: Asset[];
}

export interface RawExportOptions extends Omit<RequestOptions, "onProgress"> {
  /** Replace files that exist. Default false: an existing file is an error, before any download. */
  overwrite?: boolean;
  /** Told the bytes written so far (all files) and the total when every size is known. */
  onProgress?: ProgressCallback;
  progress?: boolean | "auto";
}

/** The node's data sources (Python's `node.data_sources()`). */
export async function dataSourcesOf(node: NodeRef, options: RequestOptions = {}): Promise<DataSource[]> {
  const url = withParams(node.context.apiUrl("metadata", node.path), [["include_data_sources", "true"]]);
  const response = await node.context.transport.getJson(url, MetadataResponse, options);
  const raw = parseWith(DataSources, response.data.attributes.data_sources ?? [], url);
  return raw.map((d) => ({
    id: d.id ?? null,
    structureFamily: d.structure_family ?? null,
    structure: d.structure ?? null,
    mimetype: d.mimetype ?? null,
    parameters: d.parameters ?? {},
    properties: d.properties ?? {},
    management: d.management ?? null,
    assets: d.assets.map((a) => ({ dataUri: a.data_uri, isDirectory: a.is_directory, parameter: a.parameter ?? null, num: a.num ?? null, id: a.id ?? null, size: a.size ?? null })),
  }));
}

/** The server-side path of a `file:` URI, or undefined for other schemes. */
export function filePathOf(dataUri: string): string | undefined {
  let url: URL;
  try {
    url = new URL(dataUri);
  } catch {
    return undefined;
  }
  return url.protocol === "file:" ? decodeURIComponent(url.pathname) : undefined;
}

/**
 * Check a relative path from the server (a file name, a manifest entry) and return its segments;
 * bad-input for anything that could land outside the destination.
 */
export function safeRelativePath(name: string, what: string): string[] {
  const shown = JSON.stringify(name);
  if (name === "" || name.includes("\u0000")) throw badInput(`The server named ${what} ${shown}: empty or with NUL; refused.`);
  if (name.startsWith("/") || name.startsWith("\\") || /^[A-Za-z]:/.test(name)) throw badInput(`The server named ${what} ${shown}, an absolute path; refused (it would be written outside the destination).`);
  const segments = name.split(/[\\/]/);
  if (segments.some((s) => s === ".." || s === "." || s === "")) throw badInput(`The server named ${what} ${shown}, which contains "..", "." or an empty segment; refused (it could be written outside the destination).`);
  return segments;
}

/** The file name in a Content-Disposition header (`attachment; filename="x"`), or undefined. */
function dispositionName(header: string | null): string | undefined {
  if (!header) return undefined;
  const star = /filename\*\s*=\s*(?:UTF-8'')?([^;]+)/i.exec(header);
  if (star) return decodeURIComponent(star[1].trim().replace(/^"|"$/g, ""));
  const plain = /filename\s*=\s*("([^"]*)"|[^;]+)/i.exec(header);
  return plain ? (plain[2] ?? plain[1]).trim() : undefined;
}

/** One file to download: the request, where it goes (relative segments), and its size if known. */
interface Download {
  url: string;
  segments: string[];
  size: number | null;
  /** Where the name came from, for messages. */
  what: string;
}

/** The files of a directory asset, from its manifest, each checked to lie inside the asset's directory. */
async function manifestDownloads(node: NodeRef, asset: Asset, base: string[], options: RequestOptions): Promise<Download[]> {
  const url = withParams(node.context.apiUrl("asset/manifest", node.path), [["id", String(asset.id)]]);
  const { manifest } = await node.context.transport.getJson(url, z.looseObject({ manifest: z.array(z.string()) }), options);
  const dir = (filePathOf(asset.dataUri) ?? "").replace(/\/+$/, "");
  return manifest.map((entry) => {
    // tiled 0.2.20 lists absolute server paths; the bytes route wants them relative to the asset's directory.
    let relative = entry;
    if (entry.startsWith("/")) {
      if (!dir || !entry.startsWith(`${dir}/`)) throw badInput(`The manifest of asset ${asset.id} lists ${JSON.stringify(entry)}, outside the asset's directory ${dir || "(unknown)"}; refused.`);
      relative = entry.slice(dir.length + 1);
    }
    const segments = safeRelativePath(relative, `a file of asset ${asset.id}`);
    return {
      url: withParams(node.context.apiUrl("asset/bytes", node.path), [["id", String(asset.id)], ["relative_path", segments.join("/")]]),
      segments: [...base, ...segments],
      size: null,
      what: `manifest entry ${JSON.stringify(entry)}`,
    };
  });
}

/**
 * Download every file behind `node` into `folder` (created if missing; its parent must exist).
 * Returns the paths written. `open` makes each output file (tests give one that fails).
 */
export async function rawExportNode(node: NodeRef, folder: string, options: RawExportOptions = {}, open?: (dest: string, options: OutputOptions) => OutputFile): Promise<string[]> {
  const destination = path.resolve(folder);
  const parent = path.dirname(destination);
  if (!fs.existsSync(parent) || !fs.statSync(parent).isDirectory()) throw badInput(`The folder ${parent} does not exist: create it first, or choose another destination.`);
  if (fs.existsSync(destination) && !fs.statSync(destination).isDirectory()) throw badInput(`${destination} exists and is not a folder.`);

  const sources = await dataSourcesOf(node, options);
  const assets = sources.flatMap((s) => s.assets);
  if (assets.length === 0) throw badInput(`/${node.path.join("/")} has no files behind it (no data source with assets): use export() instead.`);
  for (const asset of assets) {
    if (filePathOf(asset.dataUri) === undefined) {
      throw badInput(`/${node.path.join("/")} is stored in ${asset.dataUri.split(":")[0]} (${asset.dataUri.replace(/\/\/[^/]*@/, "//")}), not in files the server can send; export it instead (node.export(path, { format })).`);
    }
    if (asset.id === null) throw new TiledError("invalid-response", `The server gave no id for asset ${asset.dataUri}, so it cannot be downloaded.`);
  }

  // Plan every file (and check every name) before the first byte is written.
  const several = assets.length > 1;
  const downloads: Download[] = [];
  for (const asset of assets) {
    const base = several ? [String(asset.id)] : [];
    if (asset.isDirectory) downloads.push(...(await manifestDownloads(node, asset, [...base, path.posix.basename(filePathOf(asset.dataUri) ?? "")], options)));
    else {
      const name = path.posix.basename(filePathOf(asset.dataUri) ?? "");
      downloads.push({ url: withParams(node.context.apiUrl("asset/bytes", node.path), [["id", String(asset.id)]]), segments: [...base, ...safeRelativePath(name, `asset ${asset.id}`)], size: asset.size, what: `asset ${asset.id}` });
    }
  }
  const targets = downloads.map((d) => path.join(destination, ...d.segments));
  for (const target of targets) {
    const rel = path.relative(destination, target);
    if (rel.startsWith("..") || path.isAbsolute(rel)) throw badInput(`${target} would be outside ${destination}; refused.`);
    if (!options.overwrite && fs.existsSync(target)) throw badInput(`${target} exists already: pass overwrite: true to replace it, or choose another folder.`);
  }

  const known = downloads.every((d) => d.size !== null) ? downloads.reduce((a, d) => a + (d.size ?? 0), 0) : undefined;
  const bar = progressBar(`raw files of /${node.path.join("/")} → ${destination}`, known, options.onProgress, options.progress ?? "auto");
  const written: string[] = [];
  let done = 0;
  try {
    for (const [i, download] of downloads.entries()) {
      const target = targets[i];
      fs.mkdirSync(path.dirname(target), { recursive: true });
      await writeOutput(target, { overwrite: options.overwrite }, (out) => downloadOne(node, download, out, options, (n) => bar.step(done + n, known)), open);
      done += fs.statSync(target).size;
      written.push(target);
    }
  } catch (err) {
    bar.fail();
    throw err;
  }
  bar.done();
  return written;
}

/** Stream one file into `out`, checking its size against the asset's and the announced length. */
async function downloadOne(node: NodeRef, download: Download, out: OutputFile, options: RawExportOptions, step: (bytes: number) => void): Promise<void> {
  const { size, url } = download;
  const tooMany = () => new TiledError("invalid-response", `The server sent more than the ${size} bytes it lists for ${download.what}; the file was not kept.`, { url });
  const response = await node.context.transport.send(
    { url, accept: "*/*" },
    { signal: options.signal, timeoutMs: options.timeoutMs, deadlineMs: options.deadlineMs, onProgress: (n) => step(n) },
    {
      write: async (chunk) => {
        if (size !== null && out.bytes + chunk.byteLength > size) throw tooMany();
        await out.write(chunk);
      },
    },
  );
  const announced = Number(response.headers.get("content-length") ?? Number.NaN);
  if (Number.isFinite(announced) && announced !== out.bytes) {
    throw new TiledError("invalid-response", `The server announced ${announced} bytes for ${download.what} but sent ${out.bytes}; the file was not kept.`, { url });
  }
  if (size !== null && out.bytes !== size) {
    throw new TiledError("invalid-response", `The server lists ${download.what} as ${size} bytes but sent ${out.bytes}; the file was not kept.`, { url });
  }
  // The name the server gives must agree with the one planned from data_uri (a mismatch is a sign of trouble).
  const given = dispositionName(response.headers.get("content-disposition"));
  if (given !== undefined) safeRelativePath(given, download.what);
}

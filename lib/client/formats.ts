/**
 * client/formats.ts — which export formats a node offers, and which media type a name stands for.
 *
 * Like tiled's Python `node.formats`: the union of the server's `formats[spec]` for the node's
 * specs and `formats[structure family]` (GET /api/v1/), sorted. A format is given as a media type
 * ("text/csv") or a file extension ("csv", ".csv"). tiled 0.2.20's `aliases` over-advertise
 * (docs/tiled-write-contract.md): every family lists tiled's own aliases (h5, parquet, nc, …)
 * whether or not it can export them, and no alias reaches application/octet-stream or
 * application/json-seq. So an extension is resolved through the aliases *and* a small table of
 * well-known extensions, and the result must be among the node's formats; otherwise the request
 * is refused here, before anything is sent, naming what the node does offer.
 *
 * @example
 * nodeFormats(about, "array", []);        // ["application/json", "application/octet-stream", "application/vnd.ms-excel", …]
 * resolveFormat("csv", about, "array", []);   // "text/csv"
 * resolveFormat("nc", about, "array", []);    // bad-input: "… offers: application/json (json), …"
 */
import { badInput } from "../errors.js";
import type { About } from "../schemas/about.js";
import type { Spec } from "../schemas/node.js";

/**
 * Extensions tiled's aliases do not map (or map to a media type no family exports), as the
 * Python client's users type them. Checked after the server's own aliases.
 */
export const KNOWN_EXTENSIONS: Readonly<Record<string, string>> = {
  bin: "application/octet-stream",
  raw: "application/octet-stream",
  "octet-stream": "application/octet-stream",
  csv: "text/csv",
  txt: "text/plain",
  text: "text/plain",
  json: "application/json",
  jsonl: "application/json-seq",
  "json-seq": "application/json-seq",
  png: "image/png",
  tif: "image/tiff",
  tiff: "image/tiff",
  html: "text/html",
  htm: "text/html",
  xls: "application/vnd.ms-excel",
  xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  h5: "application/x-hdf5",
  hdf5: "application/x-hdf5",
  nc: "application/x-netcdf",
  parquet: "application/x-parquet",
  arrow: "application/vnd.apache.arrow.file",
  feather: "application/vnd.apache.arrow.file",
};

/** The media types a node can be exported as (Python's `node.formats`), sorted. */
export function nodeFormats(about: About, family: string | null, specs: readonly Spec[]): string[] {
  const out = new Set<string>();
  for (const spec of specs) for (const mediaType of about.formats[spec.name] ?? []) out.add(mediaType);
  for (const mediaType of family ? (about.formats[family] ?? []) : []) out.add(mediaType);
  return [...out].sort();
}

/** The extensions that name `mediaType` (the server's aliases for the family, then the known ones). */
function extensionsOf(about: About, family: string | null, mediaType: string): string[] {
  const fromServer = (family ? about.aliases[family]?.[mediaType] : undefined) ?? [];
  const known = Object.entries(KNOWN_EXTENSIONS).filter(([, m]) => m === mediaType).map(([ext]) => ext);
  return [...new Set([...fromServer, ...known])];
}

/** "text/csv (csv), image/tiff (tiff, tif), …": what the node offers, for messages. */
export function describeFormats(about: About, family: string | null, specs: readonly Spec[]): string {
  return nodeFormats(about, family, specs)
    .map((m) => {
      const ext = extensionsOf(about, family, m);
      return ext.length ? `${m} (${ext.join(", ")})` : m;
    })
    .join(", ");
}

/** The file extension of a path ("out/run.csv" → "csv"), or undefined. */
export function extensionOf(filePath: string): string | undefined {
  const base = filePath.split(/[\\/]/).pop() ?? "";
  const dot = base.lastIndexOf(".");
  return dot > 0 ? base.slice(dot + 1).toLowerCase() : undefined;
}

/**
 * The media type to ask for: `format` (a media type or an extension) or, when absent, the
 * extension of `filePath`; bad-input when it cannot be told or the node does not offer it.
 */
export function resolveFormat(format: string | undefined, about: About, family: string | null, specs: readonly Spec[], filePath?: string): string {
  const offered = nodeFormats(about, family, specs);
  const where = family ? `this ${family}${specs.length ? ` (specs ${specs.map((s) => s.name).join(", ")})` : ""}` : "this node";
  const requested = format?.trim() ?? (filePath === undefined ? undefined : extensionOf(filePath));
  if (!requested) {
    throw badInput(`Say which format to export (format: "csv", or a media type), or give the file an extension. ${capitalize(where)} offers: ${describeFormats(about, family, specs)}.`);
  }
  let mediaType: string | undefined;
  if (requested.includes("/")) mediaType = requested.toLowerCase();
  else {
    const ext = requested.replace(/^\./, "").toLowerCase();
    // The server's aliases first, but only to a type the node offers (they over-advertise).
    const aliases = family ? (about.aliases[family] ?? {}) : {};
    mediaType = Object.entries(aliases).find(([m, exts]) => exts.includes(ext) && offered.includes(m))?.[0] ?? KNOWN_EXTENSIONS[ext];
    if (mediaType === undefined) throw badInput(`${JSON.stringify(requested)} is not a format name this client knows. ${capitalize(where)} offers: ${describeFormats(about, family, specs)}.`);
  }
  if (!offered.includes(mediaType)) {
    throw badInput(`The server cannot export ${where} as ${mediaType}${mediaType === requested ? "" : ` (${JSON.stringify(requested)})`}. It offers: ${describeFormats(about, family, specs)}.`);
  }
  return mediaType;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

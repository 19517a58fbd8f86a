/**
 * client/metadata-update.ts — change a node's metadata and specs, list and delete its revisions,
 * delete the node: tiled's Python `update_metadata`, `patch_metadata`, `replace_metadata`,
 * `metadata_revisions` and `delete`.
 *
 * `updateMetadata(update)` works like Python's: `update` is merged into the current metadata the
 * way `dict.update` would, recursively for nested objects (a key set to `DELETE_KEY` is removed,
 * null is stored as null), and what is sent is the JSON Patch (RFC 6902) from the metadata this
 * client holds to that result — so keys the update does not name stay as they are on the server.
 * `patchMetadata` sends a patch as given, JSON Patch or JSON Merge Patch (RFC 7386, where null
 * deletes a key). The server's rules (docs/tiled-write-contract.md): the body's "content-type"
 * field says which patch it is, the HTTP header is ignored; the `specs` key must be present (null
 * means unchanged); a JSON Patch that does not apply is a 500. Every change but one with
 * `dropRevision` keeps the previous state as a revision.
 *
 * Each returns the node as the server now has it (clients are immutable: keep the new one).
 *
 * @example
 * const updated = await node.updateMetadata({ sample: { temperature_K: 77 }, obsolete: DELETE_KEY });
 * await node.patchMetadata({ metadataPatch: { note: null }, contentType: "application/merge-patch+json" });
 * const revisions = await updated.metadataRevisions();     // [{ revisionNumber: 1, metadata, specs, timeUpdated }]
 * await updated.deleteRevision(1);
 * await updated.delete({ recursive: true, externalOnly: false });
 */
import { z } from "zod";
import { badInput, isTiledError } from "../errors.js";
import { withParams } from "../urls.js";
import { MetadataResponse, Spec } from "../schemas/node.js";
import type { NodeResource } from "../schemas/node.js";
import type { RequestOptions } from "../http/types.js";
import { checkJson, checkJsonObject } from "./json-check.js";
import { explainWrite, normalizeSpecs } from "./write.js";
import type { SpecInput } from "./write.js";
import type { NodeRef } from "./export.js";

/** Marks a key for removal in updateMetadata (Python's `tiled.client.metadata_update.DELETE_KEY`). */
export const DELETE_KEY: unique symbol = Symbol("DELETE_KEY");

/** An update as updateMetadata takes it: JSON values, nested objects merged, DELETE_KEY to remove. */
export type MetadataUpdate = { [key: string]: unknown };

export const JSON_PATCH = "application/json-patch+json";
export const MERGE_PATCH = "application/merge-patch+json";
export type PatchContentType = typeof JSON_PATCH | typeof MERGE_PATCH;

/** One RFC 6902 operation (the ones a diff produces). */
export type JsonPatchOperation = { op: "add" | "replace"; path: string; value: unknown } | { op: "remove"; path: string };

export interface MetadataChangeOptions extends RequestOptions {
  /** Do not keep the previous state as a revision (use with care). */
  dropRevision?: boolean;
}

export interface UpdateMetadataOptions extends MetadataChangeOptions {
  /** The new list of specs (replacing the current one). Default: unchanged. */
  specs?: readonly SpecInput[];
}

export interface PatchMetadataOptions extends MetadataChangeOptions {
  metadataPatch?: unknown;
  specsPatch?: unknown;
  contentType?: PatchContentType;
}

/** One saved state of a node's metadata. */
export interface MetadataRevision {
  revisionNumber: number;
  metadata: Record<string, unknown>;
  specs: Spec[];
  /** As the server sends it ("YYYY-MM-DDTHH:MM:SS", no zone). */
  timeUpdated: string | null;
}

const PatchResponse = z.looseObject({ id: z.string().optional(), metadata: z.record(z.string(), z.unknown()).optional() });
const RevisionsPage = z.looseObject({
  data: z.array(
    z.looseObject({
      revision_number: z.number().int(),
      attributes: z.looseObject({
        metadata: z.record(z.string(), z.unknown()).nullable().optional(),
        specs: z.array(Spec).nullable().optional(),
        time_updated: z.string().nullable().optional(),
      }),
    }),
  ),
  links: z.looseObject({ next: z.string().nullable().optional() }).nullable().optional(),
  meta: z.looseObject({ count: z.number().int().nullable().optional() }).nullable().optional(),
});

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** `dict.update`, recursively for nested objects, DELETE_KEY removing (Python's apply_update_patch). */
export function applyUpdate(current: Record<string, unknown>, update: MetadataUpdate): Record<string, unknown> {
  const out: Record<string, unknown> = { ...current };
  for (const [key, value] of Object.entries(update)) {
    if (value === DELETE_KEY) delete out[key];
    else if (isPlainObject(value)) {
      const target = out[key];
      out[key] = applyUpdate(isPlainObject(target) ? target : {}, value);
    } else out[key] = value;
  }
  return out;
}

/** "~" and "/" escaped as RFC 6901 says. */
function pointer(path: readonly string[]): string {
  return path.map((p) => `/${p.replace(/~/g, "~0").replace(/\//g, "~1")}`).join("");
}

function jsonEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The JSON Patch from `from` to `to`: nested objects diffed key by key, anything else replaced whole. */
export function jsonPatchDiff(from: unknown, to: unknown, path: string[] = []): JsonPatchOperation[] {
  if (isPlainObject(from) && isPlainObject(to)) {
    const ops: JsonPatchOperation[] = [];
    for (const key of Object.keys(from)) if (!(key in to)) ops.push({ op: "remove", path: pointer([...path, key]) });
    for (const [key, value] of Object.entries(to)) {
      if (!(key in from)) ops.push({ op: "add", path: pointer([...path, key]), value });
      else ops.push(...jsonPatchDiff(from[key], value, [...path, key]));
    }
    return ops;
  }
  return jsonEqual(from, to) ? [] : [{ op: "replace", path: pointer(path), value: to }];
}

/** Check an update: plain JSON except DELETE_KEY markers. */
function checkUpdate(update: unknown): MetadataUpdate {
  if (!isPlainObject(update)) throw badInput(`updateMetadata takes an object of keys to update, not ${Array.isArray(update) ? "an array" : String(update)}.`);
  const strip = (value: unknown): unknown => (value === DELETE_KEY ? null : isPlainObject(value) ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, strip(v)])) : value);
  checkJson(strip(update), "metadata");
  return update;
}

async function patch(node: NodeRef, body: unknown, options: MetadataChangeOptions): Promise<NodeResource> {
  const url = withParams(node.context.apiUrl("metadata", node.path), options.dropRevision ? [["drop_revision", "true"]] : []);
  try {
    await node.context.transport.sendJson("PATCH", url, body, PatchResponse, { signal: options.signal, timeoutMs: options.timeoutMs, deadlineMs: options.deadlineMs });
  } catch (err) {
    throw explainWrite(err, `the metadata of /${node.path.join("/")}`);
  }
  return (await node.context.transport.getJson(node.context.apiUrl("metadata", node.path), MetadataResponse, options)).data;
}

/** `update_metadata`: merge `update` into the metadata (and replace the specs, if given). */
export async function updateMetadataOf(node: NodeRef, update: MetadataUpdate, options: UpdateMetadataOptions = {}): Promise<NodeResource> {
  const current = node.item.attributes.metadata ?? {};
  const metadataPatch = jsonPatchDiff(current, applyUpdate(current, checkUpdate(update)));
  let specsPatch: JsonPatchOperation[] | null = null;
  if (options.specs !== undefined) {
    const specs = normalizeSpecs(options.specs);
    const before = (node.item.attributes.specs ?? []).map((s) => ({ name: s.name, version: s.version ?? null }));
    // tiled validates each operation's value as one Spec (a root "replace" of the list is a 422), so the
    // list is diffed by index: changed entries replaced, new ones added, surplus ones removed from the end.
    specsPatch = [];
    for (let i = 0; i < Math.min(before.length, specs.length); i++) if (!jsonEqual(before[i], specs[i])) specsPatch.push({ op: "replace", path: `/${i}`, value: specs[i] });
    for (let i = before.length; i < specs.length; i++) specsPatch.push({ op: "add", path: `/${i}`, value: specs[i] });
    for (let i = before.length - 1; i >= specs.length; i--) specsPatch.push({ op: "remove", path: `/${i}` });
  }
  return patch(node, { "content-type": JSON_PATCH, metadata: metadataPatch, specs: specsPatch, access_tags: null }, options);
}

/** `patch_metadata`: send a JSON Patch or a JSON Merge Patch as given. */
export async function patchMetadataOf(node: NodeRef, options: PatchMetadataOptions): Promise<NodeResource> {
  const contentType = options.contentType ?? JSON_PATCH;
  if (contentType !== JSON_PATCH && contentType !== MERGE_PATCH) throw badInput(`contentType is ${JSON_PATCH} or ${MERGE_PATCH}, not ${JSON.stringify(contentType)}.`);
  if (options.metadataPatch !== undefined) checkJson(options.metadataPatch, "metadataPatch");
  if (options.specsPatch !== undefined) checkJson(options.specsPatch, "specsPatch");
  if (contentType === JSON_PATCH && options.metadataPatch !== undefined && !Array.isArray(options.metadataPatch)) throw badInput("A JSON Patch is a list of operations ([{ op, path, value }]); for an object of changes use contentType merge-patch or updateMetadata.");
  // The `specs` key must be there (null: unchanged), or tiled answers 422.
  return patch(node, { "content-type": contentType, metadata: options.metadataPatch ?? (contentType === JSON_PATCH ? [] : {}), specs: options.specsPatch ?? null, access_tags: null }, options);
}

/** `replace_metadata`: the metadata (and specs, if given) replaced whole. */
export async function replaceMetadataOf(node: NodeRef, metadata: Record<string, unknown> | undefined, options: UpdateMetadataOptions = {}): Promise<NodeResource> {
  const body = { metadata: metadata === undefined ? null : checkJsonObject(metadata, "metadata"), specs: options.specs === undefined ? null : normalizeSpecs(options.specs), access_tags: null };
  const url = withParams(node.context.apiUrl("metadata", node.path), options.dropRevision ? [["drop_revision", "true"]] : []);
  try {
    await node.context.transport.sendJson("PUT", url, body, PatchResponse, { signal: options.signal, timeoutMs: options.timeoutMs, deadlineMs: options.deadlineMs });
  } catch (err) {
    throw explainWrite(err, `the metadata of /${node.path.join("/")}`);
  }
  return (await node.context.transport.getJson(node.context.apiUrl("metadata", node.path), MetadataResponse, options)).data;
}

/** `metadata_revisions`: every saved state, oldest first (pages of 100). */
export async function revisionsOf(node: NodeRef, options: RequestOptions = {}): Promise<MetadataRevision[]> {
  const out: MetadataRevision[] = [];
  const base = node.context.apiUrl("revisions", node.path);
  for (let offset = 0; ; ) {
    const page = await node.context.transport.getJson(withParams(base, [["page[offset]", String(offset)], ["page[limit]", "100"]]), RevisionsPage, options);
    for (const r of page.data) out.push({ revisionNumber: r.revision_number, metadata: r.attributes.metadata ?? {}, specs: r.attributes.specs ?? [], timeUpdated: r.attributes.time_updated ?? null });
    offset += page.data.length;
    if (page.data.length === 0 || !page.links?.next || (page.meta?.count != null && offset >= page.meta.count)) return out;
  }
}

/** `metadata_revisions.delete_revision(n)`. */
export async function deleteRevisionOf(node: NodeRef, revisionNumber: number, options: RequestOptions = {}): Promise<void> {
  if (!Number.isSafeInteger(revisionNumber) || revisionNumber < 0) throw badInput(`A revision number is a non-negative integer, not ${revisionNumber}.`);
  const url = withParams(node.context.apiUrl("revisions", node.path), [["number", String(revisionNumber)]]);
  try {
    await node.context.transport.send({ method: "DELETE", url, accept: "application/json" }, options, { maxBytes: node.context.config.maxJsonBytes });
  } catch (err) {
    throw explainWrite(err, `revision ${revisionNumber} of /${node.path.join("/")}`);
  }
}

export interface DeleteOptions extends RequestOptions {
  /** Delete a container's contents too (default false: a non-empty container is refused, 409). */
  recursive?: boolean;
  /**
   * Only nodes whose data is external (registered files, which stay on disk) — the default, true,
   * as tiled's. Pass false to delete data the server stores (its zarr/Parquet files are removed).
   */
  externalOnly?: boolean;
}

/** `delete`: remove the node (and, with recursive, its contents). */
export async function deleteNode(node: NodeRef, options: DeleteOptions = {}): Promise<void> {
  if (node.path.length === 0) throw badInput("The server's root cannot be deleted; delete its children.");
  const url = withParams(node.context.apiUrl("metadata", node.path), [["recursive", String(options.recursive ?? false)], ["external_only", String(options.externalOnly ?? true)]]);
  try {
    await node.context.transport.send({ method: "DELETE", url, accept: "application/json" }, options, { maxBytes: node.context.config.maxJsonBytes });
  } catch (err) {
    // 409 here is not "name taken": the server's own detail says why (not empty, or data it manages) and what to pass.
    if (isTiledError(err) && err.status === 409) throw err;
    throw explainWrite(err, `/${node.path.join("/")}`);
  }
}

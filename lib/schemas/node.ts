/**
 * schemas/node.ts — one node as the server describes it (a JSON:API resource), and the two
 * responses that carry nodes: a search page (`GET /api/v1/search/{path}`) and a metadata
 * response (`GET /api/v1/metadata/{path}`).
 *
 * With `fields=` (empty) the server sends ids only and every attribute is null, so the
 * attributes are nullable here; the client asks for what it needs.
 *
 * @example
 * const page = await transport.getJson(url, SearchPage);
 * page.meta.count;                       // 397
 * page.data[0].attributes.metadata;      // { start: {…}, stop: {…} }
 * page.links.next;                       // "http://…/search/bdp2022?page[offset]=100&page[limit]=100" or null
 */
import { z } from "zod";
import { StructureFamily } from "./structures.js";

export const Spec = z.looseObject({
  name: z.string(),
  version: z.string().nullable().optional(),
});
export type Spec = z.infer<typeof Spec>;

export const SortingItem = z.looseObject({
  key: z.string(),
  direction: z.number(),
});
export type SortingItem = z.infer<typeof SortingItem>;

/** Node metadata: a JSON object with any keys. */
export const Metadata = z.record(z.string(), z.unknown());
export type Metadata = z.infer<typeof Metadata>;

export const NodeAttributes = z.looseObject({
  ancestors: z.array(z.string()),
  structure_family: StructureFamily.nullable().optional(),
  specs: z.array(Spec).nullable().optional(),
  metadata: Metadata.nullable().optional(),
  /** Validated per family by the client (schemas/structures.ts). */
  structure: z.unknown().nullable().optional(),
  sorting: z.array(SortingItem).nullable().optional(),
  data_sources: z.array(z.unknown()).nullable().optional(),
});
export type NodeAttributes = z.infer<typeof NodeAttributes>;

export const NodeLinks = z.record(z.string(), z.string().nullable());
export type NodeLinks = z.infer<typeof NodeLinks>;

export const NodeResource = z.looseObject({
  id: z.string(),
  attributes: NodeAttributes,
  links: NodeLinks.nullable().optional(),
  meta: z.unknown().nullable().optional(),
});
export type NodeResource = z.infer<typeof NodeResource>;

export const PageLinks = z.looseObject({
  self: z.string().nullable().optional(),
  first: z.string().nullable().optional(),
  last: z.string().nullable().optional(),
  prev: z.string().nullable().optional(),
  /** The next page, carrying only page parameters (filters and sort must be added back), or null. */
  next: z.string().nullable().optional(),
});
export type PageLinks = z.infer<typeof PageLinks>;

export const SearchPage = z.looseObject({
  data: z.array(NodeResource),
  error: z.unknown().nullable().optional(),
  links: PageLinks,
  meta: z.looseObject({
    /** Exact when `fields` includes count (the default does). */
    count: z.number().int().nonnegative().nullable().optional(),
  }),
});
export type SearchPage = z.infer<typeof SearchPage>;

export const MetadataResponse = z.looseObject({
  data: NodeResource,
  error: z.unknown().nullable().optional(),
  links: z.unknown().nullable().optional(),
  meta: z.unknown().nullable().optional(),
});
export type MetadataResponse = z.infer<typeof MetadataResponse>;

/** `GET /api/v1/distinct/{path}?metadata=…&counts=true`. */
export const DistinctResponse = z.looseObject({
  metadata: z.record(z.string(), z.array(z.looseObject({ value: z.unknown(), count: z.number().nullable().optional() }))).optional(),
  // null unless asked for (`structure_families=true`, `specs=true`).
  structure_families: z.array(z.unknown()).nullable().optional(),
  specs: z.array(z.unknown()).nullable().optional(),
});
export type DistinctResponse = z.infer<typeof DistinctResponse>;

/**
 * live/schemas.ts — the messages tiled 0.2.20 sends on `/api/v1/stream/single/{path}`, as zod schemas.
 *
 * Every connection first gets one schema message without a `sequence` (container-, array- or
 * table-schema), then updates numbered per node from 1 (`tiled/stream_messages.py`). The schemas
 * are loose (unknown keys kept) because the server adds fields between versions, and the types
 * come from them with `z.infer`, so what is validated is what the code sees.
 *
 * @example
 * import { LiveMessage } from "./lib/live/schemas.js";
 * const msg = LiveMessage.parse({ type: "table-data", sequence: 3, timestamp: "…", partition: 0, append: true, payload: bytes });
 * if (msg.type === "table-data") console.log(msg.sequence, msg.partition);
 * // container-child-created carries the new child's key, structure family, specs and metadata
 */
import { z } from "zod";
import { BuiltinDtype, StructDtype } from "../schemas/structures.js";

const Spec = z.looseObject({ name: z.string(), version: z.string().nullable().optional() });
const Metadata = z.record(z.string(), z.unknown());

/** The first message of a container's connection. It lists no children: get those over HTTP. */
export const ContainerSchemaMessage = z.looseObject({ type: z.literal("container-schema"), version: z.number() });

/** The first message of an array's connection: the element type every array-data payload uses. */
export const ArraySchemaMessage = z.looseObject({
  type: z.literal("array-schema"),
  version: z.number(),
  data_type: z.union([BuiltinDtype, StructDtype]),
});

/**
 * The first message of a table's connection. `arrow_schema` is a data: URI (base64) holding an
 * Arrow IPC *stream* schema message, despite its "arrow.file" label.
 */
export const TableSchemaMessage = z.looseObject({
  type: z.literal("table-schema"),
  version: z.number(),
  arrow_schema: z.string(),
});

/** Fields every numbered update has. `timestamp` is the server's naive local time (no offset). */
const Update = { sequence: z.number().int().nonnegative(), timestamp: z.string().optional() };

/** A child was created under the subscribed container (a run in a catalog, a stream in a run, …). */
export const ChildCreatedMessage = z.looseObject({
  type: z.literal("container-child-created"),
  ...Update,
  key: z.string(),
  structure_family: z.string(),
  specs: z.array(Spec).default([]),
  metadata: Metadata.default({}),
  data_sources: z.array(z.record(z.string(), z.unknown())).default([]),
});

/**
 * A child's metadata changed. It carries the whole metadata after the merge, not a diff: the
 * Bluesky stop document arrives this way, on the *catalog's* connection, not on the run's.
 */
export const ChildMetadataUpdatedMessage = z.looseObject({
  type: z.literal("container-child-metadata-updated"),
  ...Update,
  key: z.string(),
  specs: z.array(Spec).optional(),
  metadata: Metadata.default({}),
});

/**
 * New array values, raw C-order bytes in the msgpack envelope (a nested list in JSON). TiledWriter
 * extends on the leading axis only: `offset` is `[n]` (or null for the first write).
 */
export const ArrayDataMessage = z.looseObject({
  type: z.literal("array-data"),
  ...Update,
  mimetype: z.string().optional(),
  shape: z.array(z.number().int().nonnegative()),
  offset: z.array(z.number().int().nonnegative()).nullable().optional(),
  block: z.array(z.number().int()).nullable().optional(),
  payload: z.unknown(),
  /** The element type, when the server repeats it (tiled's ArrayData model has it); must match the array-schema's. */
  data_type: z.union([BuiltinDtype, StructDtype]).optional(),
});

/**
 * New array data in an external file (a detector frame): no payload, a `uri` to read the slab
 * from. Published after the database commit, so reading `uri` at once is safe.
 */
export const ArrayRefMessage = z.looseObject({
  type: z.literal("array-ref"),
  ...Update,
  shape: z.array(z.number().int().nonnegative()),
  patch: z.looseObject({ offset: z.array(z.number().int()), shape: z.array(z.number().int()) }).nullable().optional(),
  uri: z.string().optional(),
  data_source: z.record(z.string(), z.unknown()).optional(),
});

/**
 * Rows appended to a table: an Arrow IPC *file* in msgpack, `{column: values}` in JSON. Published
 * before the server stores them: read the table over HTTP only after the run has stopped.
 */
export const TableDataMessage = z.looseObject({
  type: z.literal("table-data"),
  ...Update,
  mimetype: z.string().optional(),
  partition: z.number().int().nonnegative().nullable().optional(),
  append: z.boolean().optional(),
  payload: z.unknown(),
});

/** Any schema message (the first of each connection). */
export const SchemaMessage = z.discriminatedUnion("type", [ContainerSchemaMessage, ArraySchemaMessage, TableSchemaMessage]);

/** Any numbered update. */
export const UpdateMessage = z.discriminatedUnion("type", [
  ChildCreatedMessage,
  ChildMetadataUpdatedMessage,
  ArrayDataMessage,
  ArrayRefMessage,
  TableDataMessage,
]);

/** Anything the server sends on a stream connection. */
export const LiveMessage = z.union([SchemaMessage, UpdateMessage]);

export type ContainerSchemaMessage = z.infer<typeof ContainerSchemaMessage>;
export type ArraySchemaMessage = z.infer<typeof ArraySchemaMessage>;
export type TableSchemaMessage = z.infer<typeof TableSchemaMessage>;
export type ChildCreatedMessage = z.infer<typeof ChildCreatedMessage>;
export type ChildMetadataUpdatedMessage = z.infer<typeof ChildMetadataUpdatedMessage>;
export type ArrayDataMessage = z.infer<typeof ArrayDataMessage>;
export type ArrayRefMessage = z.infer<typeof ArrayRefMessage>;
export type TableDataMessage = z.infer<typeof TableDataMessage>;
export type SchemaMessage = z.infer<typeof SchemaMessage>;
export type UpdateMessage = z.infer<typeof UpdateMessage>;
export type LiveMessage = z.infer<typeof LiveMessage>;

/** True for the schema message that opens each connection. */
export function isSchemaMessage(msg: LiveMessage): msg is SchemaMessage {
  return msg.type === "container-schema" || msg.type === "array-schema" || msg.type === "table-schema";
}

/**
 * client/kinds.ts — which client class serves which node, as one table passed through the context.
 *
 * Like tiled's Python `structure_clients` and `client_for_item`: the first of a node's specs with
 * a client in the table wins (BlueskyRun → BlueskyRun, BlueskyEventStream → BlueskyEventStream,
 * CatalogOfBlueskyRuns → CatalogOfBlueskyRuns), otherwise its structure family decides (container →
 * Container, array → ArrayClient, table → TableClient). The default table is
 * client/structure-clients.ts; pass your own as `fromUri(uri, { structureClients })`.
 *
 * `kind`, as in `get(key, { kind: "run" })`, names a class in the same table, so "which spec means
 * which class" is written once.
 *
 * @example
 * const client = clientForItem(context, item, ["bdp2022", uid]);       // a BlueskyRun
 * const run = asKind(client, "run", context.structureClients);         // typed, or bad-input
 */
import { TiledError } from "../errors.js";
import type { NodeResource, Spec } from "../schemas/node.js";
import type { ArrayClient } from "./array.js";
import { BaseClient } from "./base.js";
import type { CatalogOfBlueskyRuns } from "./catalog.js";
import type { Container } from "./container.js";
import type { Context } from "../context.js";
import type { BlueskyRun } from "./run.js";
import type { BlueskyEventStream } from "./stream.js";
import type { TableClient } from "./table.js";

/** What `get(key, { kind })` can insist on, and the client type it then returns. */
export interface ClientKinds {
  container: Container;
  array: ArrayClient;
  table: TableClient;
  run: BlueskyRun;
  stream: BlueskyEventStream;
  /** A container of runs with the spec CatalogOfBlueskyRuns (databroker's catalogs carry it). */
  catalog: CatalogOfBlueskyRuns;
}
export type ClientKind = keyof ClientKinds;

export type ClientConstructor = new (context: Context, item: NodeResource, path: readonly string[]) => BaseClient;

export interface StructureClients {
  /** By spec name; a node's specs are tried in order. */
  specs: Readonly<Record<string, ClientConstructor>>;
  /** By structure family, when no spec has a client. */
  families: Readonly<Record<string, ClientConstructor>>;
  /** The class each `kind` stands for (a client is of a kind when it is an instance of it). */
  kinds: { readonly [K in ClientKind]: new (context: Context, item: NodeResource, path: readonly string[]) => ClientKinds[K] };
}

/**
 * The client for a node: the first of its specs with a client, else its structure family's. A
 * family with no class here (sparse, awkward, …) gets a BaseClient: its metadata can be read and
 * a listing that holds it still works, but it has no read().
 */
export function clientForItem(context: Context, item: NodeResource, path: readonly string[]): BaseClient {
  const table = context.structureClients;
  for (const spec of item.attributes.specs ?? []) {
    const ctor = table.specs[spec.name];
    if (ctor) return new ctor(context, item, path);
  }
  const family = item.attributes.structure_family;
  const ctor = family ? table.families[family] : undefined;
  return ctor ? new ctor(context, item, path) : new BaseClient(context, item, path);
}

/** "a container", "an array". */
export function withArticle(noun: string): string {
  return `${/^[aeiou]/i.test(noun) ? "an" : "a"} ${noun}`;
}

/** Return `client` typed as `kind`, or throw bad-input saying what it is instead. */
export function asKind<K extends ClientKind>(client: BaseClient, kind: K, table: StructureClients): ClientKinds[K] {
  const cls = table.kinds[kind];
  if (client instanceof cls) return client;
  const specs = client.specs.map((s) => s.name);
  throw new TiledError(
    "bad-input",
    `/${client.path.join("/")} is ${withArticle(client.structureFamily ?? "node")}${specs.length ? ` (specs ${specs.join(", ")})` : ""}, not ${withArticle(kind)}.`,
    { url: client.uri },
  );
}

/*
 * Which of the two ways of serving Bluesky runs a node uses, from its specs: which of the two ways of serving Bluesky runs a node uses, from its specs.
 *
 * - "tiledwriter": today's SQL catalog, written by bluesky-tiled-plugins' TiledWriter. Specs carry
 *   version 3.x (`CatalogOfBlueskyRuns` 3.0, `BlueskyRun` 3.0). Runs hold `{start, stop}`; a stream
 *   holds an `internal` table and one array per external data key. Bluesky queries (TimeRange,
 *   ScanID, …) are not implemented by the server and are rewritten on the client.
 * - "databroker": databroker's MongoAdapter (the 2022 demo's server, still common at facilities).
 *   Specs carry version 1. Runs hold `{start, stop, summary}`; a stream holds the containers
 *   `data`, `timestamps`, `config`, `config_timestamps` (xarray datasets of arrays). The server
 *   runs the Bluesky queries itself, searches the start document only, and sorts by bare keys.
 *
 * Decided from the node's specs, never from its URL, as bluesky-tiled-plugins decides between its
 * v2 and v3 clients. A stream's layout is confirmed from its children (see stream.ts).
 *
 * @example
 * catalogLayout(catalog.specs);                   // "databroker" for spec CatalogOfBlueskyRuns version "1"
 * specVersion(run.specs, "BlueskyRun");           // "3.0"
 * isDatabrokerSpec(stream.specs, "BlueskyEventStream");   // true for version "1"
 */
export type BlueskyLayout = "tiledwriter" | "databroker";

/** The version string of the named spec, or null if absent or unversioned. */
export function specVersion(specs: readonly Spec[], name: string): string | null {
  const spec = specs.find((s) => s.name === name);
  return spec?.version ?? null;
}

/** True when the named spec is present with major version 1 or 2 (databroker's adapters). */
export function isDatabrokerSpec(specs: readonly Spec[], name: string): boolean {
  const version = specVersion(specs, name);
  if (version === null) return false;
  const major = Number.parseInt(version, 10);
  return major === 1 || major === 2;
}

/** The layout of a catalog of runs: databroker for CatalogOfBlueskyRuns 1.x/2.x, else TiledWriter's. */
export function catalogLayout(specs: readonly Spec[]): BlueskyLayout {
  return isDatabrokerSpec(specs, "CatalogOfBlueskyRuns") ? "databroker" : "tiledwriter";
}

/**
 * client/base.ts — what every node client has: its path, metadata, specs and structure family.
 *
 * The node's description (a JSON:API resource) is fetched once, when the client is made; reading
 * `metadata` never goes back to the server. `refresh()` fetches it again.
 *
 * @example
 * const node = await client.get("bdp2022");
 * node.path;              // ["bdp2022"]
 * node.metadata;          // {} for a catalog, {start, stop} for a run
 * node.specs;             // [{ name: "BlueskyRun", version: "3.0" }]
 */
import type { Metadata, NodeResource, Spec } from "../schemas/node.js";
import { MetadataResponse } from "../schemas/node.js";
import type { StructureFamily } from "../schemas/structures.js";
import type { RequestOptions } from "../http/types.js";
import type { Context } from "../context.js";

export class BaseClient {
  readonly context: Context;
  readonly item: NodeResource;
  /** Keys from the root to this node. */
  readonly path: readonly string[];

  constructor(context: Context, item: NodeResource, path: readonly string[]) {
    this.context = context;
    this.item = item;
    this.path = [...path];
  }

  /** The node's key in its parent ("" for the root). */
  get key(): string {
    return this.path.length ? this.path[this.path.length - 1] : "";
  }

  /** The node's metadata (an empty object if the server sent none). */
  get metadata(): Metadata {
    return this.item.attributes.metadata ?? {};
  }

  get specs(): Spec[] {
    return this.item.attributes.specs ?? [];
  }

  get structureFamily(): StructureFamily | null {
    return this.item.attributes.structure_family ?? null;
  }

  /** The node's metadata URL, as a Python user knows it from `client.uri`. */
  get uri(): string {
    return this.context.apiUrl("metadata", this.path);
  }

  /** Fetch the node's description again (metadata, structure). */
  async refresh(options: RequestOptions = {}): Promise<this> {
    const response = await this.context.transport.getJson(this.uri, MetadataResponse, options);
    const Ctor = this.constructor as new (context: Context, item: NodeResource, path: readonly string[]) => this;
    return new Ctor(this.context, response.data, this.path);
  }

  /** How a notebook shows the client (util.inspect): one line, not the whole context. */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }

  toString(): string {
    const specs = this.specs.length ? ` specs=[${this.specs.map((s) => s.name).join(", ")}]` : "";
    return `<${this.constructor.name} /${this.path.join("/")}${specs}>`;
  }
}

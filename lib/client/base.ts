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
import type { ExportOptions, ExportResult } from "./export.js";
import type { DataSource, RawExportOptions } from "./data-sources.js";
import type { DeleteOptions, MetadataRevision, MetadataUpdate, PatchMetadataOptions, UpdateMetadataOptions } from "./metadata-update.js";

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

  /** This client again, around a newer description of the node (after a write). */
  protected withItem(item: NodeResource): this {
    const Ctor = this.constructor as new (context: Context, item: NodeResource, path: readonly string[]) => this;
    return new Ctor(this.context, item, this.path);
  }

  // --- export, data sources and writes (issue 20): each delegates to its own module, loaded on
  // first use, so a notebook that only reads does not load them (bench/first_cell.py) -------------

  /** The media types this node can be exported as (Python's `node.formats`): `await node.formats`. */
  get formats(): Promise<string[]> {
    return import("./export.js").then(({ formatsOf }) => formatsOf(this));
  }

  /** Write the node to a file in a format the server offers (client/export.ts). */
  async export(path: string, options: ExportOptions = {}): Promise<ExportResult> {
    const { exportNode } = await import("./export.js");
    return exportNode(this, path, options);
  }

  /** Where the node's data is stored: format, structure, files (client/data-sources.ts). */
  async dataSources(options: RequestOptions = {}): Promise<DataSource[]> {
    const { dataSourcesOf } = await import("./data-sources.js");
    return dataSourcesOf(this, options);
  }

  /** Download the files behind the node into `folder`; returns the paths written (client/data-sources.ts). */
  async rawExport(folder: string, options: RawExportOptions = {}): Promise<string[]> {
    const { rawExportNode } = await import("./data-sources.js");
    return rawExportNode(this, folder, options);
  }

  /** Merge `update` into the metadata (DELETE_KEY removes a key); returns the node as it is now (client/metadata-update.ts). */
  async updateMetadata(update: MetadataUpdate, options: UpdateMetadataOptions = {}): Promise<this> {
    const { updateMetadataOf } = await import("./metadata-update.js");
    return this.withItem(await updateMetadataOf(this, update, options));
  }

  /** Send a JSON Patch or JSON Merge Patch as given; returns the node as it is now. */
  async patchMetadata(options: PatchMetadataOptions): Promise<this> {
    const { patchMetadataOf } = await import("./metadata-update.js");
    return this.withItem(await patchMetadataOf(this, options));
  }

  /** Replace the metadata whole (and the specs, if given); returns the node as it is now. */
  async replaceMetadata(metadata: Record<string, unknown>, options: UpdateMetadataOptions = {}): Promise<this> {
    const { replaceMetadataOf } = await import("./metadata-update.js");
    return this.withItem(await replaceMetadataOf(this, metadata, options));
  }

  /** The saved states of the metadata, oldest first (Python's `metadata_revisions`). */
  async metadataRevisions(options: RequestOptions = {}): Promise<MetadataRevision[]> {
    const { revisionsOf } = await import("./metadata-update.js");
    return revisionsOf(this, options);
  }

  /** Delete one saved state (Python's `metadata_revisions.delete_revision(n)`). */
  async deleteRevision(revisionNumber: number, options: RequestOptions = {}): Promise<void> {
    const { deleteRevisionOf } = await import("./metadata-update.js");
    return deleteRevisionOf(this, revisionNumber, options);
  }

  /** Delete the node (`recursive` for a container's contents, `externalOnly: false` for data the server stores). */
  async delete(options: DeleteOptions = {}): Promise<void> {
    const { deleteNode } = await import("./metadata-update.js");
    return deleteNode(this, options);
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

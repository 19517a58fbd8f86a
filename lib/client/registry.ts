/**
 * client/registry.ts — which client class serves which node: specs first, then structure family.
 *
 * Like tiled's `client_for_item`: a node whose specs include "BlueskyRun" gets a BlueskyRun client,
 * one with "BlueskyEventStream" a BlueskyEventStream, and otherwise its structure family decides
 * (container → Container, array → ArrayClient, table → TableClient). Each client module registers
 * itself when imported (index.ts imports them all), which keeps the modules free of import cycles.
 *
 * @example
 * const client = clientForItem(context, item, ["bdp2022", uid]);
 * if (client instanceof BlueskyRun) console.log(client.start.plan_name);
 * registerSpecClient("MyRun", MyRunClient);   // extend with your own spec
 * specClientNames();                          // ["BlueskyRun", "BlueskyEventStream", …]
 */
import { TiledError } from "../errors";
import type { NodeResource } from "../schemas/node";
import type { BaseClient } from "./base";
import type { Context } from "./context";

export type ClientConstructor = new (context: Context, item: NodeResource, path: readonly string[]) => BaseClient;

const bySpec = new Map<string, ClientConstructor>();
const byFamily = new Map<string, ClientConstructor>();

export function registerSpecClient(spec: string, ctor: ClientConstructor): void {
  bySpec.set(spec, ctor);
}

export function registerFamilyClient(family: string, ctor: ClientConstructor): void {
  byFamily.set(family, ctor);
}

export function specClientNames(): string[] {
  return [...bySpec.keys()];
}

/** The client for a node: the first of its specs with a registered client, else its structure family's. */
export function clientForItem(context: Context, item: NodeResource, path: readonly string[]): BaseClient {
  for (const spec of item.attributes.specs ?? []) {
    const ctor = bySpec.get(spec.name);
    if (ctor) return new ctor(context, item, path);
  }
  const family = item.attributes.structure_family;
  const ctor = family ? byFamily.get(family) : undefined;
  if (!ctor) {
    throw new TiledError("invalid-response", `No client for structure family ${JSON.stringify(family)} at /${path.join("/")}.`);
  }
  return new ctor(context, item, path);
}

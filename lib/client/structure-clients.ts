/**
 * client/structure-clients.ts — the default table of client classes (see kinds.ts).
 *
 * @example
 * const mine = { ...DEFAULT_STRUCTURE_CLIENTS, specs: { ...DEFAULT_STRUCTURE_CLIENTS.specs, MyRun: MyRunClient } };
 * const client = await fromUri("http://127.0.0.1:8000", { structureClients: mine });
 */
import { ArrayClient } from "./array";
import { CatalogOfBlueskyRuns } from "./catalog";
import { Container } from "./container";
import type { StructureClients } from "./kinds";
import { BlueskyRun } from "./run";
import { BlueskyEventStream } from "./stream";
import { TableClient } from "./table";

export const DEFAULT_STRUCTURE_CLIENTS: StructureClients = {
  specs: { BlueskyRun, BlueskyEventStream, CatalogOfBlueskyRuns },
  families: { container: Container, composite: Container, array: ArrayClient, table: TableClient },
  kinds: { container: Container, array: ArrayClient, table: TableClient, run: BlueskyRun, stream: BlueskyEventStream, catalog: CatalogOfBlueskyRuns },
};

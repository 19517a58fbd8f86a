/**
 * client/structure-clients.ts — the default table of client classes (see kinds.ts).
 *
 * @example
 * const mine = { ...DEFAULT_STRUCTURE_CLIENTS, specs: { ...DEFAULT_STRUCTURE_CLIENTS.specs, MyRun: MyRunClient } };
 * const client = await fromUri("http://127.0.0.1:8000", { structureClients: mine });
 */
import { ArrayClient } from "./array.js";
import { CatalogOfBlueskyRuns } from "./catalog.js";
import { Container } from "./container.js";
import type { StructureClients } from "./kinds.js";
import { BlueskyRun } from "./run.js";
import { BlueskyEventStream } from "./stream.js";
import { TableClient } from "./table.js";

export const DEFAULT_STRUCTURE_CLIENTS: StructureClients = {
  specs: { BlueskyRun, BlueskyEventStream, CatalogOfBlueskyRuns },
  families: { container: Container, composite: Container, array: ArrayClient, table: TableClient },
  kinds: { container: Container, array: ArrayClient, table: TableClient, run: BlueskyRun, stream: BlueskyEventStream, catalog: CatalogOfBlueskyRuns },
};

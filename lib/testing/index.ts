/**
 * testing/index.ts — the testing entry (`tiled-client/testing`): record a server's responses,
 * replay them with no server, check that recordings still match the server, and digest values in
 * the oracle's canonical encoding (to compare with tiled's Python client). Snapshots plug into a
 * context as its `http` option; never part of the client's production path.
 *
 * @example
 * import { snapshotHttp, checkSnapshots } from "tiled-client/testing";
 * const client = await fromUri(url, { http: snapshotHttp({ mode: "replay", dir, baseUrl: url }) });
 */
export { snapshotHttp, snapshotKey, snapshotFileStem, listSnapshots, redactBytes, redactSecretFields, SnapshotStore, SECRET_FIELDS, BASE_URL_PLACEHOLDER, PROJECT_ROOT_PLACEHOLDER, SECRET_PLACEHOLDER } from "./snapshots.js";
export type { SnapshotMode, SnapshotOptions, SnapshotKey, SnapshotEntry } from "./snapshots.js";
export { checkSnapshots, normalizeBody, firstDifference, VOLATILE_FIELDS, LIVE_NODES } from "./freshness.js";
export type { CheckSnapshotsOptions, FreshnessReport, StaleSnapshot } from "./freshness.js";
export { CANONICAL_FORMAT, canonicalOf, digestNumbers, digestText } from "./canonical.js";
export type { CanonicalDigest, CanonicalEncoding } from "./canonical.js";

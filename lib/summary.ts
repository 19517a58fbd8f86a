/**
 * summary.ts — what the 2022 server's `summary` metadata gave, computed on the client.
 *
 * The 2022 databroker adapter added `summary` to every run: uid, scan_id, the start time as a
 * local ISO date-time in the server's zone (microseconds, no offset: '2022-09-08T13:54:25.178280'),
 * plan_name, stream_names and duration. Runs written by today's TiledWriter have no `summary`,
 * so `summary(run, zone)` rebuilds it from `start`, `stop` and the run's streams.
 *
 * @example
 * const s = await summary(run, "US/Central");
 * // { uid: "ae762f9c-…", scan_id: 1960, timestamp: 1662663265.17828,
 * //   datetime: "2022-09-08T13:54:25.178280", plan_name: "push_images",
 * //   stream_names: ["primary"], duration: 61.2 }
 */
import type { BlueskyRun } from "./client/run";
import { timestampToIsotime } from "./time";
import type { RequestOptions } from "./transport";

export interface RunSummary {
  uid: string;
  scan_id: number | null;
  /** start.time, epoch seconds. */
  timestamp: number;
  /** start.time as local ISO date-time in the zone, without offset. */
  datetime: string;
  plan_name: string | null;
  stream_names: string[];
  /** stop.time − start.time in seconds, or null if the run has no stop document. */
  duration: number | null;
}

/** The 2022-style summary of a run, with times shown in `zone` (an IANA name such as "US/Central"). */
export async function summary(run: BlueskyRun, zone: string, options: RequestOptions = {}): Promise<RunSummary> {
  const start = run.start;
  const stop = run.stop;
  const datetime = timestampToIsotime(start.time, zone);
  return {
    uid: start.uid,
    scan_id: start.scan_id ?? null,
    timestamp: start.time,
    datetime,
    plan_name: start.plan_name ?? null,
    stream_names: await run.streamNames(options),
    duration: stop ? stop.time - start.time : null,
  };
}

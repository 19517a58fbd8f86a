/**
 * summary.ts — what the 2022 server's `summary` metadata gave, computed on the client.
 *
 * The 2022 databroker adapter added `summary` to every run: uid, scan_id, the start time as a
 * local ISO date-time in the server's zone (microseconds, no offset: '2022-09-08T13:54:25.178280'),
 * plan_name, stream_names and duration. Runs written by today's TiledWriter have no `summary`,
 * so `summary(run, zone)` rebuilds it from `start`, `stop` and the run's streams. A run served by
 * databroker's MongoAdapter still carries the server's own summary, which is returned as sent (its
 * `datetime` is in the server's zone, which for the APS server and the replicas is US/Central).
 *
 * @example
 * const s = await summary(run, "US/Central");
 * // { uid: "ae762f9c-…", scan_id: 1960, timestamp: 1662663265.17828,
 * //   datetime: "2022-09-08T13:54:25.178280", plan_name: "push_images",
 * //   stream_names: ["primary"], duration: 61.2 }
 */
import { z } from "zod";
import type { BlueskyRun } from "./client/run.js";
import { timestampToIsotime } from "./time.js";
import type { RequestOptions } from "./http/types.js";

/** The server-made summary of databroker's MongoAdapter (the 2022 server), as it sends it. */
const RunSummarySchema = z.object({
  uid: z.string(),
  scan_id: z.number().int().nullable(),
  timestamp: z.number(),
  datetime: z.string(),
  plan_name: z.string().nullable(),
  stream_names: z.array(z.string()),
  duration: z.number().nullable(),
});

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
  // databroker's MongoAdapter still sends its own summary (its datetime is in the server's zone).
  const fromServer = RunSummarySchema.safeParse(run.metadata.summary);
  if (fromServer.success) {
    const s = fromServer.data;
    return { uid: s.uid, scan_id: s.scan_id ?? null, timestamp: s.timestamp, datetime: s.datetime, plan_name: s.plan_name ?? null, stream_names: [...s.stream_names], duration: s.duration ?? null };
  }
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

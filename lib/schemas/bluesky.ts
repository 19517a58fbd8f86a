/**
 * schemas/bluesky.ts — the Bluesky documents as TiledWriter stores them in node metadata.
 *
 * A run's metadata is `{start, stop}`; a stream's metadata is its event descriptor without
 * `name`, `object_keys` and `run_start`. The fields event-model defines, and those bluesky's plans
 * write (plan_name, detectors, motors, num_points, …), are typed; only uid and time are required.
 * A facility's own keys (title, sample_thickness_mm, …) pass through as `unknown`: type them with
 * `RunStart.extend({...})`, or `run.startWith({...})` on a run.
 *
 * @example
 * const md = RunMetadata.parse(run.metadata);
 * md.start.uid; md.start.time;            // "ae762f9c-…", 1662663265.17828
 * md.start.detectors;                     // ["adsimdet"] (string[] | undefined)
 * md.stop?.num_events;                    // { primary: 10000 }
 * StreamMetadata.parse(stream.metadata).data_keys;
 * RunStart.extend({ title: z.string() }).parse(md.start).title;   // a facility key, typed
 */
import { z } from "zod";

export const RunStart = z.looseObject({
  uid: z.string(),
  /** Seconds since the epoch. */
  time: z.number(),
  scan_id: z.number().int().optional(),
  plan_name: z.string().optional(),
  /** The plan's Python type, e.g. "generator". */
  plan_type: z.string().optional(),
  plan_args: z.record(z.string(), z.unknown()).optional(),
  /** Names of the detectors read. */
  detectors: z.array(z.string()).optional(),
  /** Names of the motors moved. */
  motors: z.array(z.string()).optional(),
  num_points: z.number().int().optional(),
  num_intervals: z.number().int().optional(),
  /** What to plot: { dimensions: [[fields, stream], …] }. */
  hints: z.record(z.string(), z.unknown()).optional(),
  /** Package versions at acquisition, e.g. { bluesky: "1.9.0", ophyd: "1.6.4" }. */
  versions: z.record(z.string(), z.unknown()).optional(),
  sample: z.union([z.string(), z.record(z.string(), z.unknown())]).optional(),
  project: z.string().optional(),
  group: z.string().optional(),
  owner: z.string().optional(),
  data_session: z.string().optional(),
});
export type RunStart = z.infer<typeof RunStart>;

export const RunStop = z.looseObject({
  uid: z.string().optional(),
  time: z.number(),
  run_start: z.string().optional(),
  exit_status: z.string().optional(),
  reason: z.string().optional(),
  num_events: z.record(z.string(), z.number()).optional(),
});
export type RunStop = z.infer<typeof RunStop>;

export const RunMetadata = z.looseObject({
  start: RunStart,
  /** Absent (or null) while the run is still going, or if it never ended cleanly. */
  stop: RunStop.nullable().optional(),
});
export type RunMetadata = z.infer<typeof RunMetadata>;

export const DataKey = z.looseObject({
  dtype: z.string(),
  shape: z.array(z.number().nullable()),
  source: z.string(),
  external: z.string().optional(),
  dtype_numpy: z.unknown().optional(),
  units: z.string().nullable().optional(),
});
export type DataKey = z.infer<typeof DataKey>;

export const ConfigurationEntry = z.looseObject({
  data: z.record(z.string(), z.unknown()),
  timestamps: z.record(z.string(), z.unknown()),
  data_keys: z.record(z.string(), DataKey),
});
export type ConfigurationEntry = z.infer<typeof ConfigurationEntry>;

export const StreamMetadata = z.looseObject({
  data_keys: z.record(z.string(), DataKey),
  configuration: z.record(z.string(), ConfigurationEntry).optional(),
  hints: z.record(z.string(), z.unknown()).optional(),
  object_keys: z.record(z.string(), z.unknown()).optional(),
  time: z.number().optional(),
  uid: z.string().optional(),
});
export type StreamMetadata = z.infer<typeof StreamMetadata>;

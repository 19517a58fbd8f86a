// Issue 19, item 5: every stream of every run of both catalogs, on both replicas, read by this
// client and compared with tiled's Python client (the oracle, server/oracle/stream_digest.py), value
// for value: for each variable Python's `run[stream].read()` returns (the data keys and `time`),
// the same name, the same shape and the same SHA-256 in the canonical encoding
// (`oracle-canonical/1`: lib/testing/canonical.ts is the twin of server/oracle/canonical.py).
// Nothing is skipped: a stream this client cannot read, a variable one side lacks, or a digest that
// differs is a failure, listed.
//
// Python's side is cached in var/oracle/ (keyed by the catalogs' generation stamps and the oracle's
// code), so after the first run only the TypeScript walk costs time (about a minute per replica
// with ORACLE_CONCURRENCY=4 runs in flight); a fresh clone pays Python's walk once (about 4 min a
// replica). Run it alone:
//
//   TILED_URL=http://127.0.0.1:8000 TILED_LEGACY_URL=http://127.0.0.1:8001 npx vitest run lib/test/oracle.live.test.ts
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import type { Vector } from "apache-arrow";
import { fromUri } from "../client/from-uri";
import type { Container } from "../client/container";
import type { ArrayData } from "../dtype";
import { mapLimit } from "../concurrency";
import { canonicalOf } from "../testing/canonical";
import { PROJECT_ROOT, replicas } from "./replicas";
import type { Replica } from "./replicas";

const CATALOGS = ["bdp2022", "20idb_usaxs"] as const;
/** The replica's generated catalogs (server/README.md): the same on both layouts. */
const EXPECTED = { bdp2022: { runs: 479, streams: 359 }, "20idb_usaxs": { runs: 222, streams: 444 } };
const CONCURRENCY = Number(process.env.ORACLE_CONCURRENCY || 4);
/** Python's walk of a replica not cached yet takes about 4 minutes; the TypeScript walk about one. */
const TIMEOUT_MS = 20 * 60_000;

interface PyVariable {
  name: string;
  shape: number[] | null;
  encoding: "numeric" | "text" | null;
  sha256: string | null;
  first: unknown[] | null;
  error: string | null;
}
interface PyStream {
  kind: "stream";
  catalog: string;
  uid: string;
  stream: string;
  read: string;
  error: string | null;
  variables: PyVariable[];
}
interface PyRun {
  kind: "run";
  catalog: string;
  uid: string;
  streams: string[];
  error: string | null;
}
type PyRecord = PyRun | PyStream | { kind: "header" | "summary" };

/** Python's digest of every stream at `url`, from the cache when it holds this replica's walk. */
function pythonDigest(url: string): PyRecord[] {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "oracle-")), "digest.jsonl");
  const result = spawnSync(path.join(PROJECT_ROOT, ".venv", "bin", "python"), ["-m", "oracle.stream_digest", "--url", url, "--out", out, "--cache"], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, PYTHONPATH: path.join(PROJECT_ROOT, "server") },
    encoding: "utf8",
    maxBuffer: 64 << 20,
  });
  if (result.status !== 0) throw new Error(`oracle.stream_digest failed for ${url}:\n${result.stdout}\n${result.stderr}`);
  const records = fs.readFileSync(out, "utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line) as PyRecord);
  fs.rmSync(path.dirname(out), { recursive: true, force: true });
  return records;
}

interface Walked {
  runs: Record<string, number>;
  streams: Record<string, number>;
  variables: number;
  failures: string[];
}

/** Compare one stream read by this client with Python's record of it. */
function compareStream(where: string, py: PyStream, values: Map<string, Vector | ArrayData>, failures: string[]): number {
  let compared = 0;
  const pyNames = py.variables.map((v) => v.name).sort();
  const tsNames = [...values.keys()].sort();
  if (pyNames.join(",") !== tsNames.join(",")) {
    failures.push(`${where}: variables differ: Python ${pyNames.join(", ")}; TypeScript ${tsNames.join(", ")}`);
  }
  for (const v of py.variables) {
    const value = values.get(v.name);
    if (!value) continue;
    if (v.error !== null || v.sha256 === null) {
      failures.push(`${where}/${v.name}: Python has no digest (${v.error ?? "none"})`);
      continue;
    }
    const ts = canonicalOf(value);
    compared++;
    if (ts.encoding !== v.encoding || ts.shape.join(",") !== (v.shape ?? []).join(",") || ts.sha256 !== v.sha256) {
      failures.push(
        `${where}/${v.name}: Python ${v.encoding} [${(v.shape ?? []).join(",")}] ${v.sha256.slice(0, 12)} first ${JSON.stringify(v.first)}; ` +
          `TypeScript ${ts.encoding} [${ts.shape.join(",")}] ${ts.sha256.slice(0, 12)} first ${JSON.stringify(ts.first)}`,
      );
    }
  }
  return compared;
}

/** Every run and stream of the replica, read by this client and compared with Python's records. */
async function walk(replica: Replica, records: PyRecord[]): Promise<Walked> {
  const pyRuns = new Map<string, PyRun>();
  const pyStreams = new Map<string, PyStream>();
  for (const r of records) {
    if (r.kind === "run") pyRuns.set(`${r.catalog}/${r.uid}`, r);
    if (r.kind === "stream") pyStreams.set(`${r.catalog}/${r.uid}/${r.stream}`, r);
  }
  const root = await fromUri(replica.url, replica.options);
  const walked: Walked = { runs: {}, streams: {}, variables: 0, failures: [] };
  for (const catalogName of CATALOGS) {
    const catalog = await root.get(catalogName, { kind: "catalog" });
    const uids = await catalog.keys().toArray();
    walked.runs[catalogName] = uids.length;
    walked.streams[catalogName] = 0;
    const pyUids = [...pyRuns.values()].filter((r) => r.catalog === catalogName).map((r) => r.uid);
    if ([...uids].sort().join() !== pyUids.sort().join()) walked.failures.push(`${catalogName}: the run keys differ from Python's (${uids.length} vs ${pyUids.length})`);
    await mapLimit(uids, CONCURRENCY, async (uid) => {
      const where = `${replica.name} ${catalogName}/${uid}`;
      try {
        const run = await (catalog as Container).get(uid, { kind: "run" });
        const names = (await run.streamNames()).sort();
        const py = pyRuns.get(`${catalogName}/${uid}`);
        if (py && py.streams.join(",") !== names.join(",")) walked.failures.push(`${where}: streams ${names.join(", ")}; Python ${py.streams.join(", ")}`);
        for (const name of names) {
          walked.streams[catalogName]++;
          const pyStream = pyStreams.get(`${catalogName}/${uid}/${name}`);
          try {
            const data = await (await run.stream(name)).read();
            const values = new Map<string, Vector | ArrayData>([...Object.entries(data.columns), ...Object.entries(data.arrays)]);
            if (!pyStream) walked.failures.push(`${where}/${name}: Python has no record of this stream`);
            else walked.variables += compareStream(`${where}/${name}`, pyStream, values, walked.failures);
          } catch (err) {
            walked.failures.push(`${where}/${name}: read() failed: ${(err as Error).message.split("\n")[0]}`);
          }
        }
      } catch (err) {
        walked.failures.push(`${where}: ${(err as Error).message.split("\n")[0]}`);
      }
    });
  }
  return walked;
}

describe.each(replicas())("19.5 every stream of every run on the $name replica reads, and agrees with tiled's Python client", (replica) => {
  it(
    "19.5 every stream of both catalogs read() (text columns decoded), each variable's name, shape and canonical sha256 equal to Python's",
    async () => {
      await replica.requireServer();
      const started = Date.now();
      const records = pythonDigest(replica.url);
      const pythonSeconds = (Date.now() - started) / 1000;
      const pyStreams = records.filter((r): r is PyStream => r.kind === "stream");
      // Python itself reads every stream whole: the comparison is with answers, not with errors.
      expect(pyStreams.filter((s) => s.read !== "dataset").map((s) => `${s.catalog}/${s.uid}/${s.stream}: ${s.error}`)).toEqual([]);
      const walkStarted = Date.now();
      const walked = await walk(replica, records);
      const tsSeconds = (Date.now() - walkStarted) / 1000;
      console.log(
        `${replica.name} (${replica.url}): ${JSON.stringify(walked.runs)} runs, ${JSON.stringify(walked.streams)} streams, ` +
          `${walked.variables} variables compared, ${walked.failures.length} failures; Python ${pythonSeconds.toFixed(1)} s (cache or walk), TypeScript ${tsSeconds.toFixed(1)} s`,
      );
      expect(walked.failures.slice(0, 40)).toEqual([]);
      for (const name of CATALOGS) {
        expect(walked.runs[name], name).toBe(EXPECTED[name].runs);
        expect(walked.streams[name], name).toBe(EXPECTED[name].streams);
        expect(pyStreams.filter((s) => s.catalog === name).length, name).toBe(EXPECTED[name].streams);
      }
      expect(walked.variables).toBe(pyStreams.reduce((n, s) => n + s.variables.length, 0));
    },
    TIMEOUT_MS,
  );
});

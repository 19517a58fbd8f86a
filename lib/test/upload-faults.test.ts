// Issue 20's bad input and faults, numbered "20.N": exports to folders that are missing or refuse
// files, a full disk, interrupted downloads, a server that lies about an asset's size, asset names
// that would escape the destination, uploads whose TypedArray does not match the declared shape
// or dtype, metadata JSON cannot carry, formats the server does not offer, servers without deep
// search, and refused writes. Servers here are local ones (local-server.ts) that misbehave on cue;
// every refusal "before sending" is checked by counting the requests they saw.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type * as http from "node:http";
import { createRequire } from "node:module";
import { Table } from "apache-arrow";
import { afterEach, describe, expect, it } from "vitest";
import { fromUri } from "../client/from-uri";
import type { Container } from "../client/container";
import type { BaseClient } from "../client/base";
import { exportNode } from "../client/export";
import type { OutputFile } from "../file-output";
import { openOutput } from "../file-output";
import { Key } from "../queries";
import { TiledError } from "../errors";
import { FAST_RETRY, localServers, sendJson } from "./local-server";
import type { LocalServer } from "./local-server";
import { ABOUT, nodeJson, treeHandler } from "./tiled-json";
import type { NodeJson } from "./tiled-json";
import { caught } from "./caught";

const serve = localServers();
const folders: string[] = [];
afterEach(() => {
  while (folders.length) fs.rmSync(folders.pop() ?? "", { recursive: true, force: true });
});
function tempFolder(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tiled-faults-"));
  folders.push(dir);
  return dir;
}

const ARRAY_FORMATS = ["application/octet-stream", "application/json", "text/csv", "image/png", "image/tiff"];
const ABOUT_WITH_FORMATS = {
  ...ABOUT,
  formats: { array: ARRAY_FORMATS, container: ["application/x-hdf5", "application/json"] },
  aliases: { array: { "text/csv": ["csv"], "image/tiff": ["tiff", "tif"], "application/netcdf": ["nc"] } },
};
const GRID = nodeJson(["grid"], "array", {
  structure: { data_type: { endianness: "little", kind: "f", itemsize: 8, dt_units: null }, chunks: [[1000]], shape: [1000], dims: null, resizable: false },
});

/** A tiled-like server: about with formats, a root and `nodes`; `extra` answers other routes first. */
async function tiledLike(nodes: NodeJson[], extra?: (req: http.IncomingMessage, res: http.ServerResponse, p: string) => boolean): Promise<LocalServer> {
  const tree = treeHandler([nodeJson([], "container"), ...nodes], extra);
  return serve((req, res, n) => {
    const p = new URL(req.url ?? "", "http://x").pathname;
    if (p === "/api/v1/") return sendJson(res, 200, ABOUT_WITH_FORMATS);
    tree(req, res, n);
  });
}

/** What is left in a folder (temporary files included: their names start with "."). */
const listing = (dir: string) => fs.readdirSync(dir).sort();

async function gridClient(server: LocalServer): Promise<BaseClient> {
  const root = await fromUri(server.url, FAST_RETRY);
  return root.get("grid");
}

const grid1000 = () => Buffer.from(new Float64Array(1000).map((_, i) => i).buffer);

describe("export: the destination", () => {
  it("20.1 a folder that does not exist is refused before the export request, saying so", async () => {
    const server = await tiledLike([GRID]);
    const node = await gridClient(server);
    const before = server.requests.length;
    const err = await caught(node.export(path.join(tempFolder(), "missing", "grid.csv")));
    expect(err).toBeInstanceOf(TiledError);
    expect((err as TiledError).code).toBe("bad-input");
    expect((err as TiledError).message).toMatch(/folder .*missing does not exist: create it first/);
    expect(server.requests.length).toBe(before);
  });

  it("20.2 a folder that takes no file (/sys: read-only even for root) is refused before the export request", async () => {
    const server = await tiledLike([GRID]);
    const node = await gridClient(server);
    const before = server.requests.length;
    const err = (await caught(node.export("/sys/tiled-export-test.csv"))) as TiledError;
    expect(err.code).toBe("bad-input");
    expect(err.message).toMatch(/Cannot create a file in \/sys \(EACCES|EROFS\)/);
    expect(err.message).toMatch(/choose a writable folder/);
    expect(server.requests.filter((r) => r.url.includes("array/full")).length).toBe(0);
    expect(server.requests.length - before).toBeLessThanOrEqual(1); // at most the about request
  });

  it("20.3 an existing file is kept unless overwrite: true, and then replaced whole", async () => {
    const server = await tiledLike([GRID], (req, res, p) => {
      if (!p.startsWith("/api/v1/array/full/grid")) return false;
      res.writeHead(200, { "content-type": "text/csv; charset=utf-8" });
      res.end("0.0\n1.0\n");
      return true;
    });
    const node = await gridClient(server);
    const dir = tempFolder();
    const file = path.join(dir, "grid.csv");
    fs.writeFileSync(file, "precious");
    const err = (await caught(node.export(file))) as TiledError;
    expect(err.message).toMatch(/exists already: pass overwrite: true/);
    expect(fs.readFileSync(file, "utf8")).toBe("precious");
    expect(server.requests.some((r) => r.url.includes("array/full"))).toBe(false);
    const result = await node.export(file, { overwrite: true });
    expect(fs.readFileSync(file, "utf8")).toBe("0.0\n1.0\n");
    expect(result).toMatchObject({ bytes: 8, format: "text/csv", requests: 1 });
    expect(listing(dir)).toEqual(["grid.csv"]);
  });

  it("20.4 a full disk mid-export (writes fail with ENOSPC) leaves no file and says the disk is full", async () => {
    const server = await tiledLike([GRID], (req, res, p) => {
      if (!p.startsWith("/api/v1/array/full/grid")) return false;
      res.writeHead(200, { "content-type": "application/octet-stream" });
      res.end(grid1000());
      return true;
    });
    const node = await gridClient(server);
    const dir = tempFolder();
    // The real temporary file, whose writes fail once 1 KB is on disk, as a full disk's do.
    const fullDisk = (dest: string, options: { overwrite?: boolean }): OutputFile => {
      const real = openOutput(dest, options);
      return {
        get path() { return real.path; },
        get bytes() { return real.bytes; },
        write: async (chunk) => {
          if (real.bytes + chunk.byteLength > 1024) throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
          await real.write(chunk);
        },
        commit: () => real.commit(),
        abort: () => real.abort(),
      };
    };
    const err = (await caught(exportNode(node, path.join(dir, "grid.bin"), { format: "application/octet-stream" }, fullDisk))) as Error;
    expect(String(err.message)).toMatch(/ENOSPC/);
    expect(listing(dir)).toEqual([]);
  });

  it("20.5 a body cut short (the server closes mid-body) leaves no file, not even a temporary one", async () => {
    const server = await tiledLike([GRID], (req, res, p) => {
      if (!p.startsWith("/api/v1/array/full/grid")) return false;
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": "8000" });
      res.write(grid1000().subarray(0, 3000));
      setTimeout(() => res.destroy(), 20);
      return true;
    });
    const node = await gridClient(server);
    const dir = tempFolder();
    const err = (await caught(node.export(path.join(dir, "grid.bin"), { format: "application/octet-stream" }))) as TiledError;
    expect(err.code).toBe("invalid-response");
    expect(err.message).toMatch(/cut short/);
    expect(listing(dir)).toEqual([]);
  });

  it("20.6 an export cancelled mid-body (AbortSignal) leaves no file", async () => {
    const server = await tiledLike([GRID], (req, res, p) => {
      if (!p.startsWith("/api/v1/array/full/grid")) return false;
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": "8000" });
      res.write(grid1000().subarray(0, 4000)); // and never the rest
      return true;
    });
    const node = await gridClient(server);
    const dir = tempFolder();
    const controller = new AbortController();
    const err = (await caught(node.export(path.join(dir, "grid.bin"), { format: "application/octet-stream", signal: controller.signal, onProgress: (n) => n >= 4000 && controller.abort() }))) as TiledError;
    expect(err.code).toBe("aborted");
    expect(listing(dir)).toEqual([]);
  });

  it("20.7 a server that sends fewer bytes than the array's structure says: no file", async () => {
    const server = await tiledLike([GRID], (req, res, p) => {
      if (!p.startsWith("/api/v1/array/full/grid")) return false;
      res.writeHead(200, { "content-type": "application/octet-stream" });
      res.end(grid1000().subarray(0, 800)); // complete per Content-Length, short per the structure
      return true;
    });
    const node = await gridClient(server);
    const dir = tempFolder();
    const err = (await caught(node.export(path.join(dir, "grid.bin"), { format: "application/octet-stream" }))) as TiledError;
    expect(err.message).toMatch(/sent 800 bytes .* not the 8000 its structure says/);
    expect(listing(dir)).toEqual([]);
  });
});

describe("export: formats", () => {
  it("20.8 a format the server does not offer is refused before the export request, naming the ones it does", async () => {
    const server = await tiledLike([GRID]);
    const node = await gridClient(server);
    const dir = tempFolder();
    for (const format of ["nc", "xlsx", "application/x-hdf5"]) {
      const err = (await caught(node.export(path.join(dir, "grid.out"), { format }))) as TiledError;
      expect(err.code, format).toBe("bad-input");
      expect(err.message, format).toMatch(/It offers: application\/json .*text\/csv \(csv\)/);
    }
    const unknown = (await caught(node.export(path.join(dir, "grid.xyz")))) as TiledError;
    expect(unknown.message).toMatch(/"xyz" is not a format name this client knows/);
    expect(server.requests.some((r) => r.url.includes("array/full"))).toBe(false);
    expect(listing(dir)).toEqual([]);
  });

  it("20.9 the server's aliases over-advertise: nc is listed for arrays, yet refused here (no family exports netCDF)", async () => {
    const server = await tiledLike([GRID]);
    const node = await gridClient(server);
    expect(await node.formats).toEqual([...ARRAY_FORMATS].sort());
    const err = (await caught(node.export(path.join(tempFolder(), "grid.nc")))) as TiledError;
    expect(err.message).toMatch(/cannot export this array as application\/x-netcdf \("nc"\)/);
  });
});

/** A node with one data source whose assets are given; `/asset/bytes` answers with `bytes(id, relativePath)`. */
async function assetServer(assets: unknown[], bytes: (req: http.IncomingMessage, res: http.ServerResponse, id: string, relative: string | null) => void, manifest: string[] = []): Promise<LocalServer> {
  const node = nodeJson(["raw"], "array", { structure: GRID.attributes.structure });
  const withSources = { ...node, attributes: { ...node.attributes, data_sources: [{ id: 1, structure_family: "array", structure: null, mimetype: "image/tiff", parameters: {}, assets, management: "external" }] } };
  return tiledLike([withSources], (req, res, p) => {
    const url = new URL(req.url ?? "", "http://x");
    if (p.startsWith("/api/v1/asset/bytes/raw")) {
      bytes(req, res, url.searchParams.get("id") ?? "", url.searchParams.get("relative_path"));
      return true;
    }
    if (p.startsWith("/api/v1/asset/manifest/raw")) {
      sendJson(res, 200, { manifest });
      return true;
    }
    return false;
  });
}

const asset = (id: number, file: string, size: number | null, isDirectory = false) => ({ data_uri: `file://localhost/data/raw/${file}`, is_directory: isDirectory, parameter: "data_uris", num: 0, id, size });

describe("raw export", () => {
  it("20.10 a server that lies about an asset's size (says 100 bytes, sends 50) leaves no file", async () => {
    const server = await assetServer([asset(1, "frame.tiff", 100)], (_req, res) => {
      res.writeHead(200, { "content-type": "image/tiff" });
      res.end(Buffer.alloc(50, 7));
    });
    const node = await (await fromUri(server.url, FAST_RETRY)).get("raw");
    const dir = path.join(tempFolder(), "out");
    const err = (await caught(node.rawExport(dir))) as TiledError;
    expect(err.code).toBe("invalid-response");
    expect(err.message).toMatch(/lists asset 1 as 100 bytes but sent 50; the file was not kept/);
    expect(listing(dir)).toEqual([]);
  });

  it("20.11 …or sends more than it says: stopped at the stated size, no file", async () => {
    const server = await assetServer([asset(1, "frame.tiff", 100)], (_req, res) => {
      res.writeHead(200, { "content-type": "image/tiff" });
      res.end(Buffer.alloc(5000, 7));
    });
    const node = await (await fromUri(server.url, FAST_RETRY)).get("raw");
    const dir = path.join(tempFolder(), "out");
    const err = (await caught(node.rawExport(dir))) as TiledError;
    expect(err.message).toMatch(/more than the 100 bytes it lists for asset 1/);
    expect(listing(dir)).toEqual([]);
  });

  it("20.12 …or announces more than it sends (Content-Length 100, closes after 40): no file", async () => {
    const server = await assetServer([asset(1, "frame.tiff", null)], (_req, res) => {
      res.writeHead(200, { "content-type": "image/tiff", "content-length": "100" });
      res.write(Buffer.alloc(40, 7));
      setTimeout(() => res.destroy(), 20);
    });
    const node = await (await fromUri(server.url, FAST_RETRY)).get("raw");
    const dir = path.join(tempFolder(), "out");
    const err = (await caught(node.rawExport(dir))) as TiledError;
    expect(err.message).toMatch(/cut short/);
    expect(listing(dir)).toEqual([]);
  });

  it("20.13 asset names that would escape the destination are refused before any download", async () => {
    const cases: [unknown[], string[], RegExp][] = [
      [[asset(1, "zarr", null, true)], ["../outside"], /contains "\.\.", "\." or an empty segment/],
      [[asset(1, "zarr", null, true)], ["/data/raw/zarr/../../../etc/passwd"], /contains "\.\."/],
      [[asset(1, "zarr", null, true)], ["/etc/passwd"], /outside the asset's directory \/data\/raw\/zarr; refused/],
      [[asset(1, "zarr", null, true)], ["/data/raw/zarr-other/file"], /outside the asset's directory/],
    ];
    for (const [assets, manifest, message] of cases) {
      const server = await assetServer(assets, (_req, res) => sendJson(res, 500, { detail: "must not be asked" }), manifest);
      const node = await (await fromUri(server.url, FAST_RETRY)).get("raw");
      const dir = path.join(tempFolder(), "out");
      const err = (await caught(node.rawExport(dir))) as TiledError;
      expect(err.code).toBe("bad-input");
      expect(err.message).toMatch(message);
      expect(server.requests.some((r) => r.url.includes("asset/bytes"))).toBe(false);
      expect(server.requests.some((r) => r.url.includes("relative_path") && r.url.includes(".."))).toBe(false);
    }
  });

  it("20.14 an asset that is not a file (an SQL table) is refused, pointing at export()", async () => {
    const server = await assetServer([{ ...asset(1, "t", null), data_uri: "sqlite://localhost//data/tabular.db" }], (_req, res) => sendJson(res, 500, {}));
    const node = await (await fromUri(server.url, FAST_RETRY)).get("raw");
    const err = (await caught(node.rawExport(path.join(tempFolder(), "out")))) as TiledError;
    expect(err.message).toMatch(/stored in sqlite .* export it instead/);
  });

  it("20.15 the folder's parent must exist; files that exist are kept unless overwrite", async () => {
    const server = await assetServer([asset(1, "frame.tiff", 3)], (_req, res) => {
      res.writeHead(200, { "content-type": "image/tiff" });
      res.end(Buffer.from("abc"));
    });
    const node = await (await fromUri(server.url, FAST_RETRY)).get("raw");
    const missing = (await caught(node.rawExport(path.join(tempFolder(), "no", "out")))) as TiledError;
    expect(missing.message).toMatch(/does not exist/);
    const dir = path.join(tempFolder(), "out");
    expect(await node.rawExport(dir)).toEqual([path.join(dir, "frame.tiff")]);
    const again = (await caught(node.rawExport(dir))) as TiledError;
    expect(again.message).toMatch(/exists already: pass overwrite: true/);
    expect(await node.rawExport(dir, { overwrite: true })).toEqual([path.join(dir, "frame.tiff")]);
    expect(listing(dir)).toEqual(["frame.tiff"]);
  });
});

/** A writable-looking root that records writes and answers `status` to every one. */
async function writeServer(status = 200, detail: unknown = null): Promise<{ server: LocalServer; root: Container; writes: () => number }> {
  let writes = 0;
  const server = await tiledLike([], (req, res) => {
    if (req.method === "GET") return false;
    writes++;
    sendJson(res, status, status === 200 ? { id: "x" } : { detail });
    return true;
  });
  return { server, root: await fromUri(server.url, { ...FAST_RETRY, apiKey: "secret-key-for-tests" }), writes: () => writes };
}

describe("upload: refused before sending", () => {
  it("20.16 a TypedArray whose length does not match the shape", async () => {
    const { root, writes } = await writeServer();
    const err = (await caught(root.writeArray("a", new Float64Array(6), { shape: [2, 4] }))) as TiledError;
    expect(err.code).toBe("bad-input");
    expect(err.message).toBe("The Float64Array holds 6 values but shape [2, 4] needs 8. Give the shape that matches the data.");
    const complex = (await caught(root.writeArray("c", new Float32Array(6), { shape: [6], dtype: "complex64" }))) as TiledError;
    expect(complex.message).toMatch(/needs 12 \(6 complex values, real and imaginary interleaved\)/);
    expect(writes()).toBe(0);
  });

  it("20.17 a dtype the TypedArray cannot hold exactly", async () => {
    const { root, writes } = await writeServer();
    const cases: [Parameters<Container["writeArray"]>[1], string, RegExp][] = [
      [new Int32Array(2), "float64", /An Int32Array cannot hold float64 exactly \(it can be written as i4\)/],
      [new Float64Array(2), "int64", /A Float64Array cannot hold int64 exactly/],
      [new Uint8Array([0, 2]), "bool", /A bool array holds only 0 and 1; element 1 is 2/],
      [new Float32Array([1, 70000]), "float16", /Element 1 \(70000\) is too large for float16/],
      [new BigInt64Array(2), "datetime64", /not one this client writes/],
      [new Uint16Array(2), "<u4", /A Uint16Array cannot hold <u4 exactly/],
    ];
    for (const [data, dtype, message] of cases) {
      const err = (await caught(root.writeArray("a", data, { dtype }))) as TiledError;
      expect(err.code, dtype).toBe("bad-input");
      expect(err.message, dtype).toMatch(message);
    }
    const plain = (await caught(root.writeArray("a", [1, 2, 3] as unknown as Float64Array))) as TiledError;
    expect(plain.message).toMatch(/takes a TypedArray .* not a plain array/);
    expect(writes()).toBe(0);
  });

  it("20.18 metadata JSON cannot carry, named by its key path", async () => {
    const { root, writes } = await writeServer();
    const cyclic: Record<string, unknown> = { a: { b: 1 } };
    (cyclic.a as Record<string, unknown>).back = cyclic;
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ sample: { temperature: NaN } }, /^metadata\.sample\.temperature is NaN, which JSON cannot carry/],
      [{ limits: [0, Infinity] }, /^metadata\.limits\[1\] is Infinity/],
      [{ count: 10n }, /^metadata\.count is a BigInt \(10n\)/],
      [{ note: undefined }, /^metadata\.note is undefined/],
      [{ fn: () => 1 }, /^metadata\.fn is a function/],
      [cyclic, /^metadata\.a\.back is a reference back to one of its own containers \(a cycle\)/],
      [{ when: new Date(0) }, /^metadata\.when is a Date.*toISOString/],
      [{ "odd key": { m: new Map() } }, /^metadata\["odd key"\]\.m is a Map/],
    ];
    for (const [metadata, message] of cases) {
      const err = (await caught(root.createContainer("c", { metadata }))) as TiledError;
      expect(err.code).toBe("bad-input");
      expect(err.message).toMatch(message);
      const arr = (await caught(root.writeArray("a", new Int8Array(1), { metadata }))) as TiledError;
      expect(arr.message).toMatch(message);
    }
    expect(writes()).toBe(0);
  });

  it("20.19 metadata updates are checked the same way; DELETE_KEY is allowed", async () => {
    const { root, writes } = await writeServer();
    const err = (await caught(root.updateMetadata({ x: { y: -Infinity } }))) as TiledError;
    expect(err.message).toMatch(/^metadata\.x\.y is -Infinity/);
    expect(writes()).toBe(0);
  });

  it("20.20 keys that could never be addressed, and specs tiled refuses", async () => {
    const { root, writes } = await writeServer();
    expect(((await caught(root.createContainer("a/b"))) as TiledError).message).toMatch(/contains "\/"/);
    expect(((await caught(root.createContainer(".."))) as TiledError).message).toMatch(/not allowed/);
    expect(((await caught(root.createContainer("c", { specs: ["A", "A"] }))) as TiledError).message).toMatch(/Spec "A" is given twice/);
    expect(writes()).toBe(0);
  });
});

describe("upload: apache-arrow's other copy", () => {
  it("20.25 a Table or Schema built by the CommonJS copy (as tslab loads it) is refused before sending, naming the copy to use", async () => {
    const { root, writes } = await writeServer();
    // What a notebook's `import { Table } from "apache-arrow"` gives under tslab: the CommonJS build.
    const cjs = createRequire(import.meta.url)("apache-arrow") as typeof import("apache-arrow");
    const table = new cjs.Table({ x: cjs.vectorFromArray([1, 2], new cjs.Float64()) });
    expect(table instanceof Table).toBe(true); // passes instanceof, yet serializes corrupted
    const err = (await caught(root.writeTable("t", table))) as TiledError;
    expect(err.message).toMatch(/built by another copy of apache-arrow .* import \{ arrow \} from "tiled-client"/);
    const schema = new cjs.Schema([new cjs.Field("x", new cjs.Float64(), true)]);
    expect(((await caught(root.createAppendableTable("a", schema))) as TiledError).message).toMatch(/import \{ arrow \} from "tiled-client"/);
    expect(writes()).toBe(0);
  });
});

describe("upload: refused by the server, with what to do", () => {
  it.each([
    [401, "Not enough permissions. Requires scopes ['write:metadata', 'create:node']. Request had scopes []", /needs credentials with write access: give an API key/],
    [403, "Forbidden", /may not write .*: use a key or an account with write scopes/],
    [405, "Data cannot be written at the path /c", /a read-only catalog\): write .* to a writable tiled server/],
    [409, "/c", /\/c exists already: choose another key, or delete the existing node first/],
  ])("20.21 %i", async (status, detail, advice) => {
    const { root } = await writeServer(status, detail);
    const err = (await caught(root.createContainer("c"))) as TiledError;
    expect(err).toBeInstanceOf(TiledError);
    expect(err.status).toBe(status);
    expect(err.message).toMatch(advice);
    expect(err.message).not.toContain("secret-key-for-tests");
  });
});

describe("a write whose data is refused after its node was created", () => {
  /** POST creates "x"; its data (PUT) answers 500; DELETE answers `deleteStatus`. Records the methods seen. */
  async function halfWrite(deleteStatus: number): Promise<{ root: Container; methods: string[] }> {
    const methods: string[] = [];
    const x = nodeJson(["x"], "array", { structure: GRID.attributes.structure });
    const server = await tiledLike([x], (req, res) => {
      if (req.method === "GET") return false;
      methods.push(req.method ?? "");
      if (req.method === "POST") sendJson(res, 200, { id: "x" });
      else if (req.method === "PUT") sendJson(res, 500, { detail: "Internal server error" });
      else sendJson(res, deleteStatus, deleteStatus === 200 ? null : { detail: "Internal server error" });
      return true;
    });
    return { root: await fromUri(server.url, { ...FAST_RETRY, apiKey: "k" }), methods };
  }

  it("20.26 the half-made node is deleted again, so the same key can be used", async () => {
    const { root, methods } = await halfWrite(200);
    const err = (await caught(root.writeArray("x", new Float64Array(1000)))) as TiledError;
    expect(err.status).toBe(500);
    expect(err.message).toMatch(/The node \/x created for it was deleted again\./);
    expect(methods).toEqual(["POST", "PUT", "DELETE"]);
  });

  it("20.27 …and when the server refuses the DELETE and the node is still there, the message says it is left", async () => {
    const { root, methods } = await halfWrite(500);
    const err = (await caught(root.writeArray("x", new Float64Array(1000)))) as TiledError;
    expect(err.message).toMatch(/was created but holds no data, and the server would not delete it: delete it later, or use another key/);
    expect(methods).toEqual(["POST", "PUT", "DELETE"]);
  });
});

describe("export over the server's answer limit", () => {
  it("20.28 a format that cannot be split (JSON) over 300 MB: the server's 400, with what to do", async () => {
    const server = await tiledLike([GRID], (req, res, p) => {
      if (!p.startsWith("/api/v1/array/full/grid")) return false;
      sendJson(res, 400, { detail: "Response would exceed 300000000. Use slicing ('?slice=...') to request smaller chunks." });
      return true;
    });
    const node = await gridClient(server);
    const dir = tempFolder();
    const err = (await caught(node.export(path.join(dir, "grid.json")))) as TiledError;
    expect(err.code).toBe("too-large");
    expect(err.message).toMatch(/Export a slice \(slice: …\), some columns, or, for an array, the raw bytes or CSV, which this client splits/);
    expect(listing(dir)).toEqual([]);
  });

  it("20.29 raw bytes over the limit are split into requests under it, and joined in order", async () => {
    const bytes = grid1000();
    const seen: string[] = [];
    const server = await tiledLike([GRID], (req, res, p) => {
      if (!p.startsWith("/api/v1/array/full/grid")) return false;
      const slice = new URL(req.url ?? "", "http://x").searchParams.get("slice") ?? "";
      seen.push(slice);
      const [start, stop] = slice.split(":").map(Number);
      res.writeHead(200, { "content-type": "application/octet-stream" });
      res.end(bytes.subarray(start * 8, stop * 8));
      return true;
    });
    const root = await fromUri(server.url, { ...FAST_RETRY, responseBytesizeLimit: 3000 });
    const node = await root.get("grid");
    const file = path.join(tempFolder(), "grid.bin");
    const result = await node.export(file, { format: "application/octet-stream" });
    expect(seen).toEqual(["0:375", "375:750", "750:1000"]);
    expect(result.requests).toBe(3);
    expect(fs.readFileSync(file).equals(bytes)).toBe(true);
  });
});

describe("deep search", () => {
  it("20.22 a server that lists search_deep but cannot run it (databroker's MongoAdapter: 400) → unsupported-query", async () => {
    const root = nodeJson([], "container");
    const withLink = { ...root, links: { search_deep: "http://x/api/v1/search-deep/" } };
    const server = await serve((req, res) => {
      const p = new URL(req.url ?? "", "http://x").pathname;
      if (p === "/api/v1/") return sendJson(res, 200, ABOUT_WITH_FORMATS);
      if (p.startsWith("/api/v1/metadata/")) return sendJson(res, 200, { data: withLink });
      sendJson(res, 400, { detail: "This Tree does not support deep search." });
    });
    const client = await fromUri(server.url, FAST_RETRY);
    const err = (await caught(client.searchDeep([Key("sample").eq("Ni")]))) as TiledError;
    expect(err.code).toBe("unsupported-query");
    expect(err.message).toMatch(/cannot search below \/: This Tree does not support deep search\..*Search each container with search\(\) instead/);
  });

  it("20.23 no query, a depth out of range, or no search_deep link: refused before sending", async () => {
    const server = await tiledLike([]);
    const client = await fromUri(server.url, FAST_RETRY);
    const before = server.requests.length;
    expect(((await caught(client.searchDeep([]))) as TiledError).message).toMatch(/at least one query/);
    expect(((await caught(client.searchDeep([Key("a").eq(1)], { maxDepth: 65 }))) as TiledError).message).toMatch(/from 1 to 64/);
    const noLink = (await caught(client.searchDeep([Key("a").eq(1)]))) as TiledError;
    expect(noLink.code).toBe("unsupported-query");
    expect(noLink.message).toMatch(/no search_deep link/);
    expect(server.requests.length).toBe(before);
  });
});

describe("the temporary file", () => {
  it("20.24 is hidden, beside the destination, and gone once the file has its name", async () => {
    let seen: string[] = [];
    const dir = tempFolder();
    const server = await tiledLike([GRID], (req, res, p) => {
      if (!p.startsWith("/api/v1/array/full/grid")) return false;
      res.writeHead(200, { "content-type": "text/csv" });
      res.write("1.0\n");
      setTimeout(() => {
        seen = listing(dir);
        res.end("2.0\n");
      }, 30);
      return true;
    });
    const node = await gridClient(server);
    const progress: number[] = [];
    await node.export(path.join(dir, "grid.csv"), { onProgress: (n) => progress.push(n) });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatch(/^\.grid\.csv\.tiled-part-\d+-[0-9a-f]{8}$/);
    expect(listing(dir)).toEqual(["grid.csv"]);
    expect(progress[progress.length - 1]).toBe(8);
  });
});

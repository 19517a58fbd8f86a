// client/kinds.ts (with client/structure-clients.ts): which client class serves which node — the
// first of its specs with a class in the table, else its structure family — and `kind`, checked
// against the same table. On a local server serving tiled-like JSON (tiled-json.ts).
import { describe, expect, it } from "vitest";
import { ArrayClient } from "../client/array";
import { BaseClient } from "../client/base";
import { Container } from "../client/container";
import { fromUri } from "../client/from-uri";
import { asKind, catalogLayout, isDatabrokerSpec } from "../client/kinds";
import type { StructureClients } from "../client/kinds";
import { BlueskyRun } from "../client/run";
import { DEFAULT_STRUCTURE_CLIENTS } from "../client/structure-clients";
import { caught, thrown } from "./caught";
import { localServers } from "./local-server";
import { nodeJson, treeHandler } from "./tiled-json";

const serve = localServers();

/** A facility's own client class, for nodes with the spec "Sample". */
class SampleContainer extends Container {
  get sampleName(): string {
    return String(this.metadata.sample);
  }
}

const WITH_SAMPLES: StructureClients = {
  ...DEFAULT_STRUCTURE_CLIENTS,
  specs: { ...DEFAULT_STRUCTURE_CLIENTS.specs, Sample: SampleContainer },
};

const RUN_START = { start: { uid: "brun", time: 1 }, stop: null };
const TREE = [
  nodeJson([], "container"),
  nodeJson(["cat"], "container"),
  nodeJson(["cat", "s1"], "container", { specs: [{ name: "Sample", version: "1" }], metadata: { sample: "quartz" } }),
  nodeJson(["cat", "plain"], "container"),
  // Specs are tried in order: an unknown spec is skipped, the first with a class wins.
  nodeJson(["cat", "both"], "container", { specs: [{ name: "Unknown" }, { name: "Sample" }, { name: "BlueskyRun", version: "3.0" }], metadata: { sample: "salt", ...RUN_START } }),
  nodeJson(["cat", "brun"], "container", { specs: [{ name: "BlueskyRun", version: "3.0" }, { name: "Sample" }], metadata: RUN_START }),
  nodeJson(["cat", "img"], "array", {
    structure: { data_type: { endianness: "little", kind: "u", itemsize: 2 }, chunks: [[2], [2]], shape: [2, 2], dims: null, resizable: false },
  }),
  nodeJson(["other"], "container"),
  nodeJson(["other", "sp"], "sparse", { structure: {} }),
];

describe("structureClients: a custom class for a spec", () => {
  it("serves every node carrying the spec, through get, values, items and fromUri of the node itself", async () => {
    const server = await serve(treeHandler(TREE));
    const root = await fromUri(server.url, { structureClients: WITH_SAMPLES });
    const s1 = await root.get("cat/s1");
    expect(s1).toBeInstanceOf(SampleContainer);
    expect(s1 instanceof SampleContainer && s1.sampleName).toBe("quartz");
    const cat = await root.get("cat", { kind: "container" });
    const byKey = Object.fromEntries((await cat.values().toArray()).map((c) => [c.key, c.constructor.name]));
    expect(byKey).toMatchObject({ s1: "SampleContainer", plain: "Container", both: "SampleContainer", brun: "BlueskyRun", img: "ArrayClient" });
    const items = await cat.items().toArray();
    expect(items.find(([key]) => key === "s1")?.[1]).toBeInstanceOf(SampleContainer);
    expect(await fromUri(`${server.url}/cat/s1`, { structureClients: WITH_SAMPLES })).toBeInstanceOf(SampleContainer);
    // Children share their parent's table.
    expect((await (await root.get("cat", { kind: "container" })).get("both"))).toBeInstanceOf(SampleContainer);
  });

  it("without the option the default table applies: the spec is unknown, the node a plain Container", async () => {
    const server = await serve(treeHandler(TREE));
    const root = await fromUri(server.url);
    const s1 = await root.get("cat/s1");
    expect(s1).toBeInstanceOf(Container);
    expect(s1).not.toBeInstanceOf(SampleContainer);
    expect(await root.get("cat/both")).toBeInstanceOf(BlueskyRun);
  });

  it("the first of a node's specs with a class wins; with none, the structure family decides", async () => {
    const server = await serve(treeHandler(TREE));
    const root = await fromUri(server.url, { structureClients: WITH_SAMPLES });
    expect(await root.get("cat/both")).toBeInstanceOf(SampleContainer); // Unknown skipped, Sample before BlueskyRun
    expect(await root.get("cat/brun")).toBeInstanceOf(BlueskyRun); // BlueskyRun before Sample
    expect(await root.get("cat/img")).toBeInstanceOf(ArrayClient);
    const plain = await root.get("cat/plain");
    expect(plain.constructor).toBe(Container);
  });

  it("a structure family without a class gets a BaseClient: its metadata reads, and a listing that holds it still works", async () => {
    const server = await serve(treeHandler(TREE));
    const root = await fromUri(server.url);
    const sparse = await root.get("other/sp");
    expect(sparse.constructor).toBe(BaseClient);
    expect(sparse.structureFamily).toBe("sparse");
    const other = await root.get("other", { kind: "container" });
    const listed = await other.values().toArray();
    expect(listed.map((c) => c.key)).toContain("sp");
    const err = await caught(root.get("other/sp", { kind: "array" }));
    expect(err.code).toBe("bad-input");
    expect(err.message).toContain("/other/sp is a sparse, not an array.");
  });

  it("`kind` names a class of the same table: a custom run class is what get(key, { kind: \"run\" }) returns", async () => {
    class FacilityRun extends BlueskyRun {}
    const table: StructureClients = {
      ...DEFAULT_STRUCTURE_CLIENTS,
      specs: { ...DEFAULT_STRUCTURE_CLIENTS.specs, BlueskyRun: FacilityRun },
      kinds: { ...DEFAULT_STRUCTURE_CLIENTS.kinds, run: FacilityRun },
    };
    const server = await serve(treeHandler(TREE));
    const root = await fromUri(server.url, { structureClients: table });
    expect(await root.get("cat/brun", { kind: "run" })).toBeInstanceOf(FacilityRun);
  });
});

describe("asKind", () => {
  it("a node of another kind is bad-input naming its path, what it is (family and specs) and the kind asked for", async () => {
    const server = await serve(treeHandler(TREE));
    const root = await fromUri(server.url);
    const plain = await caught(root.get("cat/plain", { kind: "run" }));
    expect(plain.code).toBe("bad-input");
    expect(plain.message.split("\n")[0]).toBe("/cat/plain is a container, not a run.");
    expect(plain.url).toBe(`${server.url}/api/v1/metadata/cat/plain`);
    const run = await caught(root.get("cat/brun", { kind: "catalog" }));
    expect(run.code).toBe("bad-input");
    expect(run.message).toContain("/cat/brun is a container (specs BlueskyRun, Sample), not a catalog");
    const img = await root.get("cat/img");
    const err = await thrown(() => asKind(img, "table", DEFAULT_STRUCTURE_CLIENTS));
    expect(err.message).toMatch(/\/cat\/img is an? array/);
    expect(err.message).toContain("not a table");
    // The right kind comes back as it is.
    expect(asKind(img, "array", DEFAULT_STRUCTURE_CLIENTS)).toBe(img);
  });
});

// Which server layout a node uses, from its specs (TiledWriter's SQL catalog or databroker's
// MongoAdapter), never from its URL.
describe("layout from specs", () => {
  it("CatalogOfBlueskyRuns 1 is databroker's, 3.0 (or unversioned) TiledWriter's", () => {
    expect(catalogLayout([{ name: "CatalogOfBlueskyRuns", version: "1" }])).toBe("databroker");
    expect(catalogLayout([{ name: "CatalogOfBlueskyRuns", version: "3.0" }])).toBe("tiledwriter");
    expect(catalogLayout([{ name: "CatalogOfBlueskyRuns", version: null }])).toBe("tiledwriter");
    expect(isDatabrokerSpec([{ name: "BlueskyEventStream", version: "1" }], "BlueskyEventStream")).toBe(true);
    expect(isDatabrokerSpec([{ name: "BlueskyEventStream", version: "3.0" }], "BlueskyEventStream")).toBe(false);
  });
});

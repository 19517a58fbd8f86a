// client/layout.ts: which server layout a node uses, from its specs (TiledWriter's SQL catalog or
// databroker's MongoAdapter), never from its URL.
import { describe, expect, it } from "vitest";
import { catalogLayout, isDatabrokerSpec } from "../client/layout";

describe("layout from specs", () => {
  it("CatalogOfBlueskyRuns 1 is databroker's, 3.0 (or unversioned) TiledWriter's", () => {
    expect(catalogLayout([{ name: "CatalogOfBlueskyRuns", version: "1" }])).toBe("databroker");
    expect(catalogLayout([{ name: "CatalogOfBlueskyRuns", version: "3.0" }])).toBe("tiledwriter");
    expect(catalogLayout([{ name: "CatalogOfBlueskyRuns", version: null }])).toBe("tiledwriter");
    expect(isDatabrokerSpec([{ name: "BlueskyEventStream", version: "1" }], "BlueskyEventStream")).toBe(true);
    expect(isDatabrokerSpec([{ name: "BlueskyEventStream", version: "3.0" }], "BlueskyEventStream")).toBe(false);
  });
});

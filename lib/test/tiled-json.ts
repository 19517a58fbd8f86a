/**
 * Tiled-like JSON for tests that serve a small node tree from a local server (local-server.ts)
 * instead of a real tiled server: node resources, `/api/v1/` "about", and a handler answering
 * `metadata/<path>` and `search/<path>` (one page, no filtering) from a list of nodes.
 */
import type * as http from "node:http";
import { sendJson } from "./local-server";
import type { Handler } from "./local-server";

export interface SpecJson {
  name: string;
  version?: string | null;
}

export interface NodeJson {
  id: string;
  attributes: {
    ancestors: string[];
    structure_family: string;
    specs: SpecJson[];
    metadata: Record<string, unknown>;
    structure: unknown;
  };
}

/** A node resource at `path` (the root is []). Containers get an empty container structure. */
export function nodeJson(
  path: readonly string[],
  family: string,
  options: { specs?: SpecJson[]; metadata?: Record<string, unknown>; structure?: unknown } = {},
): NodeJson {
  return {
    id: path.length ? path[path.length - 1] : "",
    attributes: {
      ancestors: path.slice(0, -1),
      structure_family: family,
      specs: options.specs ?? [],
      metadata: options.metadata ?? {},
      structure: options.structure ?? (family === "container" ? { contents: null, count: 0 } : null),
    },
  };
}

/** What tiled 0.2.20 answers at `/api/v1/`, trimmed to what the client reads. */
export const ABOUT = {
  api_version: 0,
  library_version: "0.2.20",
  formats: {},
  aliases: {},
  queries: ["eq", "noteq", "comparison", "contains", "in", "notin", "like", "fulltext", "keypresent", "specs", "structure_family", "regex", "keys_filter", "lookup"],
  authentication: { required: false, providers: [] },
};

const keyOf = (node: NodeJson) => [...node.attributes.ancestors, node.id].filter(Boolean).join("/");

/**
 * Serve `nodes` (include the root, nodeJson([], "container")): `GET /api/v1/metadata/<path>` is
 * the node, `GET /api/v1/search/<path>` its children in one page, anything else 404. `extra` may
 * answer a request first (return true when it did).
 */
export function treeHandler(nodes: readonly NodeJson[], extra?: (req: http.IncomingMessage, res: http.ServerResponse, path: string) => boolean): Handler {
  return (req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "", "http://x").pathname);
    if (extra?.(req, res, path)) return;
    if (path === "/api/v1/") return sendJson(res, 200, ABOUT);
    const match = /^\/api\/v1\/(metadata|search)\/?(.*)$/.exec(path);
    if (match) {
      const key = match[2].replace(/\/+$/, "");
      const node = nodes.find((n) => keyOf(n) === key);
      if (node && match[1] === "metadata") return sendJson(res, 200, { data: node });
      if (node) {
        const children = nodes.filter((n) => n !== node && n.attributes.ancestors.join("/") === key);
        return sendJson(res, 200, { data: children, links: { next: null }, meta: { count: children.length } });
      }
    }
    sendJson(res, 404, { detail: `No such entry: ${path}` });
  };
}

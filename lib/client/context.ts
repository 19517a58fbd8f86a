/**
 * client/context.ts — what every client of one server shares: the transport, the API prefix, and
 * cached answers about the server (its `/api/v1/` "about", and where regex runs), and the table
 * of which client class serves which node (kinds.ts).
 *
 * Notebooks rarely build one directly: `fromUri` does. Build one to share a transport between
 * several roots, or to ask the server what it supports.
 *
 * @example
 * const context = new Context({ baseUrl: "http://127.0.0.1:8000" });
 * const about = await context.about();           // fetched once, then cached
 * context.apiUrl("search", ["bdp2022"]);         // "http://127.0.0.1:8000/api/v1/search/bdp2022"
 * await context.checkQueries([Eq("start.scan_id", 1)], "…");   // throws "unsupported-query" if unknown
 */
import { TiledError, checkPathSegments } from "../errors";
import { assertQueriesSupported } from "../queries";
import type { Query } from "../queries";
import { About } from "../schemas/about";
import { Transport } from "../transport";
import type { StructureClients } from "./kinds";
import { DEFAULT_STRUCTURE_CLIENTS } from "./structure-clients";
import type { RequestOptions } from "../http/types";
import type { TransportOptions } from "../settings";

export const API_PREFIX = "/api/v1";

/** The server's own response-size limit (settings.response_bytesize_limit): 300 MB. */
export const SERVER_RESPONSE_BYTESIZE_LIMIT = 300_000_000;

export interface ContextOptions extends TransportOptions {
  /** Use this transport instead of building one from the options. */
  transport?: Transport;
  /** Largest body requested in one read; bigger arrays are read in pieces. Default 300 MB (the server's limit). */
  responseBytesizeLimit?: number;
  /** Which client class serves which node (kinds.ts). Default: DEFAULT_STRUCTURE_CLIENTS. */
  structureClients?: StructureClients;
}

export class Context {
  readonly transport: Transport;
  readonly responseBytesizeLimit: number;
  readonly structureClients: StructureClients;
  #about: Promise<About> | undefined;
  /** Per container path: whether the server runs Regex there (SQL catalogs answer 400). */
  readonly regexOnServer = new Map<string, boolean>();

  constructor(options: ContextOptions = {}) {
    this.transport = options.transport ?? new Transport(options);
    const limit = options.responseBytesizeLimit ?? SERVER_RESPONSE_BYTESIZE_LIMIT;
    if (!Number.isInteger(limit) || limit < 1) {
      throw new TiledError("bad-input", `responseBytesizeLimit ${limit} must be a positive integer (bytes).`);
    }
    this.responseBytesizeLimit = limit;
    this.structureClients = options.structureClients ?? DEFAULT_STRUCTURE_CLIENTS;
  }

  get baseUrl(): string {
    return this.transport.baseUrl;
  }

  /** `${baseUrl}/api/v1/${route}/${path}`, each path segment URL-encoded. */
  apiUrl(route: string, path: readonly string[] = []): string {
    checkPathSegments(path);
    const tail = path.map((segment) => encodeURIComponent(segment)).join("/");
    // The root keeps its trailing slash (".../metadata/"): without it tiled answers 307, a wasted round trip.
    return `${this.baseUrl}${API_PREFIX}/${route}${route ? "/" : ""}${tail}`;
  }

  /** `GET /api/v1/`, fetched once per context. A failure is not cached. */
  about(options: RequestOptions = {}): Promise<About> {
    if (!this.#about) {
      this.#about = this.transport.getJson(`${this.baseUrl}${API_PREFIX}/`, About, options);
      this.#about.catch(() => {
        this.#about = undefined;
      });
    }
    return this.#about;
  }

  /** Throw "unsupported-query" unless the server registered every query's name. */
  async checkQueries(queries: readonly Query[], url?: string): Promise<void> {
    if (queries.length === 0) return;
    const about = await this.about();
    assertQueriesSupported([...new Set(queries.map((q) => q.name))], about.queries, url);
  }
}

/**
 * An HTTP function for the login suites that counts what went over the wire (method, path,
 * status) and otherwise sends everything as the library would (node-fetch). Plugged in as a
 * context's `http` option, it shows how many refreshes a run of requests cost, and which answers
 * were 401s, without reading the server's log. It keeps no header or body: nothing secret.
 */
import { fetchHttp } from "../http/node-fetch";
import type { HttpFunction } from "../http/types";

export interface Exchange {
  method: string;
  /** The path (no query: a query may hold a key). */
  path: string;
  status: number;
  /** When the answer's head arrived (ms since the epoch). */
  at: number;
}

export interface CountingHttp {
  http: HttpFunction;
  exchanges: Exchange[];
  /** How many requests went to a path ending with `suffix` (e.g. "/auth/session/refresh"). */
  count(suffix: string, status?: number): number;
}

export function countingHttp(inner: HttpFunction = fetchHttp): CountingHttp {
  const exchanges: Exchange[] = [];
  const http: HttpFunction = async (request, sinkFor) => {
    const response = await inner(request, sinkFor);
    exchanges.push({ method: request.method, path: new URL(request.url).pathname, status: response.status, at: Date.now() });
    return response;
  };
  return {
    http,
    exchanges,
    count: (suffix, status) => exchanges.filter((e) => e.path.endsWith(suffix) && (status === undefined || e.status === status)).length,
  };
}

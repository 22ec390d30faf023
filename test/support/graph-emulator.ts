import { randomUUID } from "node:crypto";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { testTls } from "./tls";

export interface EmulatorRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
}
export interface EmulatorResponse {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}
/** A route answers a request, or returns undefined to fall through to 404. */
export type Route = (request: EmulatorRequest, emulator: GraphEmulator) => EmulatorResponse | undefined;

/** An error body in Graph's shape. */
export function graphError(status: number, code: string, message: string): EmulatorResponse {
  return {
    status,
    body: { error: { code, message, innerError: { date: new Date().toISOString(), "request-id": randomUUID(), "client-request-id": randomUUID() } } },
  };
}

export interface GraphEmulator {
  /** Base URL without `/v1.0`, as `--graph-endpoint` takes it. */
  url: string;
  requests: EmulatorRequest[];
  /** Responses served, in order, before any route is asked (fault injection). */
  injected: EmulatorResponse[];
  close(): Promise<void>;
}

/**
 * A loopback Graph over HTTPS: bearer-token check, routes under /v1.0, Graph-shaped errors and
 * injectable faults. Only what the tests need so far; it grows with them.
 */
export async function startGraphEmulator(options: { token: string; routes: Route[] }): Promise<GraphEmulator> {
  const { key, cert } = testTls();
  const emulator: GraphEmulator = { url: "", requests: [], injected: [], close: async () => undefined };
  const server = https.createServer({ key, cert }, (req, res) => {
    const url = new URL(req.url ?? "/", "https://127.0.0.1");
    const request: EmulatorRequest = { method: req.method ?? "GET", path: url.pathname, query: url.searchParams, headers: req.headers };
    emulator.requests.push(request);
    const reply = (response: EmulatorResponse) => {
      res.writeHead(response.status, { "content-type": "application/json", ...response.headers });
      res.end(response.body === undefined ? "" : JSON.stringify(response.body));
    };
    if (req.headers.authorization !== `Bearer ${options.token}`) {
      return reply(graphError(401, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience."));
    }
    const injected = emulator.injected.shift();
    if (injected) return reply(injected);
    if (!url.pathname.startsWith("/v1.0/")) return reply(graphError(400, "BadRequest", "Invalid version."));
    for (const route of options.routes) {
      const response = route({ ...request, path: url.pathname.slice("/v1.0".length) }, emulator);
      if (response) return reply(response);
    }
    return reply(graphError(404, "Request_ResourceNotFound", `Resource '${url.pathname}' does not exist.`));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  emulator.url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  emulator.close = () => new Promise((resolve) => server.close(() => resolve()));
  return emulator;
}

/** Serves `items` in pages of `pageSize`, linking pages with an absolute `@odata.nextLink`. */
export function pagedCollection(emulator: GraphEmulator, path: string, query: URLSearchParams, items: unknown[], pageSize: number): EmulatorResponse {
  const skip = Number(query.get("$skiptoken") ?? "0");
  const page = items.slice(skip, skip + pageSize);
  const next = skip + pageSize < items.length ? `${emulator.url}/v1.0${path}?$skiptoken=${skip + pageSize}` : undefined;
  return { status: 200, body: { value: page, ...(next ? { "@odata.nextLink": next } : {}) } };
}

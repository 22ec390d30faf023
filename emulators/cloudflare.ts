import https from "node:https";
import type { AddressInfo } from "node:net";
import { closer, testTls } from "./tls";
import {
  cloudflareFailure,
  recordRoutes,
  type CloudflareRequest,
  type CloudflareResponse,
  type CloudflareZoneState,
  type StoredDnsRecord,
} from "./cloudflare-records";

export { cloudflareFailure, type CloudflareRequest, type CloudflareResponse, type StoredDnsRecord } from "./cloudflare-records";

export interface CloudflareEmulatorOptions {
  /** The API token with DNS read and edit on every zone. */
  token: string;
  /** An API token with DNS read only: reads work, every write is refused. */
  readOnlyToken?: string;
  /** Zone id (32 hex) → zone name. */
  zones: Record<string, string>;
  /** The most records one page holds, whatever per_page asks (default 5000). */
  maxPerPage?: number;
}

export interface CloudflareEmulator {
  /** The API base, as `CloudflareTarget.endpoint` takes it (ends in `/client/v4`). */
  url: string;
  /** Every request, refused ones included, oldest first. */
  requests: CloudflareRequest[];
  /** Responses served, in order, to the next requests a token is accepted for (fault injection). */
  injected: CloudflareResponse[];
  state: CloudflareZoneState;
  /**
   * Puts a record in place without a request, as another admin would have in the dashboard;
   * returns it as stored. The dashboard quotes TXT content saved without quotes ("if you save your
   * TXT content without any quotes, Cloudflare will automatically add double quotes",
   * dns-record-types, TXT); the API stores what it is sent.
   */
  seed(zoneId: string, record: Record<string, unknown>): StoredDnsRecord;
  /** Requests other than GET: what a read-only run must not have made. */
  writes(): CloudflareRequest[];
  close(): Promise<void>;
}

const API_PREFIX = "/client/v4";

/**
 * Cloudflare's DNS records API (v4) over loopback HTTPS: Bearer API tokens refused the way
 * Cloudflare refuses them, a read-only token, the record rules of cloudflare-records.ts, every
 * request recorded and injectable faults (429 with Retry-After, 5xx).
 */
export async function startCloudflareEmulator(options: CloudflareEmulatorOptions): Promise<CloudflareEmulator> {
  const { key, cert } = testTls();
  const state: CloudflareZoneState = { zones: { ...options.zones }, records: [], maxPerPage: options.maxPerPage ?? 5000 };
  const routes = recordRoutes(state);
  const emulator: CloudflareEmulator = {
    url: "",
    requests: [],
    injected: [],
    state,
    seed: (zoneId, record) => {
      const quoted = record.type === "TXT" && typeof record.content === "string" && !record.content.startsWith('"');
      const body = quoted ? { ...record, content: `"${record.content as string}"` } : record;
      const answer = routes({ method: "POST", path: `/zones/${zoneId}/dns_records`, query: new URLSearchParams(), body });
      if (answer.status !== 200) throw new Error(`seeding ${JSON.stringify(record)} failed: ${JSON.stringify(answer.body)}`);
      return (answer.body as { result: StoredDnsRecord }).result;
    },
    writes: () => emulator.requests.filter((request) => request.method !== "GET"),
    close: async () => undefined,
  };
  const server = https.createServer({ key, cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "https://127.0.0.1");
      const request: CloudflareRequest = { method: req.method ?? "GET", path: url.pathname.replace(API_PREFIX, ""), query: url.searchParams };
      emulator.requests.push(request);
      const answer = respond(request, req.headers.authorization, Buffer.concat(chunks).toString("utf8"));
      res.writeHead(answer.status, { "content-type": "application/json", ...answer.headers });
      res.end(answer.body === undefined ? "" : JSON.stringify(answer.body));
    });
  });
  const respond = (request: CloudflareRequest, authorization: string | undefined, text: string): CloudflareResponse => {
    const refusal = tokenRefusal(authorization, options);
    if (refusal) return refusal;
    const injected = emulator.injected.shift();
    if (injected) return injected;
    if (text) {
      try {
        request.body = JSON.parse(text);
      } catch {
        // Code and wording assumed (see docs/cloudflare.md); the client always sends JSON.
        return cloudflareFailure(400, [{ code: 6007, message: "Malformed JSON in request body" }]);
      }
    }
    const readOnly = bearerOf(authorization) !== options.token;
    if (readOnly && request.method !== "GET") return cloudflareFailure(403, [{ code: 10000, message: "Authentication error" }]);
    return routes(request);
  };
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  emulator.url = `https://127.0.0.1:${(server.address() as AddressInfo).port}${API_PREFIX}`;
  emulator.close = closer(server);
  return emulator;
}

/** An API token's shapes: pre-2026 (40 URL-safe characters) and the scannable `cfut_`/`cfat_` form. */
const API_TOKEN = /^(?:[A-Za-z0-9_-]{40}|cf(?:ut|at)_[A-Za-z0-9]{40}[A-Za-z0-9]{4,12})$/;

const bearerOf = (authorization: string | undefined) => /^Bearer (.*)$/.exec(authorization ?? "")?.[1];

/**
 * Cloudflare's refusals of a credential: no Authorization header → 400 9106; a Bearer value that
 * is not an API token → 400 6003 with 6111 in its error_chain (reports in ddns-go,
 * caddy-dns/cloudflare, cloudflare-ddns); a well-formed token Cloudflare does not know → 403
 * 10000 "Authentication error" (terraform-provider-cloudflare#913). An API token is either the
 * pre-2026 form, 40 URL-safe characters, or the scannable form of tokens made or rolled since
 * 2026, `cfut_` (user) or `cfat_` (account) + 40 characters + a checksum ("Token formats",
 * developers.cloudflare.com/fundamentals/api/get-started/token-formats). The checksum's length is
 * not published: 8 characters in reported tokens (caddy-dns/cloudflare#124: 53 in all); 4 to 12
 * are taken here (an assumption, docs/cloudflare.md).
 */
function tokenRefusal(authorization: string | undefined, options: CloudflareEmulatorOptions): CloudflareResponse | undefined {
  if (authorization === undefined) return cloudflareFailure(400, [{ code: 9106, message: "Missing X-Auth-Key, X-Auth-Email or Authorization headers" }]);
  const token = bearerOf(authorization);
  if (token === undefined || !API_TOKEN.test(token)) {
    return cloudflareFailure(400, [
      { code: 6003, message: "Invalid request headers", error_chain: [{ code: 6111, message: "Invalid format for Authorization header" }] },
    ]);
  }
  if (token !== options.token && token !== options.readOnlyToken) return cloudflareFailure(403, [{ code: 10000, message: "Authentication error" }]);
  return undefined;
}

/** Cloudflare's throttling answer: 429, code 971, and the seconds to wait in Retry-After (developers.cloudflare.com/fundamentals/api/reference/limits/). */
export function rateLimited(retryAfterSeconds: number): CloudflareResponse {
  return {
    ...cloudflareFailure(429, [{ code: 971, message: "Please wait and consider throttling your request speed" }]),
    headers: { "retry-after": String(retryAfterSeconds) },
  };
}

import { randomBytes } from "node:crypto";
import { isIPv4, isIPv6 } from "node:net";

export interface CloudflareRequest {
  method: string;
  /** Below the API base, e.g. `/zones/{id}/dns_records`. */
  path: string;
  query: URLSearchParams;
  body?: unknown;
}
export interface CloudflareResponse {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}
export interface CloudflareErrorItem {
  code: number;
  message: string;
  error_chain?: CloudflareErrorItem[];
}

/** A record as Cloudflare stores and returns it (developers.cloudflare.com/dns/manage-dns-records/reference/dns-record-types/). */
export interface StoredDnsRecord {
  id: string;
  zone_id: string;
  zone_name: string;
  name: string;
  type: string;
  content: string;
  proxiable: boolean;
  proxied: boolean;
  ttl: number;
  locked: boolean;
  priority?: number;
  data?: Record<string, unknown>;
  meta: Record<string, unknown>;
  comment: string | null;
  tags: string[];
  created_on: string;
  modified_on: string;
}

export interface CloudflareZoneState {
  /** Zone id → zone name. */
  zones: Record<string, string>;
  records: StoredDnsRecord[];
  /** The most records one page holds, whatever per_page asks. */
  maxPerPage: number;
}

/** Cloudflare's v4 failure envelope. */
export function cloudflareFailure(status: number, errors: CloudflareErrorItem[]): CloudflareResponse {
  return { status, body: { success: false, errors, messages: [], result: null } };
}

const success = (result: unknown, resultInfo?: Record<string, number>): CloudflareResponse => ({
  status: 200,
  body: { success: true, errors: [], messages: [], result, ...(resultInfo ? { result_info: resultInfo } : {}) },
});

const SAME_NAME_DOC = "For more details, refer to <https://developers.cloudflare.com/dns/manage-dns-records/troubleshooting/records-with-same-name/>.";
const KNOWN_TYPES = [
  "A",
  "AAAA",
  "CAA",
  "CERT",
  "CNAME",
  "DNSKEY",
  "DS",
  "HTTPS",
  "LOC",
  "MX",
  "NAPTR",
  "NS",
  "PTR",
  "SMIMEA",
  "SRV",
  "SSHFP",
  "SVCB",
  "TLSA",
  "TXT",
  "URI",
];
// Only these can be proxied (dns-record-types: "These records are the only ones you can proxy").
const PROXIABLE = ["A", "AAAA", "CNAME"];
const invalid = (reason: string) => cloudflareFailure(400, [{ code: 1004, message: "DNS Validation Error", error_chain: [{ code: 1004, message: reason }] }]);

/** GET/POST /zones/{zone}/dns_records and GET/PATCH/PUT/DELETE /zones/{zone}/dns_records/{id}. */
export function recordRoutes(state: CloudflareZoneState): (request: CloudflareRequest) => CloudflareResponse {
  return (request) => {
    const match = /^\/zones\/([^/]+)\/dns_records(?:\/([^/]+))?\/?$/.exec(request.path);
    if (!match) return cloudflareFailure(400, [{ code: 7000, message: "No route for that URI" }]);
    const zoneId = decodeURIComponent(match[1]!);
    const zoneName = state.zones[zoneId];
    // An unknown zone id reads as a routing failure (reports of code 7003 across Cloudflare's API).
    if (zoneName === undefined)
      return cloudflareFailure(404, [{ code: 7003, message: `Could not route to ${request.path}, perhaps your object identifier is invalid?` }]);
    const recordId = match[2] === undefined ? undefined : decodeURIComponent(match[2]);
    if (recordId === undefined) {
      if (request.method === "GET") return list(state, zoneId, request.query);
      if (request.method === "POST") return write(state, zoneId, zoneName, request.body, undefined);
      return cloudflareFailure(405, [{ code: 10000, message: `${request.method} method not allowed for the api_token authentication scheme` }]);
    }
    const existing = state.records.find((r) => r.zone_id === zoneId && r.id === recordId);
    // Code 81044 "Record does not exist." (terraform-provider-cloudflare and external-dns treat it as gone).
    if (!existing) return cloudflareFailure(404, [{ code: 81044, message: "Record does not exist." }]);
    switch (request.method) {
      case "GET":
        return success(existing);
      case "PATCH":
        return write(state, zoneId, zoneName, { ...inputOf(existing), ...(request.body as object) }, existing);
      case "PUT":
        return write(state, zoneId, zoneName, request.body, existing);
      case "DELETE":
        state.records.splice(state.records.indexOf(existing), 1);
        return success({ id: existing.id });
      default:
        return cloudflareFailure(405, [{ code: 10000, message: `${request.method} method not allowed for the api_token authentication scheme` }]);
    }
  };
}

/**
 * `name.exact` (the documented filter, "List DNS Records") or the bare `name` (undocumented, still
 * answered) and `type` match exactly (`name` is the full name in lower case, Punycode); pages hold
 * `per_page` records (default 100) up to the emulator's limit, and `result_info.total_pages` is
 * 0 when nothing matches (as ddclient's logs of Cloudflare's answers show).
 */
function list(state: CloudflareZoneState, zoneId: string, query: URLSearchParams): CloudflareResponse {
  const unsupported = [...query.keys()].filter((key) => !["type", "name", "name.exact", "page", "per_page"].includes(key));
  if (unsupported.length > 0) return invalid(`the emulator does not implement the list parameter(s) ${unsupported.join(", ")}`);
  const page = Number(query.get("page") ?? "1");
  const perPage = Math.min(Number(query.get("per_page") ?? "100"), state.maxPerPage);
  if (!Number.isInteger(page) || page < 1 || !Number.isInteger(perPage) || perPage < 1) return invalid("page and per_page must be positive integers");
  const type = query.get("type");
  const name = query.get("name.exact") ?? query.get("name");
  const matching = state.records.filter((r) => r.zone_id === zoneId && (type === null || r.type === type) && (name === null || r.name === name));
  const result = matching.slice((page - 1) * perPage, page * perPage);
  return success(result, { page, per_page: perPage, count: result.length, total_count: matching.length, total_pages: Math.ceil(matching.length / perPage) });
}

type RecordInput = Partial<Pick<StoredDnsRecord, "type" | "name" | "content" | "ttl" | "proxied" | "priority" | "data" | "comment">>;

const inputOf = (r: StoredDnsRecord): RecordInput => ({
  type: r.type,
  name: r.name,
  content: r.content,
  ttl: r.ttl,
  proxied: r.proxied,
  priority: r.priority,
  data: r.data,
  comment: r.comment,
});

/** Creates a record (existing undefined) or replaces `existing` with `body`, Cloudflare's checks first. */
function write(state: CloudflareZoneState, zoneId: string, zoneName: string, body: unknown, existing: StoredDnsRecord | undefined): CloudflareResponse {
  const normalized = normalize((body ?? {}) as RecordInput, zoneName);
  if ("status" in normalized) return normalized;
  const others = state.records.filter((r) => r.zone_id === zoneId && r.name === normalized.name && r !== existing);
  const conflict = conflictWith(normalized, others);
  if (conflict) return conflict;
  const now = new Date().toISOString();
  const record: StoredDnsRecord = {
    id: existing?.id ?? randomBytes(16).toString("hex"),
    zone_id: zoneId,
    zone_name: zoneName,
    ...normalized,
    proxiable: PROXIABLE.includes(normalized.type),
    locked: false,
    meta: {},
    tags: existing?.tags ?? [],
    created_on: existing?.created_on ?? now,
    modified_on: now,
  };
  if (existing) state.records.splice(state.records.indexOf(existing), 1, record);
  else state.records.push(record);
  return success(record);
}

type Normalized = Pick<StoredDnsRecord, "type" | "name" | "content" | "ttl" | "proxied" | "comment"> & Partial<Pick<StoredDnsRecord, "priority" | "data">>;

function normalize(input: RecordInput, zoneName: string): Normalized | CloudflareResponse {
  const type = input.type;
  if (typeof type !== "string" || !KNOWN_TYPES.includes(type)) return invalid(`type must be one of ${KNOWN_TYPES.join(", ")}`);
  if (typeof input.name !== "string" || input.name === "") return invalid("name is required");
  const name = fullName(input.name, zoneName);
  const ttl = input.ttl ?? 1;
  // TTL: 1 means automatic, else 60–86400 seconds (developers.cloudflare.com/dns/manage-dns-records/reference/ttl/).
  if (!Number.isInteger(ttl) || (ttl !== 1 && (ttl < 60 || ttl > 86400)))
    return cloudflareFailure(400, [{ code: 9021, message: "Invalid TTL. Must be between 60 and 86400 seconds, or 1 for automatic." }]);
  const proxied = input.proxied ?? false;
  // Code 9004 for a proxied record of another type (reports from Cloudflare DNS users).
  if (proxied && !PROXIABLE.includes(type)) return cloudflareFailure(400, [{ code: 9004, message: "This record type cannot be proxied." }]);
  const comment = input.comment ?? null;
  // Comments may not hold newlines (developers.cloudflare.com/dns/manage-dns-records/reference/record-attributes/).
  if (comment !== null && (typeof comment !== "string" || /[\r\n]/.test(comment))) return invalid("comment must be a string without newlines");
  // A proxied record's TTL is automatic (dns-record-types: "If the Proxy Status is Proxied, this value defaults to Auto").
  const base = { type, name, ttl: proxied ? 1 : ttl, proxied, comment };
  if (type === "SRV") return srv(input, base);
  if (typeof input.content !== "string" || input.content === "") return invalid("content is required");
  let content = input.content;
  if (type === "A" && !isIPv4(content)) return cloudflareFailure(400, [{ code: 9005, message: "Content for A record must be a valid IPv4 address." }]);
  if (type === "AAAA" && !isIPv6(content)) return cloudflareFailure(400, [{ code: 9005, message: "Content for AAAA record must be a valid IPv6 address." }]);
  if (["CNAME", "MX", "NS", "PTR"].includes(type)) content = content.toLowerCase().replace(/\.$/, "");
  // TXT content is kept exactly as the API was sent it, quoted character-strings or not: the API
  // schema asks for quoted strings ("The content must consist of quoted 'character strings'",
  // TXTRecord.content) and records made through the API come back as sent. (The dashboard's own
  // quoting of unquoted text, dns-record-types "TXT", is the dashboard's, not the API's.)
  if (type === "TXT" && content.length > 2048) return invalid("TXT content must be 2,048 characters or less");
  if (type === "MX") {
    const priority = input.priority;
    if (typeof priority !== "number" || !Number.isInteger(priority) || priority < 0 || priority > 65535)
      return invalid("MX records need a priority between 0 and 65535");
    return { ...base, content, priority };
  }
  return { ...base, content };
}

/** SRV: fields in `data`, `content` "weight port target", `priority` beside it (dns-record-types, SRV example). */
function srv(input: RecordInput, base: Omit<Normalized, "content">): Normalized | CloudflareResponse {
  const data = (input.data ?? {}) as { priority?: unknown; weight?: unknown; port?: unknown; target?: unknown };
  const numbers = [data.priority, data.weight, data.port];
  if (!numbers.every((n) => typeof n === "number" && Number.isInteger(n) && n >= 0 && n <= 65535) || typeof data.target !== "string" || data.target === "") {
    return invalid("SRV records need data.priority, data.weight, data.port (0–65535) and data.target");
  }
  if (!/^_[^.]+\._[^.]+\./.test(base.name)) return invalid("an SRV record's name starts with _service._protocol");
  const target = data.target.toLowerCase().replace(/\.$/, "");
  const [priority, weight, port] = numbers as number[];
  return { ...base, content: `${weight} ${port} ${target}`, priority, data: { priority, weight, port, target } };
}

/** `@` is the zone apex; a name not ending in the zone is relative to it; names are stored in lower case without the root dot. */
function fullName(name: string, zoneName: string): string {
  const lower = name.toLowerCase().replace(/\.$/, "");
  if (lower === "@" || lower === zoneName) return zoneName;
  return lower.endsWith(`.${zoneName}`) ? lower : `${lower}.${zoneName}`;
}

/**
 * Cloudflare's same-name rules (developers.cloudflare.com/dns/manage-dns-records/troubleshooting/records-with-same-name/):
 * an identical record → 81058; a CNAME where a record exists → 81053; a record where a CNAME
 * exists → 81054 (both codes and wordings as external-dns and ddns-go logged them). The docs name
 * only A/AAAA/CNAME; other types at a CNAME's name are refused here too (the strict side).
 */
function conflictWith(record: Normalized, others: StoredDnsRecord[]): CloudflareResponse | undefined {
  if (others.some((o) => o.type === record.type && o.content === record.content && o.priority === record.priority)) {
    return cloudflareFailure(400, [{ code: 81058, message: "An identical record already exists." }]);
  }
  if (record.type === "CNAME" && others.length > 0) {
    return cloudflareFailure(400, [{ code: 81053, message: `An A, AAAA, or CNAME record with that host already exists. ${SAME_NAME_DOC}` }]);
  }
  if (others.some((o) => o.type === "CNAME"))
    return cloudflareFailure(400, [{ code: 81054, message: `A CNAME record with that host already exists. ${SAME_NAME_DOC}` }]);
  return undefined;
}

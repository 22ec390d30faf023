import { DEFAULT_RETRY, isNetworkFailure, isTransientStatus, retrying, type RetryPolicy } from "../core/retry";
import { txtCharacterStrings } from "../core/dns-text";

/** The API token permission that reads a zone's records (`adopt`, a preview), as Cloudflare's dashboard names it. */
export const CLOUDFLARE_READ_PERMISSION = "Zone › DNS › Read, on the tenant's zones";

// Used inside dynamic providers, which Pulumi serializes: functions and constants only, no
// module-level state; only globals (fetch) and core/retry.ts. Its base URL (CLOUDFLARE_API_BASE)
// is kept with Microsoft's hosts in m365/clouds.ts, and its callers hold a target's endpoint to the
// endpoint rule (m365/endpoints.ts) before calling; pages are asked for by number below that base.

/** Where and as whom to call Cloudflare: the API base and an API token (sent as a Bearer token). */
export interface CloudflareTarget {
  endpoint: string;
  token: string;
}

/**
 * A DNS record as Cloudflare returns it. Names are fully qualified; TXT content comes back as it
 * was sent (quoted character-strings for records made here, see `quotedTxtContent`); SRV keeps
 * its fields in `data` {priority, weight, port, target} with `content` "weight port target" and
 * `priority` beside it; MX has `priority`.
 */
export interface LiveDnsRecord {
  id: string;
  type: string;
  name: string;
  content: string;
  proxied: boolean;
  /** Seconds, or 1 for "automatic". */
  ttl: number;
  priority?: number;
  data?: Record<string, unknown>;
  comment?: string | null;
}

/** A record to create: `content` for most types, `data` for SRV, `priority` for MX. */
export interface DnsRecordInput {
  type: string;
  name: string;
  content?: string;
  ttl?: number;
  proxied?: boolean;
  priority?: number;
  data?: Record<string, unknown>;
  comment?: string | null;
}

/**
 * A failed call: `refused` when Cloudflare would not let the token do it (a bad, expired or
 * unauthorised token), so a CLI can tell "fix the token" (exit 3) from "Cloudflare failed" (exit 4).
 */
export type CloudflareApiError = Error & { method: string; path: string; status: number; codes: number[]; refused: boolean };

/**
 * Cloudflare's codes for a refused credential: 1000 invalid API token, 6102/6103/6111 a malformed
 * auth header (inside 6003 "Invalid request headers"), 9106 missing auth headers, 9109 an
 * invalid or IP-restricted token, 10000 "Authentication error" (also a token without the
 * permission), 10001 "Unable to authenticate request".
 */
export const CLOUDFLARE_AUTH_ERROR_CODES: readonly number[] = [1000, 6102, 6103, 6111, 9106, 9109, 10000, 10001];

/** Records of a zone, optionally only those of one type and/or one exact (fully qualified) name, every page read. */
export async function listDnsRecords(
  target: CloudflareTarget,
  zoneId: string,
  filter: { type?: string; name?: string } = {},
  policy: RetryPolicy = DEFAULT_RETRY,
): Promise<LiveDnsRecord[]> {
  const records: LiveDnsRecord[] = [];
  for (let page = 1; ; page++) {
    const query = new URLSearchParams();
    if (filter.type) query.set("type", filter.type.toUpperCase());
    // DNS names are case-insensitive; Cloudflare stores them in lower case, in Punycode, without the root dot.
    // `name.exact` is the documented filter ("List DNS Records"); the bare `name` still works but is not documented.
    if (filter.name) query.set("name.exact", asciiName(filter.name).toLowerCase().replace(/\.$/, ""));
    // 100 is the documented default page size and within every documented maximum.
    query.set("per_page", "100");
    query.set("page", String(page));
    const answer = await callCloudflare(target, "GET", `/zones/${encodeURIComponent(zoneId)}/dns_records?${query}`, undefined, policy);
    const result = Array.isArray(answer.result) ? (answer.result as Record<string, unknown>[]) : [];
    records.push(...result.map(liveRecord));
    const totalPages = Number(answer.result_info?.total_pages ?? 0);
    if (result.length === 0 || page >= totalPages) return records;
  }
}

/**
 * TXT content as Cloudflare's API schema asks for it: "The content must consist of quoted
 * 'character strings' (RFC 1035), each with a length of up to 255 bytes" (the DNS records API's
 * TXTRecord.content; cloudflare-typescript#1777). Content that is quoted character-strings already
 * is sent as it is; plain text is cut into strings of at most 255 bytes (never inside a character),
 * each quoted with `"` and `\` escaped. Cloudflare returns what was sent, so a later read compares
 * equal.
 */
export function quotedTxtContent(content: string): string {
  if (/^\s*"(?:[^"\\]|\\.)*"(?:\s+"(?:[^"\\]|\\.)*")*\s*$/.test(content)) return content;
  const strings = txtCharacterStrings(content);
  return strings.map((text) => `"${text.replace(/["\\]/g, "\\$&")}"`).join(" ");
}

/** The body Cloudflare is sent for a record: its name in Punycode and a TXT record's content quoted. */
function requestBody<T extends Partial<DnsRecordInput>>(record: T): T {
  const named = record.name === undefined ? record : { ...record, name: asciiName(record.name) };
  return record.type?.toUpperCase() === "TXT" && typeof record.content === "string" ? { ...named, content: quotedTxtContent(record.content) } : named;
}

export async function createDnsRecord(
  target: CloudflareTarget,
  zoneId: string,
  record: DnsRecordInput,
  policy: RetryPolicy = DEFAULT_RETRY,
): Promise<LiveDnsRecord> {
  const answer = await callCloudflare(target, "POST", `/zones/${encodeURIComponent(zoneId)}/dns_records`, requestBody(record), policy);
  return liveRecord(answer.result as Record<string, unknown>);
}

/** Changes only the fields given (PATCH); the record keeps its id. A TXT record's new content is quoted when `type: "TXT"` is given. */
export async function updateDnsRecord(
  target: CloudflareTarget,
  zoneId: string,
  id: string,
  patch: Partial<DnsRecordInput>,
  policy: RetryPolicy = DEFAULT_RETRY,
): Promise<LiveDnsRecord> {
  const answer = await callCloudflare(
    target,
    "PATCH",
    `/zones/${encodeURIComponent(zoneId)}/dns_records/${encodeURIComponent(id)}`,
    requestBody(patch),
    policy,
  );
  return liveRecord(answer.result as Record<string, unknown>);
}

export async function deleteDnsRecord(target: CloudflareTarget, zoneId: string, id: string, policy: RetryPolicy = DEFAULT_RETRY): Promise<void> {
  await callCloudflare(target, "DELETE", `/zones/${encodeURIComponent(zoneId)}/dns_records/${encodeURIComponent(id)}`, undefined, policy);
}

/** Cloudflare's v4 answer envelope. */
export interface CloudflareEnvelope {
  success?: boolean;
  errors?: CloudflareMessage[];
  messages?: unknown[];
  result?: unknown;
  result_info?: { page?: number; per_page?: number; count?: number; total_count?: number; total_pages?: number };
}
interface CloudflareMessage {
  code?: number;
  message?: string;
  error_chain?: CloudflareMessage[];
}

/**
 * One call to Cloudflare's v4 API (`path` below the API base, query included). Throttling (429,
 * waiting its Retry-After), 5xx and network failures are tried again per `policy`; any failure
 * left is thrown as a `CloudflareApiError`.
 */
export async function callCloudflare(
  target: CloudflareTarget,
  method: string,
  path: string,
  body: unknown,
  policy: RetryPolicy = DEFAULT_RETRY,
): Promise<CloudflareEnvelope> {
  const url = `${target.endpoint.replace(/\/+$/, "")}${path}`;
  const { outcome, tries } = await retrying(
    async () => {
      const response = await fetch(url, {
        method,
        headers: { authorization: `Bearer ${target.token}`, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(60_000),
      });
      const text = await response.text();
      let envelope: CloudflareEnvelope | undefined;
      try {
        envelope = text ? (JSON.parse(text) as CloudflareEnvelope) : undefined;
      } catch {
        envelope = undefined;
      }
      return { status: response.status, retryAfter: response.headers.get("retry-after"), envelope };
    },
    {
      policy,
      // A success whose body is cut short or not JSON is a transport fault, worth another try.
      retryable: (o) => (o.ok ? isTransientStatus(o.value.status) || (isSuccess(o.value.status) && o.value.envelope === undefined) : isNetworkFailure(o.error)),
      retryAfterOf: (o) => (o.ok ? o.value.retryAfter : undefined),
    },
  );
  if (!outcome.ok) throw unreachableError(target, method, path, outcome.error, tries);
  const { status, envelope } = outcome.value;
  if (isSuccess(status) && envelope && envelope.success !== false) return envelope;
  throw cloudflareError(target, method, path, status, envelope, tries);
}

function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}

/** Cloudflare's error envelope as one sentence naming the call; the token is never part of it. */
export function cloudflareError(
  target: CloudflareTarget,
  method: string,
  path: string,
  status: number,
  envelope: CloudflareEnvelope | undefined,
  attempts = 1,
): CloudflareApiError {
  const flat: CloudflareMessage[] = [];
  const collect = (list: CloudflareMessage[] | undefined) =>
    (list ?? []).forEach((item) => {
      flat.push(item);
      collect(item.error_chain);
    });
  collect(envelope?.errors);
  const codes = flat.map((item) => item.code).filter((code): code is number => typeof code === "number");
  const refused = status === 401 || status === 403 || codes.some((code) => CLOUDFLARE_AUTH_ERROR_CODES.includes(code));
  const details = flat
    .map((item) => `${oneLine(item.message ?? "no message").replace(/\.$/, "")}${item.code === undefined ? "" : ` (${item.code})`}`)
    .join("; ");
  const tries = attempts > 1 ? ` after ${attempts} attempts` : "";
  const verb = refused ? "refused" : status >= 400 && status < 500 && status !== 429 ? "rejected" : "failed";
  const sentence = `Cloudflare ${verb} ${method} ${path} with HTTP ${status}${tries}: ${details || "no error details"}.`;
  return Object.assign(new Error(withoutToken(sentence, target.token)), { method, path, status, codes, refused });
}

function unreachableError(target: CloudflareTarget, method: string, path: string, error: unknown, attempts: number): CloudflareApiError {
  const { message, cause } = error as { message?: string; cause?: { code?: string; message?: string } };
  const reason = [message, cause?.code ?? cause?.message].filter(Boolean).join(": ");
  const sentence = `Cloudflare could not be reached for ${method} ${path} after ${attempts} attempt${attempts === 1 ? "" : "s"}: ${oneLine(reason || "network failure")}.`;
  return Object.assign(new Error(withoutToken(sentence, target.token)), { method, path, status: 0, codes: [], refused: false });
}

/** An internationalised name in Punycode, as Cloudflare takes names (cloudflare-go converts them the same way). */
function asciiName(name: string): string {
  // eslint-disable-next-line no-control-regex
  return /[^\x00-\x7f]/.test(name) ? new URL(`http://${name}`).hostname : name;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

function withoutToken(text: string, token: string): string {
  return token ? text.split(token).join("[token]") : text;
}

/** The fields of Cloudflare's record the code relies on, nothing else (zone, meta, timestamps dropped). */
function liveRecord(raw: Record<string, unknown>): LiveDnsRecord {
  const record: LiveDnsRecord = {
    id: String(raw.id),
    type: String(raw.type),
    name: String(raw.name),
    content: String(raw.content ?? ""),
    proxied: raw.proxied === true,
    ttl: Number(raw.ttl ?? 1),
    comment: (raw.comment as string | null | undefined) ?? null,
  };
  if (typeof raw.priority === "number") record.priority = raw.priority;
  if (raw.data && typeof raw.data === "object") record.data = raw.data as Record<string, unknown>;
  return record;
}

/** True for a failure that a better token would fix (exit 3), false for any other (exit 4). */
export function isCloudflareRefusal(error: unknown): boolean {
  return (error as Partial<CloudflareApiError> | undefined)?.refused === true;
}

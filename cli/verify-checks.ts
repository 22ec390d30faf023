import { connectionFailure } from "../core/connection-failure";
import { promises as dns } from "node:dns";
import { AUTODISCOVER_TARGET } from "../m365/autodiscover";
import { checkedEndpoint } from "../m365/endpoints";

export interface CheckResult {
  check: string;
  ok: boolean;
  detail: string;
}

/** Cloudflare's published IPv4 ranges: an autodiscover name answering with these is proxied. */
const CLOUDFLARE_V4 = [
  "173.245.48.0/20",
  "103.21.244.0/22",
  "103.22.200.0/22",
  "103.31.4.0/22",
  "141.101.64.0/18",
  "108.162.192.0/18",
  "190.93.240.0/20",
  "188.114.96.0/20",
  "197.234.240.0/22",
  "198.41.128.0/17",
  "162.158.0.0/15",
  "104.16.0.0/13",
  "104.24.0.0/14",
  "172.64.0.0/13",
  "131.0.72.0/22",
];

function ipv4ToNumber(address: string): number {
  return address.split(".").reduce((n, part) => n * 256 + Number(part), 0);
}
export function isCloudflareAddress(address: string): boolean {
  const ip = ipv4ToNumber(address);
  return CLOUDFLARE_V4.some((range) => {
    const [base, bits] = range.split("/") as [string, string];
    const size = 2 ** (32 - Number(bits));
    const start = ipv4ToNumber(base);
    return ip >= start && ip < start + size;
  });
}

const same = (a: string, b: string) => a.replace(/\.$/, "").toLowerCase() === b.replace(/\.$/, "").toLowerCase();
const missing = (error: unknown) => ["ENODATA", "ENOTFOUND", "EREFUSED", "ESERVFAIL"].includes((error as { code?: string }).code ?? "");

/** A resolver for `--resolver ip[:port]`, else the system's. */
export function resolverFor(server?: string): dns.Resolver {
  const resolver = new dns.Resolver({ timeout: 5000, tries: 2 });
  if (server) resolver.setServers([server]);
  return resolver;
}

/** The autodiscover CNAME and SRV of one domain, as docs/microsoft-365.md, "DNS records", declares them. */
export async function checkDomain(resolver: dns.Resolver, domain: string): Promise<CheckResult[]> {
  const cnameName = `autodiscover.${domain}`;
  let cname: CheckResult;
  try {
    const targets = await resolver.resolveCname(cnameName);
    cname = targets.some((t) => same(t, AUTODISCOVER_TARGET))
      ? { check: `CNAME ${cnameName}`, ok: true, detail: `→ ${AUTODISCOVER_TARGET}` }
      : { check: `CNAME ${cnameName}`, ok: false, detail: `points to ${targets.join(", ")}, not ${AUTODISCOVER_TARGET}` };
  } catch (error) {
    if (!missing(error)) return [unanswered(`CNAME ${cnameName}`, error), unanswered(`SRV _autodiscover._tcp.${domain}`, error)];
    const addresses = await resolver.resolve4(cnameName).catch(() => [] as string[]);
    const detail = addresses.some(isCloudflareAddress)
      ? `is proxied by Cloudflare (answers ${addresses.join(", ")} instead of a CNAME); make it DNS-only`
      : addresses.length > 0
        ? `is an A record (${addresses.join(", ")}), not a CNAME to ${AUTODISCOVER_TARGET}`
        : "is missing";
    cname = { check: `CNAME ${cnameName}`, ok: false, detail };
  }

  const srvName = `_autodiscover._tcp.${domain}`;
  let srv: CheckResult;
  try {
    const records = await resolver.resolveSrv(srvName);
    const wanted = records.find((r) => same(r.name, AUTODISCOVER_TARGET) && r.port === 443 && r.priority === 0 && r.weight === 0);
    srv = wanted
      ? { check: `SRV ${srvName}`, ok: true, detail: `→ 0 0 443 ${AUTODISCOVER_TARGET}` }
      : {
          check: `SRV ${srvName}`,
          ok: false,
          detail: `is ${records.map((r) => `${r.priority} ${r.weight} ${r.port} ${r.name}`).join(", ")}, not 0 0 443 ${AUTODISCOVER_TARGET}`,
        };
  } catch (error) {
    if (!missing(error)) return [cname, unanswered(`SRV ${srvName}`, error)];
    srv = { check: `SRV ${srvName}`, ok: false, detail: "is missing" };
  }
  return [cname, srv];
}

/** The resolver failed (timed out, refused the connection): a failed check, like a wrong record. */
function unanswered(check: string, error: unknown): CheckResult {
  return { check, ok: false, detail: `could not be resolved (${(error as { code?: string }).code ?? "error"})` };
}

/** Autodiscover v2 answers with an EWS URL for the mailbox. */
export async function checkAutodiscover(baseUrl: string, mailbox: string): Promise<CheckResult> {
  const check = `autodiscover for ${mailbox}`;
  const url = `${checkedEndpoint(baseUrl, "autodiscover", "--autodiscover-url").replace(/\/+$/, "")}/autodiscover/autodiscover.json/v1.0/${encodeURIComponent(mailbox)}?Protocol=EWS`;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(15_000), redirect: "follow" });
    if (!response.ok) return { check, ok: false, detail: `answered HTTP ${response.status}` };
    const body = (await response.json()) as { Protocol?: string; Url?: string };
    return body.Url ? { check, ok: true, detail: `EWS at ${body.Url}` } : { check, ok: false, detail: "answered without an EWS URL" };
  } catch (error) {
    return { check, ok: false, detail: `did not answer: ${connectionFailure(error)?.reason ?? (error as Error).message}` };
  }
}

import { execFileSync } from "node:child_process";
import type { promises as dns } from "node:dns";
import type { ManualDnsRecord } from "../components/dns/providers/manual";
import { isSpfRecord, leadsToMicrosoft } from "../components/dns/spf";
import type { DomainConfig } from "../config/schema";
import { MICROSOFT_SPF_INCLUDE, MICROSOFT_SPF_RECORD } from "../m365/spf";
import type { CheckResult } from "./verify-checks";

// `verify --stack` for the domains whose provider is manual: every record the admin creates by
// hand, as the stack output manualDnsRecords lists it (Microsoft's values, which only Graph knows,
// come from the deployment), checked through the resolver like the autodiscover records.

const same = (a: string, b: string) => a.replace(/\.$/, "").toLowerCase() === b.replace(/\.$/, "").toLowerCase();
const NONE = ["ENODATA", "ENOTFOUND", "EREFUSED", "ESERVFAIL"];

/** The records to check: the stack output's, else (not deployed, no Pulumi CLI) what the stack file alone says, with why. */
export function manualRecordsOf(stack: string, domains: readonly DomainConfig[]): { records: ManualDnsRecord[]; warning?: string } {
  const manual = domains.filter((domain) => domain.provider === "manual");
  if (manual.length === 0) return { records: [] };
  let why: string;
  try {
    const text = execFileSync("pulumi", ["stack", "output", "--json", "--stack", stack], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 120_000,
    });
    const listed = (JSON.parse(text) as { manualDnsRecords?: unknown }).manualDnsRecords;
    if (Array.isArray(listed)) return { records: listed as ManualDnsRecord[] };
    why = "the stack has no output manualDnsRecords yet: deploy it first";
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    why =
      e.code === "ENOENT"
        ? "the Pulumi CLI is not on PATH"
        : e instanceof SyntaxError
          ? "`pulumi stack output --json` did not answer JSON"
          : (e.stderr?.trim().split("\n")[0] ?? e.message);
  }
  // Without the deployment's values: the SPF record, whose check needs none of Graph's.
  const records = manual
    .filter((domain) => domain.microsoft365Records)
    .map((domain): ManualDnsRecord => ({ domain: domain.name, type: "TXT", name: domain.name, content: MICROSOFT_SPF_RECORD, ttl: 3600 }));
  const names = manual.map((domain) => domain.name).join(", ");
  return {
    records,
    warning: `cannot read the stack output manualDnsRecords of ${stack} (${why}): for ${names} only the records the stack file defines are checked`,
  };
}

/** Whether one record a manual domain needs is there as listed; the autodiscover pair is checked by `checkDomain`. */
export async function checkManualRecord(resolver: dns.Resolver, record: ManualDnsRecord): Promise<CheckResult> {
  const check = `${record.type} ${record.name}`;
  try {
    switch (record.type) {
      case "CNAME": {
        const targets = await resolver.resolveCname(record.name);
        const wanted = String(record.content);
        return targets.some((t) => same(t, wanted))
          ? { check, ok: true, detail: `→ ${wanted}` }
          : { check, ok: false, detail: `points to ${targets.join(", ")}, not ${wanted}` };
      }
      case "MX": {
        const found = await resolver.resolveMx(record.name);
        const wanted = `${String(record.priority)} ${String(record.content)}`;
        return found.some((mx) => same(mx.exchange, String(record.content)) && mx.priority === record.priority)
          ? { check, ok: true, detail: `→ ${wanted}` }
          : { check, ok: false, detail: `is ${found.map((mx) => `${mx.priority} ${mx.exchange}`).join(", ")}, not ${wanted}` };
      }
      case "SRV": {
        const found = await resolver.resolveSrv(record.name);
        const wanted = `${String(record.priority)} ${String(record.weight)} ${String(record.port)} ${String(record.target)}`;
        const match = found.some(
          (srv) => same(srv.name, String(record.target)) && srv.port === record.port && srv.priority === record.priority && srv.weight === record.weight,
        );
        return match
          ? { check, ok: true, detail: `→ ${wanted}` }
          : { check, ok: false, detail: `is ${found.map((r) => `${r.priority} ${r.weight} ${r.port} ${r.name}`).join(", ")}, not ${wanted}` };
      }
      case "TXT":
        return checkTxt(
          check,
          (await resolver.resolveTxt(record.name)).map((strings) => strings.join("")),
          String(record.content),
        );
    }
  } catch (error) {
    const code = (error as { code?: string }).code ?? "error";
    return { check, ok: false, detail: NONE.includes(code) ? "is missing" : `could not be resolved (${code})` };
  }
}

/** The SPF record: the one there must lead to Microsoft's servers (merged, not Microsoft's own text); another TXT record: its text. */
function checkTxt(check: string, texts: string[], wanted: string): CheckResult {
  if (!isSpfRecord(wanted))
    return texts.includes(wanted) ? { check, ok: true, detail: `holds "${wanted}"` } : { check, ok: false, detail: `does not hold "${wanted}"` };
  const spf = texts.filter(isSpfRecord);
  if (spf.length === 0) return { check, ok: false, detail: "has no SPF record" };
  if (spf.length > 1)
    return { check, ok: false, detail: `has ${spf.length} SPF records, which makes SPF fail for all of the domain's mail: merge them into one` };
  return leadsToMicrosoft(spf[0]!)
    ? { check, ok: true, detail: `SPF record includes ${MICROSOFT_SPF_INCLUDE}` }
    : { check, ok: false, detail: `SPF record "${spf[0]!}" lacks ${MICROSOFT_SPF_INCLUDE}` };
}

/** The autodiscover CNAME and SRV, which `checkDomain` checks for every domain. */
export const isAutodiscoverRecord = (record: ManualDnsRecord) =>
  (record.type === "CNAME" && same(record.name, `autodiscover.${record.domain}`)) ||
  (record.type === "SRV" && same(record.name, `_autodiscover._tcp.${record.domain}`));

import { MICROSOFT_SPF_INCLUDE } from "../../../../m365/spf";
import { describeDeclared, pointsAsDeclared, smallDifferences, type DeclaredRecord, type ExistingRecord, type Finding } from "../../existing";
import { dnsRecordLookup } from "../../lookup";
import { isSpfRecord, leadsToMicrosoft, spfText, withMicrosoftInclude } from "../../spf";
import type { DnsProvider, DnsRecordLookup, RecordAt } from "../provider";
import { ManualRecord, manualRecordOf } from "./records";

export { ManualRecord, type ManualDnsRecord, type ManualDnsRecordInput } from "./records";

/** A domain whose records the admin creates by hand at its own DNS host (`provider: manual`): no keys of its own. */
export type ManualDomainArgs = Record<never, never>;

const BY_HAND = "the admin creates it by hand at the domain's DNS host (a manual domain: nothing is written to DNS)";

/**
 * Nothing is written: each record is a `ManualRecord` in the stack, listed in the stack output
 * `manualDnsRecords`, and `verify` checks it through DNS. Before the first deploy, what is there
 * is read through DNS (a resolver, like `verify`'s), never through an API.
 */
export function manualDnsProvider(domain: string, _args: ManualDomainArgs): DnsProvider {
  return {
    problems: () => [],
    actionProblem: (label, _role, action) =>
      typeof (action as { content?: unknown } | null)?.content === "string"
        ? undefined
        : `${label}: a manual domain's records are created by hand, never imported; give "leave", { content: "<value>" } or nothing`,
    declare(spec, { parent, name, action }) {
      const manual = manualRecordOf(domain, spec, action && "content" in action ? action.content : undefined);
      return { resource: new ManualRecord(name, manual, { parent }), manual };
    },
    read: (records, sources) => readThroughDns(records, sources.dnsRecords ?? dnsRecordLookup()),
    importIdOf: () => undefined,
    finding: manualFinding,
  };
}

/**
 * The records at the names, through DNS. A resolver follows a CNAME, so each name is asked for its
 * CNAME first: where there is one, that is what stands there; else the types declared at the name
 * (and A where a CNAME is declared, to name what is there instead).
 */
async function readThroughDns(records: readonly RecordAt[], lookup: DnsRecordLookup): Promise<ExistingRecord[]> {
  const names = [...new Set(records.map((record) => record.name))];
  const perName = await Promise.all(
    names.map(async (name) => {
      const cname = await lookup(name, "CNAME");
      if (cname.length > 0) return cname;
      const types = new Set(records.filter((record) => record.name === name).map((record) => (record.type === "CNAME" ? "A" : record.type)));
      return (await Promise.all([...types].map((type) => lookup(name, type)))).flat();
    }),
  );
  return perName.flat();
}

/** A classified record, worded for the admin who creates it by hand; the SPF record's content to set where it was read. */
function manualFinding(finding: Finding, record: DeclaredRecord, atName: readonly ExistingRecord[]): Finding & { content?: string } {
  const declared = describeDeclared(record);
  if (record.type === "TXT") return manualSpfFinding(finding, record, atName);
  switch (finding.action) {
    case "create":
      return { ...finding, detail: `${declared}: nothing is there; ${BY_HAND}.` };
    case "adopt": {
      const there = atName.find((live) => live.type === record.type);
      if (there && pointsAsDeclared(record, there)) {
        const changes = smallDifferences(record, there);
        return {
          ...finding,
          detail: changes.length > 0 ? `${declared} is there; change it by hand: ${changes.join("; ")}.` : `${declared} is there as declared: nothing to do.`,
        };
      }
      return {
        ...finding,
        detail: `${finding.detail.replace(/: the deployment takes it over and replaces it with .*$/, "")}: change it by hand to ${declared} (onExisting says replace).`,
      };
    }
    default:
      return finding;
  }
}

function manualSpfFinding(finding: Finding, record: DeclaredRecord, atName: readonly ExistingRecord[]): Finding & { content?: string } {
  const [only] = atName.filter((live) => live.type === "TXT" && isSpfRecord(live.content));
  if (finding.action === "create")
    return { ...finding, detail: `${record.name} has no SPF record: create TXT ${String(record.content)} by hand at the domain's DNS host.` };
  if (finding.action !== "merge" || !only) return finding;
  const current = spfText(only.content);
  if (leadsToMicrosoft(current))
    return { ...finding, detail: `${record.name}'s SPF record leads to Microsoft's servers already: nothing to change.`, content: current };
  const merged = spfText(withMicrosoftInclude(current));
  return {
    ...finding,
    detail: `${record.name}'s SPF record needs ${MICROSOFT_SPF_INCLUDE} before its final term: set it by hand to "${merged}" (every other term stays).`,
    content: merged,
  };
}

import type { Discovery, Finding, UrnOf } from "../discovery";
import { declaredDomainRecords, recordResourceName, type DomainDnsArgs } from "./domain-dns";
import { classifyExisting, type DeclaredRecord, type DnsDecisions, type ExistingRecord, type Finding as RecordFinding } from "./existing";
import { dnsProvider, type DnsReadSources } from "./providers";
import { isSpfRecord } from "./spf";
import { assessSpf, dnsTxtLookup, nearLimitSentence, overLimitSentence, spfLookupLevel, type SpfAssessment, type TxtLookup } from "./spf-lookups";
import { skypeForBusinessNames } from "../../m365/skype-for-business";

/** Where a domain's discovery reads: the records through its provider, the SPF includes through public DNS. */
export interface DomainDnsReadSources extends DnsReadSources {
  /** Public DNS, for the SPF includes' lookups; default the system's resolver. */
  dns?: TxtLookup;
}

/** The configuration keys a domain's findings and notices name. */
export interface DomainDnsSettings {
  /** The key whose value settles a conflict of one group of records (`onExisting.<group>`). */
  decide: (group: string) => string;
  /** The key that opts the domain into the Skype for Business records. */
  skypeForBusiness: string;
}

/**
 * One domain: for every record a DomainDns of this name declares with these arguments, what is
 * already at its name, as the domain's provider reads it (Cloudflare's API, GET only; DNS for a
 * manual domain). Each finding is keyed by the record's resource name (recordResourceName), as the
 * component names it. Microsoft's values in `args` must be Graph's, as at deploy time.
 */
export async function discoverDomainDns(
  name: string,
  args: DomainDnsArgs,
  decisions: DnsDecisions,
  settings: DomainDnsSettings,
  sources: DomainDnsReadSources,
  urnOf: UrnOf,
): Promise<Discovery> {
  const lookup = sources.dns ?? dnsTxtLookup();
  const findings: Finding[] = [];
  const notices: string[] = [];
  const left: string[] = [];
  const domain = args.domain;
  const provider = dnsProvider(domain, args);
  const declared = declaredDomainRecords(args);
  // Skype for Business records are declared only with skypeForBusinessRecords; without it, any
  // that are there are read too, to say that they are left alone.
  const skype = args.microsoft365Records && !args.skypeForBusinessRecords ? skypeForBusinessNames(domain) : [];
  const atNames = await provider.read([...declared.map(({ name: at, type }) => ({ name: at, type })), ...skype], sources);
  const declaredNames = new Set(declared.map((record) => record.name));
  const live = atNames.filter((record) => declaredNames.has(record.name.toLowerCase().replace(/\.$/, "")));
  for (const record of atNames.filter((r) => skype.some((s) => s.type === r.type && sameName(s.name, r.name)))) {
    notices.push(
      `${record.type} ${record.name} is a Skype for Business record, which Teams-only tenants no longer need: the stack leaves it as it is ` +
        `(${settings.skypeForBusiness}: true would manage it, and never repoints one that points elsewhere).`,
    );
  }
  // The stack's own records (the provider knows them by the mark it left) are its own whatever
  // they hold now: an earlier deploy made them, and this one updates them (Microsoft's MX target
  // changes, say) — never a conflict.
  const ours = new Map<string, ExistingRecord>();
  for (const record of declared) {
    const own = record.group === "spf" ? undefined : live.find((r) => r.managed === true && r.type === record.type && sameName(r.name, record.name));
    if (own) ours.set(record.key, own);
  }
  for (const record of declared.filter((r) => ours.has(r.key))) {
    findings.push(alreadyManaged(urnOf(recordResourceName(name, record.key)), record));
  }
  const others = live.filter((r) => ![...ours.values()].includes(r));
  const spf = await spfAssessment(declared, others, decisions, lookup);
  notices.push(...spf.notices);
  const byKey = new Map(declared.map((record) => [record.key, record]));
  for (const classified of classifyExisting(
    declared.filter((r) => !ours.has(r.key)),
    others,
    provider.importIdOf,
    decisions,
    spf.assessment,
  )) {
    const record = byKey.get(classified.key)!;
    const finding =
      provider.finding?.(
        classified,
        record,
        others.filter((r) => sameName(r.name, record.name)),
      ) ?? classified;
    const urn = urnOf(recordResourceName(name, finding.key));
    const entry = toFinding(urn, finding, settings);
    if (entry) findings.push(entry);
    else {
      notices.push(finding.detail);
      left.push(urn);
    }
  }
  return { findings, notices, left };
}

/**
 * A record an earlier deploy created or adopted: in the state already, so nothing to import. (An
 * import id that differs from the id in the state would make Pulumi replace the resource by
 * importing it again: a Cloudflare record's id is not its `<zone>/<record>` import id.)
 */
function alreadyManaged(urn: string, record: DeclaredRecord): Finding {
  return {
    urn,
    action: "adopt",
    detail: `${record.type} ${record.name} carries retain-m365's comment: the stack manages it already (an earlier deploy made it), nothing to import; the deploy sets what is declared.`,
  };
}

function toFinding(urn: string, finding: RecordFinding & { content?: string }, settings: DomainDnsSettings): Finding | undefined {
  const content = finding.content === undefined ? {} : { content: finding.content };
  switch (finding.action) {
    case "adopt":
      return { urn, action: "adopt", ...(finding.importId ? { importId: finding.importId } : {}), detail: finding.detail, ...content };
    case "conflict":
      return { urn, action: "conflict", detail: finding.detail, decide: settings.decide(finding.decidedBy) };
    case "leave":
      return undefined;
    default:
      return { urn, action: finding.action, detail: finding.detail, ...content };
  }
}

const sameName = (a: string, b: string) => a.toLowerCase().replace(/\.$/, "") === b.toLowerCase().replace(/\.$/, "");

/**
 * The SPF record's DNS lookups (RFC 7208 §4.6.4) before and after the deployment adds Microsoft's
 * include, through public DNS; notices for a record at 9 or 10 after the edit, or past 10 already.
 */
async function spfAssessment(
  declared: readonly DeclaredRecord[],
  live: readonly ExistingRecord[],
  decisions: DnsDecisions,
  lookup: TxtLookup,
): Promise<{ assessment: SpfAssessment; notices: string[] }> {
  const record = declared.find((r) => r.group === "spf");
  if (!record || decisions.spf === "leave" || typeof record.content !== "string") return { assessment: {}, notices: [] };
  const txt = live.filter((r) => r.type === "TXT" && sameName(r.name, record.name)).map((r) => r.content);
  const assessment = await assessSpf(txt, record.content, lookup);
  const notices: string[] = [];
  const withInclude = txt.some(isSpfRecord);
  if (assessment.merged && spfLookupLevel(assessment.merged) === "near") notices.push(nearLimitSentence(record.name, assessment.merged, withInclude));
  if (!assessment.merged && assessment.current && spfLookupLevel(assessment.current) !== "fine") {
    const level = spfLookupLevel(assessment.current);
    notices.push(
      `${level === "over" ? overLimitSentence(record.name, assessment.current, false) : nearLimitSentence(record.name, assessment.current, false)} (The deployment adds nothing to it.)`,
    );
  }
  return { assessment, notices };
}

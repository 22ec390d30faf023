import { MICROSOFT_SPF_DOMAIN, MICROSOFT_SPF_INCLUDE } from "../../m365/spf";
import type { RecordGroup } from "./records";
import { hasMicrosoftInclude, isSpfRecord, leadsToMicrosoft, twoSpfRecords } from "./spf";
import { overLimitSentence, spfLookupLevel, type SpfAssessment } from "./spf-lookups";

// What a zone that already serves the organisation's mail holds at the names a domain declares,
// and what the deployment does with each: own what is ours, adopt what exists as we would declare
// it, merge into the shared SPF record, and leave anything else to the admin's decision. Pure and
// the same for every DNS provider: the program and `retain-m365 adopt` give it the records the
// domain's provider read (providers/*), and the provider's way of naming a record to import.

/** Whose decision settles a conflict: the admin decides per group, not per record. */
export type { RecordGroup };

export interface SrvData {
  priority: number;
  weight: number;
  port: number;
  target: string;
}

/** A record as the domain declares it, with the role that names its child resource as `key`. */
export interface DeclaredRecord {
  key: string;
  group: RecordGroup;
  type: "CNAME" | "SRV" | "MX" | "TXT";
  name: string;
  content?: string;
  priority?: number;
  data?: SrvData;
  proxied: boolean;
  /** A Skype for Business record: one there with other values (a hybrid tenant's own) is left alone, never repointed. */
  skypeForBusiness?: boolean;
}

/**
 * A record at one of the declared names, as the domain's provider read it (its API, or DNS).
 * Names are fully qualified; TXT content is the record's text, plain or as quoted strings; SRV
 * has `data` {priority, weight, port, target} or `content` "weight port target" with `priority`.
 */
export interface ExistingRecord {
  /** The provider's id of the record; empty where records are read through DNS. */
  id: string;
  type: string;
  name: string;
  content: string;
  /** Served through the provider's proxy instead of as the record (Cloudflare's orange cloud). */
  proxied?: boolean;
  ttl?: number;
  priority?: number;
  data?: Record<string, unknown>;
  comment?: string | null;
  /** The stack's own: an earlier deploy created or adopted it (the provider tells by a mark it left on it). */
  managed?: boolean;
}

/** The id Pulumi imports an existing record by, as the domain's provider names it; none: nothing is imported (records kept by hand). */
export type ImportIdOf = (record: ExistingRecord) => string | undefined;

/** The admin's answers; a group without one stays a conflict wherever something else is there. */
export interface DnsDecisions {
  autodiscover?: "replace" | "leave";
  /** `keep`: the MX there (a mail gateway, typically) stays and Microsoft's is not declared. */
  mx?: "keep" | "replace";
  /** `merge` (the default) adds Microsoft's include to the SPF record; `leave` never touches SPF. */
  spf?: "merge" | "leave";
  microsoft365?: "replace" | "leave";
}

interface FindingBase {
  key: string;
  group: RecordGroup;
  type: DeclaredRecord["type"];
  name: string;
  /** One sentence naming the record and what is there. */
  detail: string;
}
export type Finding = FindingBase &
  ({ action: "create" } | { action: "adopt"; importId?: string } | { action: "merge" } | { action: "conflict"; decidedBy: RecordGroup } | { action: "leave" });

/**
 * What a domain's component does with a record that exists: adopt it by import id, not declare it,
 * or (a domain whose records are kept by hand) list it with the content to set there, such as the
 * SPF record there with Microsoft's include merged in.
 */
export type ExistingRecordAction = { import: string } | { content: string } | "leave";

const host = (name: string | undefined) => (name ?? "").toLowerCase().replace(/\.$/, "");

function srvOf(record: ExistingRecord): Partial<SrvData> {
  const [weight, port, target] = record.content.split(/\s+/);
  const data = record.data ?? { priority: record.priority, weight: Number(weight), port: Number(port), target };
  const number = (value: unknown) => (typeof value === "number" ? value : undefined);
  return {
    priority: number(data.priority),
    weight: number(data.weight),
    port: number(data.port),
    target: typeof data.target === "string" ? data.target : undefined,
  };
}

/** Where a record points: a CNAME's and an MX's host, an SRV's target and port. */
export function pointsAsDeclared(declared: DeclaredRecord, record: ExistingRecord): boolean {
  if (declared.type !== "SRV") return host(record.content) === host(declared.content);
  const srv = srvOf(record);
  return host(srv.target) === host(declared.data?.target) && Number(srv.port) === declared.data?.port;
}

/** Differences an adoption overwrites; the comment and the TTL do not matter. */
export function smallDifferences(declared: DeclaredRecord, record: ExistingRecord): string[] {
  const differences: string[] = [];
  if (declared.type === "MX" && record.priority !== declared.priority)
    differences.push(`its preference ${String(record.priority)} becomes ${String(declared.priority)}`);
  if (declared.type === "SRV") {
    const srv = srvOf(record);
    if (srv.priority !== declared.data?.priority || srv.weight !== declared.data?.weight) {
      differences.push(
        `its priority/weight ${String(srv.priority)} ${String(srv.weight)} become ${String(declared.data?.priority)} ${String(declared.data?.weight)}`,
      );
    }
  }
  return differences;
}

export function describeDeclared(record: DeclaredRecord): string {
  if (record.type === "SRV" && record.data)
    return `SRV ${record.name} → ${record.data.priority} ${record.data.weight} ${record.data.port} ${record.data.target}`;
  if (record.type === "MX") return `MX ${record.name} → ${String(record.priority)} ${String(record.content)}`;
  return `${record.type} ${record.name} → ${String(record.content)}`;
}

/** A record that is there, without TXT values: those may hold tokens that are none of our business. */
function describeExisting(record: ExistingRecord): string {
  const proxied = record.proxied ? " (proxied)" : "";
  if (record.type === "TXT") return `a TXT record`;
  if (record.type === "SRV") {
    const srv = srvOf(record);
    return `SRV → ${String(srv.priority)} ${String(srv.weight)} ${String(srv.port)} ${String(srv.target)}`;
  }
  if (record.type === "MX") return `MX → ${String(record.priority)} ${record.content}`;
  return `${record.type} → ${record.content}${proxied}`;
}

const listed = (records: readonly ExistingRecord[]) => records.map(describeExisting).join(", ");

/**
 * One finding per declared record, in the order declared. `existing` holds the records at the
 * declared names (others are ignored); `importIdOf` makes the import ids.
 */
export function classifyExisting(
  declared: readonly DeclaredRecord[],
  existing: readonly ExistingRecord[],
  importIdOf: ImportIdOf,
  decisions: DnsDecisions = {},
  spf: SpfAssessment = {},
): Finding[] {
  return declared.map((record) => {
    const atName = existing.filter((live) => host(live.name) === host(record.name));
    const base = { key: record.key, group: record.group, type: record.type, name: record.name };
    return {
      ...base,
      ...(record.type === "TXT" ? classifySpf(record, atName, decisions, spf) : classifyRecord(record, atName, importIdOf, decisions)),
    } as Finding;
  });
}

type Outcome = { detail: string } & (
  { action: "create" } | { action: "adopt"; importId?: string } | { action: "merge" } | { action: "conflict"; decidedBy: RecordGroup } | { action: "leave" }
);

/**
 * `assessment`: the SPF record's DNS lookups (spf-lookups.ts `assessSpf`), where they were counted.
 * Past SPF's limit with Microsoft's include added is a conflict for the spf decision; a record that
 * reaches Microsoft already through DNS (a redirect, a nested include) gets nothing added.
 */
function classifySpf(record: DeclaredRecord, atName: readonly ExistingRecord[], decisions: DnsDecisions, assessment: SpfAssessment): Outcome {
  const spf = atName.filter((live) => live.type === "TXT" && isSpfRecord(live.content));
  if (decisions.spf === "leave") {
    const stays = spf.length === 0 ? "no SPF record is created" : `its ${spf.length === 1 ? "SPF record stays" : `${spf.length} SPF records stay`} as they are`;
    return { action: "leave", detail: `${record.name}: SPF is left to the organisation, ${stays}.` };
  }
  const [only] = spf;
  if (spf.length > 1) return { action: "conflict", decidedBy: "spf", detail: twoSpfRecords(record.name, spf.length) };
  const { merged } = assessment;
  if (merged && spfLookupLevel(merged) === "over")
    return { action: "conflict", decidedBy: "spf", detail: overLimitSentence(record.name, merged, only !== undefined) };
  if (!only) return { action: "create", detail: `${record.name} has no SPF record: the deployment creates TXT ${String(record.content)}.` };
  if (!leadsToMicrosoft(only.content) && assessment.current?.reachesMicrosoft) {
    return {
      action: "leave",
      detail: `${record.name}'s SPF record reaches ${MICROSOFT_SPF_DOMAIN} already, through a redirect or an include of its own: nothing is added (it would only cost DNS lookups), and the record stays as it is.`,
    };
  }
  if (leadsToMicrosoft(only.content) && !hasMicrosoftInclude(only.content)) {
    return {
      action: "merge",
      detail: `${record.name}'s SPF record redirects to ${MICROSOFT_SPF_DOMAIN}: nothing to add, and the deployment never adds an include after a redirect that leads to Microsoft.`,
    };
  }
  if (hasMicrosoftInclude(only.content)) {
    return {
      action: "merge",
      detail: `${record.name}'s SPF record already includes ${MICROSOFT_SPF_INCLUDE}: nothing to add, and the deployment never removes an include it did not add.`,
    };
  }
  return { action: "merge", detail: `${record.name}'s SPF record gets ${MICROSOFT_SPF_INCLUDE} added before its final term; every other term stays as it is.` };
}

function classifyRecord(record: DeclaredRecord, atName: readonly ExistingRecord[], importIdOf: ImportIdOf, decisions: DnsDecisions): Outcome {
  const declared = describeDeclared(record);
  const same = atName.filter((live) => live.type === record.type);
  // Nothing may share a name with a CNAME: another type at a CNAME's name, or a CNAME at another's.
  const blocking = atName.filter((live) => (record.type === "CNAME") !== (live.type === "CNAME"));
  const [only] = same;
  if (!only && blocking.length === 0) return { action: "create", detail: `${declared}: nothing is there, the deployment creates it.` };
  if (only && same.length === 1 && blocking.length === 0 && !only.proxied && pointsAsDeclared(record, only)) {
    const changes = smallDifferences(record, only);
    const also = changes.length > 0 ? ` (${changes.join("; ")})` : "";
    return { action: "adopt", importId: importIdOf(only), detail: `${declared} exists as declared: the deployment takes it over${also}.` };
  }

  const there = listed([...same, ...blocking]);
  if (record.skypeForBusiness) {
    return {
      action: "leave",
      detail: `${declared} is not declared: what is at ${record.name} (${there}) is a Skype for Business record, a hybrid tenant's own perhaps, and is never repointed.`,
    };
  }
  const decision = decisions[record.group as Exclude<RecordGroup, "spf">];
  if (decision === "leave" || decision === "keep") {
    return { action: "leave", detail: `${declared} is not declared: what is at ${record.name} (${there}) stays as it is.` };
  }
  if (decision === "replace" && only && same.length === 1 && blocking.length === 0) {
    return {
      action: "adopt",
      importId: importIdOf(only),
      detail: `${record.name} has ${there}: the deployment takes it over and replaces it with ${declared}.`,
    };
  }
  const unsettled =
    decision === "replace"
      ? `; replacing does not settle it, because the deployment changes one ${record.type} record at most and never deletes others — remove the others by hand`
      : "";
  return { action: "conflict", decidedBy: record.group, detail: `${record.name} has ${there} where ${declared} is declared${unsettled}.` };
}

/** The component's per-record actions from the findings; conflicts and new records have none. */
export function existingRecordActions(findings: readonly Finding[]): Record<string, ExistingRecordAction> {
  const actions: Record<string, ExistingRecordAction> = {};
  for (const finding of findings) {
    if (finding.action === "adopt" && finding.importId) actions[finding.key] = { import: finding.importId };
    if (finding.action === "leave") actions[finding.key] = "leave";
  }
  return actions;
}

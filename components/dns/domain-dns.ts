import * as pulumi from "@pulumi/pulumi";
import { isDnsName } from "../../core/dns-name";
import type { ServiceConfigurationRecord } from "../../m365/microsoft-dns-records/records";
import type { DeclaredRecord, ExistingRecordAction } from "./existing";
import { autodiscoverRecordSpecs, microsoft365RecordSpecs, type DnsRecordSpec } from "./records";
import { dnsProvider, dnsProviderPermissions, type DnsProviderArgs } from "./providers";
import type { ManualDnsRecordInput } from "./providers/manual";
import { combinePermissions, permissions } from "../permissions";
import { existingOf, type ExistingResources } from "../discovery";

interface DomainDnsCommonArgs {
  /** The domain, lower-case, e.g. `contoso.com`. */
  domain: string;
  /** Microsoft's record set from Graph `serviceConfigurationRecords`; omit to manage only autodiscover. */
  microsoft365Records?: readonly ServiceConfigurationRecord[];
  /** Also declare the Skype for Business records of that set (`domains[].skypeForBusinessRecords`); default false. */
  skypeForBusinessRecords?: boolean;
  /**
   * What to do with records that exist already, per record key (the child's role:
   * `autodiscover-cname`, `m365-mx`, …; `existingRecordActions` of `classifyExisting`'s findings):
   * `{ import: "<zoneId>/<recordId>" }` adopts the record (Pulumi imports it, then updates it to
   * what is declared; Cloudflare), `{ content }` lists it with that content (the SPF record there,
   * merged; manual), `"leave"` does not declare it. A key without an entry is created; the SPF
   * record (`m365-txt`) is merged, never imported.
   */
  existingRecords?: Readonly<Record<string, ExistingRecordAction>>;
}

/**
 * A domain's records and where they are kept: `provider` (default `cloudflare`, with its `zoneId`;
 * `manual`: nothing is written) and that provider's arguments (providers/index.ts).
 */
export type DomainDnsArgs = DomainDnsCommonArgs & DnsProviderArgs;

/**
 * Needed for a `DomainDns`. Read: listing the records at the declared names (what exists, the SPF
 * record that SpfInclude reads and refreshes). Write: creating and adopting records, and editing
 * the shared SPF record. Each provider states its own half (providers/*); Graph's is the record set.
 */
export const domainDnsPermissions = combinePermissions(
  permissions({ read: { graph: ["Domain.Read.All (only when microsoft365Records is on: reads serviceConfigurationRecords)"] } }),
  dnsProviderPermissions,
);

function specsOf(args: DomainDnsArgs): DnsRecordSpec[] {
  return [...autodiscoverRecordSpecs(args.domain), ...m365SpecsOf(args)];
}

function m365SpecsOf(args: DomainDnsArgs): DnsRecordSpec[] {
  return args.microsoft365Records
    ? microsoft365RecordSpecs(args.domain, args.microsoft365Records, { skypeForBusinessRecords: args.skypeForBusinessRecords })
    : [];
}

/** Argument checks, pure so tests can call them without the Pulumi runtime. */
export function checkDomainDnsArgs(args: DomainDnsArgs): string[] {
  const problems: string[] = [];
  if (!isDnsName(args.domain)) problems.push(`domain "${args.domain}" is not a lower-case DNS name`);
  const provider = dnsProvider(args.domain, args);
  problems.push(...provider.problems());
  let keys: string[] = [];
  try {
    keys = specsOf(args).map((spec) => spec.role);
  } catch (error) {
    problems.push((error as Error).message);
  }
  for (const [key, action] of Object.entries(args.existingRecords ?? {})) {
    const label = `existingRecords["${key}"] of ${args.domain}`;
    if (keys.length > 0 && !keys.includes(key)) problems.push(`${label}: ${args.domain} declares no such record (it declares ${keys.join(", ")})`);
    if (action === "leave") continue;
    const problem = provider.actionProblem(label, key, action);
    if (problem) problems.push(problem);
  }
  return problems;
}

function known<T>(value: pulumi.Input<T> | undefined, what: string): T | undefined {
  if (pulumi.Output.isInstance(value) || value instanceof Promise) {
    throw new Error(`${what} is known only at deploy time: list the declared records from Graph's record set, not the offline one`);
  }
  return value as T | undefined;
}

/**
 * The resource name of a domain's record, from the component's name and the record's role
 * (`autodiscover-cname`, `m365-mx`, …): the declaration below and its discovery (discovery.ts)
 * both take it from here, so `adopt`'s findings carry the urns the plan shows.
 */
export function recordResourceName(name: string, role: string): string {
  return `${name}-${role}`;
}

/**
 * `existingRecords` for a DomainDns of this name, from what the discovery found, by resource
 * name: each record the domain declares looked up under the name the component gives it.
 */
export function existingRecordsOf(name: string, args: DomainDnsArgs, existing: ExistingResources | undefined): Record<string, ExistingRecordAction> {
  const actions: Record<string, ExistingRecordAction> = {};
  let roles: string[] = [];
  try {
    roles = specsOf(args).map((spec) => spec.role);
  } catch {
    // Arguments the component refuses: its own checks say why.
  }
  for (const role of roles) {
    const action = existingOf(existing, recordResourceName(name, role));
    if (action) actions[role] = action;
  }
  return actions;
}

/**
 * The records a `DomainDns` with these arguments declares (before `existingRecords` leaves any
 * out), with plain values, for `classifyExisting`: the program and `retain-m365 adopt` classify
 * exactly these. Microsoft's values must be Graph's, not the offline plan's unknowns.
 */
export function declaredDomainRecords(args: DomainDnsArgs): DeclaredRecord[] {
  return specsOf(args).map((spec) => {
    const what = `${spec.type} ${spec.name}`;
    const data = spec.data && {
      priority: known(spec.data.priority, what) ?? 0,
      weight: known(spec.data.weight, what) ?? 0,
      port: known(spec.data.port, what) ?? 0,
      target: known(spec.data.target, what) ?? "",
    };
    return {
      key: spec.role,
      group: spec.group,
      type: spec.type,
      name: spec.name,
      content: known(spec.content, what),
      priority: known(spec.priority, what),
      data,
      proxied: false,
      ...(spec.skypeForBusiness ? { skypeForBusiness: true } : {}),
    };
  });
}

/**
 * The DNS records of one domain: the autodiscover CNAME and SRV that Retain relies on, and
 * optionally the rest of Microsoft's record set, the SPF record merged into the domain's one SPF
 * record. The domain's provider declares each (providers/): Cloudflare writes them, DNS-only, and
 * leaves them in the zone on destroy; for a `manual` domain each is a `ManualRecord` that writes
 * nothing, listed in `manualRecords` for the admin to create by hand.
 */
export class DomainDns extends pulumi.ComponentResource {
  readonly autodiscoverCname?: pulumi.Resource;
  readonly autodiscoverSrv?: pulumi.Resource;
  readonly microsoft365: pulumi.Resource[];
  /** Fully-qualified names of every record declared, in declaration order. */
  readonly recordNames: string[];
  /** The records the admin creates by hand (a `manual` domain), in declaration order; none where the provider writes them. */
  readonly manualRecords: ManualDnsRecordInput[];

  constructor(name: string, args: DomainDnsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("retain-m365:dns:DomainDns", name, {}, opts);
    const problems = checkDomainDnsArgs(args);
    if (problems.length > 0) throw new Error(`DomainDns ${name}: ${problems.join("; ")}`);

    const provider = dnsProvider(args.domain, args);
    const declared = specsOf(args).filter((spec) => args.existingRecords?.[spec.role] !== "leave");
    const records = declared.map((spec) => {
      const action = args.existingRecords?.[spec.role];
      return {
        role: spec.role,
        ...provider.declare(spec, { parent: this, name: recordResourceName(name, spec.role), action: action === "leave" ? undefined : action }),
      };
    });
    const byRole = new Map(records.map((record) => [record.role, record.resource]));
    this.autodiscoverCname = byRole.get("autodiscover-cname");
    this.autodiscoverSrv = byRole.get("autodiscover-srv");
    this.microsoft365 = records.filter((record) => !record.role.startsWith("autodiscover-")).map((record) => record.resource);
    this.recordNames = declared.map((spec) => spec.name);
    this.manualRecords = records.flatMap((record) => (record.manual ? [record.manual] : []));

    this.registerOutputs({ recordNames: this.recordNames });
  }
}

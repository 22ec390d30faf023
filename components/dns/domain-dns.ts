import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";
import { isDnsName } from "../../core/formats";
import type { ServiceConfigurationRecord } from "../../m365/service-records";
import type { DeclaredRecord, ExistingRecordAction } from "./existing";
import { autodiscoverRecordSpecs, microsoft365RecordSpecs, type DnsRecordSpec } from "./records";
import { SpfInclude } from "./spf-include";
import { permissions } from "../permissions";

export interface DomainDnsArgs {
  /** The domain, lower-case, e.g. `contoso.com`. */
  domain: string;
  /** Cloudflare zone id of the domain (32 hex characters). */
  zoneId: pulumi.Input<string>;
  /** Microsoft's record set from Graph `serviceConfigurationRecords`; omit to manage only autodiscover. */
  microsoft365Records?: readonly ServiceConfigurationRecord[];
  /** Also declare the Skype for Business records of that set (`domains[].skypeForBusinessRecords`); default false. */
  skypeForBusinessRecords?: boolean;
  /**
   * What to do with records the zone has already, per record key (the child's role:
   * `autodiscover-cname`, `m365-mx`, …; `existingRecordActions` of `classifyExisting`'s findings):
   * `{ import: "<zoneId>/<recordId>" }` adopts the record (Pulumi imports it, then updates it to
   * what is declared), `"leave"` does not declare it. A key without an entry is created; the SPF
   * record (`m365-txt`) is merged, never imported.
   */
  existingRecords?: Readonly<Record<string, ExistingRecordAction>>;
  /** Cloudflare API token for the SPF record's edits, a secret; without it, CLOUDFLARE_API_TOKEN at deploy time. */
  cloudflareApiToken?: pulumi.Input<string>;
  /** Cloudflare API base URL for the SPF record's edits; the emulator's in tests. */
  cloudflareEndpoint?: string;
}

/**
 * Needed for a `DomainDns`. Read: listing a zone's records (what exists at the declared names, the
 * SPF record that SpfInclude reads and refreshes). Write: creating and adopting records, and
 * editing the shared SPF record.
 */
export const domainDnsPermissions = permissions({
  read: {
    cloudflare: ["Zone › DNS › Read, on the tenant's zones"],
    graph: ["Domain.Read.All (only when microsoft365Records is on: reads serviceConfigurationRecords)"],
  },
  write: { cloudflare: ["Zone › DNS › Edit, on the tenant's zones"] },
});

/**
 * The comment on every record the stack declares. A record that carries it is the stack's own
 * (created, or adopted and updated, by an earlier deploy): it is in the state already.
 */
export const MANAGED_COMMENT = "Managed by retain-m365";

const SPF_KEY = /^m365-txt/;
const HEX32 = /^[0-9a-f]{32}$/;

function specsOf(args: DomainDnsArgs): DnsRecordSpec[] {
  return [...autodiscoverRecordSpecs(args.domain), ...m365SpecsOf(args)];
}

function m365SpecsOf(args: DomainDnsArgs): DnsRecordSpec[] {
  return args.microsoft365Records ? microsoft365RecordSpecs(args.domain, args.microsoft365Records, { skypeForBusinessRecords: args.skypeForBusinessRecords }) : [];
}

/** Argument checks, pure so tests can call them without the Pulumi runtime. */
export function checkDomainDnsArgs(args: DomainDnsArgs): string[] {
  const problems: string[] = [];
  if (!isDnsName(args.domain)) problems.push(`domain "${args.domain}" is not a lower-case DNS name`);
  const zoneId = typeof args.zoneId === "string" ? args.zoneId : undefined;
  if (zoneId !== undefined && !HEX32.test(zoneId)) problems.push(`zoneId of ${args.domain} is not 32 lower-case hex characters`);
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
    const importId = typeof action === "object" && action !== null ? (action as { import?: unknown }).import : undefined;
    if (typeof importId !== "string") {
      problems.push(`${label} must be "leave" or { import: "<zoneId>/<recordId>" }`);
    } else if (SPF_KEY.test(key)) {
      problems.push(`${label}: the SPF record is merged into, never imported; give "leave" or nothing`);
    } else {
      const [zone, record, ...rest] = importId.split("/");
      if (rest.length > 0 || !HEX32.test(zone ?? "") || !HEX32.test(record ?? "") || (zoneId !== undefined && zone !== zoneId)) {
        problems.push(`${label}: import id "${importId}" is not "<zoneId>/<recordId>" in zone ${zoneId ?? "of the domain"}`);
      }
    }
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
 * The DNS records of one domain in Cloudflare: the autodiscover CNAME and SRV that Retain relies
 * on, and optionally the rest of Microsoft's record set, the SPF record merged into the zone's one
 * SPF record. All DNS-only: a proxied autodiscover record breaks autodiscover. The organisation's
 * mail relies on these records, so a destroy leaves them in the zone (`retainOnDelete`); only
 * Microsoft's SPF include, if the deployment added it, is taken out again.
 */
export class DomainDns extends pulumi.ComponentResource {
  readonly autodiscoverCname?: cloudflare.DnsRecord;
  readonly autodiscoverSrv?: cloudflare.DnsRecord;
  readonly microsoft365: (cloudflare.DnsRecord | SpfInclude)[];
  /** Fully-qualified names of every record declared, in declaration order. */
  readonly recordNames: string[];

  constructor(name: string, args: DomainDnsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("retain-m365:dns:DomainDns", name, {}, opts);
    const problems = checkDomainDnsArgs(args);
    if (problems.length > 0) throw new Error(`DomainDns ${name}: ${problems.join("; ")}`);

    const declared = (spec: DnsRecordSpec) => args.existingRecords?.[spec.role] !== "leave";
    const declare = (spec: DnsRecordSpec): cloudflare.DnsRecord | SpfInclude => {
      if (spec.type === "TXT") {
        return new SpfInclude(
          `${name}-${spec.role}`,
          { zoneId: args.zoneId, name: spec.name, content: spec.content ?? "", ttl: spec.ttl, apiToken: args.cloudflareApiToken, endpoint: args.cloudflareEndpoint },
          { parent: this },
        );
      }
      const action = args.existingRecords?.[spec.role];
      return new cloudflare.DnsRecord(
        `${name}-${spec.role}`,
        {
          zoneId: args.zoneId,
          name: spec.name,
          type: spec.type,
          ttl: spec.ttl,
          proxied: false,
          content: spec.content,
          priority: spec.priority,
          data: spec.data,
          comment: MANAGED_COMMENT,
        },
        { parent: this, retainOnDelete: true, ...(typeof action === "object" ? { import: action.import } : {}) },
      );
    };

    const autodiscover = new Map(autodiscoverRecordSpecs(args.domain).filter(declared).map((spec) => [spec.role, declare(spec) as cloudflare.DnsRecord]));
    this.autodiscoverCname = autodiscover.get("autodiscover-cname");
    this.autodiscoverSrv = autodiscover.get("autodiscover-srv");
    const m365Specs = m365SpecsOf(args).filter(declared);
    this.microsoft365 = m365Specs.map(declare);
    this.recordNames = specsOf(args)
      .filter(declared)
      .map((spec) => spec.name);

    this.registerOutputs({ recordNames: this.recordNames });
  }
}

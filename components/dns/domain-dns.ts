import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";
import { isDnsName } from "../../core/formats";
import type { ServiceConfigurationRecord } from "../../m365/service-records";
import { autodiscoverRecordSpecs, microsoft365RecordSpecs, type DnsRecordSpec } from "./records";
import { permissions } from "../permissions";

export interface DomainDnsArgs {
  /** The domain, lower-case, e.g. `contoso.com`. */
  domain: string;
  /** Cloudflare zone id of the domain (32 hex characters). */
  zoneId: pulumi.Input<string>;
  /** Microsoft's record set from Graph `serviceConfigurationRecords`; omit to manage only autodiscover. */
  microsoft365Records?: readonly ServiceConfigurationRecord[];
}

/** Needed for a `DomainDns`. */
export const domainDnsPermissions = permissions({
  read: {
    cloudflare: ["Zone › DNS › Read, on the tenant's zones"],
    graph: ["Domain.Read.All (only when microsoft365Records is on: reads serviceConfigurationRecords)"],
  },
  write: { cloudflare: ["Zone › DNS › Edit, on the tenant's zones"] },
});

/** Argument checks, pure so tests can call them without the Pulumi runtime. */
export function checkDomainDnsArgs(args: DomainDnsArgs): string[] {
  const problems: string[] = [];
  if (!isDnsName(args.domain)) problems.push(`domain "${args.domain}" is not a lower-case DNS name`);
  if (typeof args.zoneId === "string" && !/^[0-9a-f]{32}$/.test(args.zoneId)) {
    problems.push(`zoneId of ${args.domain} is not 32 lower-case hex characters`);
  }
  return problems;
}

/**
 * The DNS records of one domain in Cloudflare: the autodiscover CNAME and SRV that Retain relies
 * on, and optionally the rest of Microsoft's record set. All DNS-only: a proxied autodiscover
 * record breaks autodiscover.
 */
export class DomainDns extends pulumi.ComponentResource {
  readonly autodiscoverCname: cloudflare.DnsRecord;
  readonly autodiscoverSrv: cloudflare.DnsRecord;
  readonly microsoft365: cloudflare.DnsRecord[];
  /** Fully-qualified names of every record declared, in declaration order. */
  readonly recordNames: string[];

  constructor(name: string, args: DomainDnsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("retain-m365:dns:DomainDns", name, {}, opts);
    const problems = checkDomainDnsArgs(args);
    if (problems.length > 0) throw new Error(`DomainDns ${name}: ${problems.join("; ")}`);

    const declare = (spec: DnsRecordSpec) =>
      new cloudflare.DnsRecord(
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
          comment: "Managed by retain-m365",
        },
        { parent: this },
      );

    const [cname, srv] = autodiscoverRecordSpecs(args.domain).map(declare);
    this.autodiscoverCname = cname;
    this.autodiscoverSrv = srv;
    const m365Specs = args.microsoft365Records ? microsoft365RecordSpecs(args.domain, args.microsoft365Records) : [];
    this.microsoft365 = m365Specs.map(declare);
    this.recordNames = [...autodiscoverRecordSpecs(args.domain), ...m365Specs].map((spec) => spec.name);

    this.registerOutputs({ recordNames: this.recordNames });
  }
}

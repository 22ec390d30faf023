import type * as pulumi from "@pulumi/pulumi";
import { AUTODISCOVER_TARGET, RECOMMENDED_TTL } from "../../m365/autodiscover";
import type { ServiceConfigurationRecord } from "../../m365/microsoft-dns-records/records";
import { isSkypeForBusinessRecord } from "../../m365/skype-for-business";

// What a domain needs, whoever keeps its records: computed here without any provider's types, then
// written by the domain's provider (providers/cloudflare) or listed for the admin (providers/manual).

/** Which decision (`onExisting`) settles a conflict over a record: the records are grouped by what they are for. */
export type RecordGroup = "autodiscover" | "mx" | "spf" | "microsoft365";

/** One record a domain needs: `role` names it (and the child resource that stands for it). TXT `content` is the plain text. */
export interface DnsRecordSpec {
  role: string;
  /** Whose decision settles a conflict over it (components/dns/existing.ts). */
  group: RecordGroup;
  /** A Skype for Business record: one that exists with other values (a hybrid tenant's own) is never repointed. */
  skypeForBusiness?: boolean;
  name: string;
  type: "CNAME" | "SRV" | "MX" | "TXT";
  ttl: pulumi.Input<number>;
  content?: pulumi.Input<string>;
  priority?: pulumi.Input<number>;
  data?: {
    priority: pulumi.Input<number>;
    weight: pulumi.Input<number>;
    port: pulumi.Input<number>;
    target: pulumi.Input<string>;
  };
}

/** The two records Retain needs for every domain (docs/microsoft-365.md, "DNS records"). */
export function autodiscoverRecordSpecs(domain: string): DnsRecordSpec[] {
  return [
    {
      role: "autodiscover-cname",
      group: "autodiscover",
      name: `autodiscover.${domain}`,
      type: "CNAME",
      content: AUTODISCOVER_TARGET,
      ttl: RECOMMENDED_TTL,
    },
    {
      role: "autodiscover-srv",
      group: "autodiscover",
      name: `_autodiscover._tcp.${domain}`,
      type: "SRV",
      priority: 0,
      data: { priority: 0, weight: 0, port: 443, target: AUTODISCOVER_TARGET },
      ttl: RECOMMENDED_TTL,
    },
  ];
}

export interface Microsoft365RecordOptions {
  /** Declare the Skype for Business records (`domains[].skypeForBusinessRecords`); default false. */
  skypeForBusinessRecords?: boolean;
}

/**
 * Microsoft's record set for a domain as the records to declare. Left out: the autodiscover CNAME (the
 * autodiscover records are always declared and would otherwise be declared twice), the records
 * Graph marks `isOptional`, and the Skype for Business records unless `skypeForBusinessRecords`
 * (m365/microsoft-dns-records/records.ts: Teams-only tenants need none of them).
 */
export function microsoft365RecordSpecs(
  domain: string,
  records: readonly ServiceConfigurationRecord[],
  options: Microsoft365RecordOptions = {},
): DnsRecordSpec[] {
  const autodiscover = new Set(autodiscoverRecordSpecs(domain).map((spec) => spec.name));
  const specs: DnsRecordSpec[] = [];
  const roles = new Map<string, number>();
  for (const record of records) {
    const skype = isSkypeForBusinessRecord(domain, record);
    if (skype ? !options.skypeForBusinessRecords : record.isOptional === true) continue;
    const spec = skype ? { ...toSpec(domain, record), skypeForBusiness: true } : toSpec(domain, record);
    if (autodiscover.has(spec.name)) continue;
    const count = (roles.get(spec.role) ?? 0) + 1;
    roles.set(spec.role, count);
    specs.push(count === 1 ? spec : { ...spec, role: `${spec.role}-${count}` });
  }
  return specs;
}

function toSpec(domain: string, record: ServiceConfigurationRecord): DnsRecordSpec {
  const name = record.recordType === "Srv" ? `${record.service}.${record.protocol}.${record.label}` : record.label;
  if (name !== domain && !name.endsWith(`.${domain}`)) {
    throw new Error(`Microsoft's ${record.recordType} record ${name} is not inside the domain ${domain}`);
  }
  const relative = name === domain ? "" : `-${name.slice(0, -domain.length - 1)}`;
  const ttl = record.ttl;
  switch (record.recordType) {
    case "Mx":
      return { role: `m365-mx${relative}`, group: "mx", name, type: "MX", content: record.mailExchange, priority: record.preference, ttl };
    case "Txt":
      return { role: `m365-txt${relative}`, group: "spf", name, type: "TXT", content: record.text, ttl };
    case "CName":
      return { role: `m365-cname${relative}`, group: "microsoft365", name, type: "CNAME", content: record.canonicalName, ttl };
    case "Srv":
      return {
        role: `m365-srv${relative}`,
        group: "microsoft365",
        name,
        type: "SRV",
        priority: record.priority,
        data: { priority: record.priority, weight: record.weight, port: record.port, target: record.nameTarget },
        ttl,
      };
  }
}

import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";

/** A value Graph gives at deploy time; the offline plan holds an unknown Output in its place. */
export type Deferred<T> = T | pulumi.Output<T>;

interface RecordBase {
  /** Fully-qualified owner name, e.g. `contoso.com` or `sip.contoso.com`. Always known: it names resources. */
  label: string;
  ttl: Deferred<number>;
  supportedService?: string;
  /**
   * Graph's `domainDnsRecord.isOptional`: "If false, this record must be configured by the customer
   * at the DNS host for Microsoft Online Services to operate correctly with the domain." An optional
   * record is never declared. Absent (the offline set) means required.
   */
  isOptional?: boolean;
}
export interface MxRecord extends RecordBase {
  recordType: "Mx";
  mailExchange: Deferred<string>;
  preference: Deferred<number>;
}
export interface TxtRecord extends RecordBase {
  recordType: "Txt";
  text: Deferred<string>;
}
export interface CnameRecord extends RecordBase {
  recordType: "CName";
  canonicalName: Deferred<string>;
}
export interface SrvRecord extends RecordBase {
  recordType: "Srv";
  /** `_sip`: known, since it is part of the record's name. */
  service: string;
  /** `_tls`: known, since it is part of the record's name. */
  protocol: string;
  nameTarget: Deferred<string>;
  port: Deferred<number>;
  priority: Deferred<number>;
  weight: Deferred<number>;
}
/** Graph `domainDnsRecord` subtypes returned by `GET /domains/{id}/serviceConfigurationRecords`. */
export type ServiceConfigurationRecord = MxRecord | TxtRecord | CnameRecord | SrvRecord;

/** Where Microsoft's DNS record set for a domain comes from (Graph at deploy time; canned in tests). */
export interface ServiceConfigurationRecordSource {
  recordsFor(domain: string): Promise<ServiceConfigurationRecord[]>;
}

const base = {
  label: z.string().min(1),
  ttl: z.number().int().positive().catch(3600),
  supportedService: z.string().optional(),
  isOptional: z.boolean().optional(),
};
const graphRecord = z.discriminatedUnion("recordType", [
  z.object({ ...base, recordType: z.literal("Mx"), mailExchange: z.string().min(1), preference: z.number().int() }),
  z.object({ ...base, recordType: z.literal("Txt"), text: z.string().min(1) }),
  z.object({ ...base, recordType: z.literal("CName"), canonicalName: z.string().min(1) }),
  z.object({
    ...base,
    recordType: z.literal("Srv"),
    service: z.string().min(1),
    protocol: z.string().min(1),
    nameTarget: z.string().min(1),
    port: z.number().int(),
    priority: z.number().int(),
    weight: z.number().int(),
  }),
]);
const KNOWN_TYPES = new Set(["Mx", "Txt", "CName", "Srv"]);

/**
 * Turns Graph's `value` array into records, lower-casing names. Record types this project does
 * not manage are left out; a malformed record of a known type is an error naming it.
 */
export function parseServiceConfigurationRecords(domain: string, items: readonly unknown[]): ServiceConfigurationRecord[] {
  const records: ServiceConfigurationRecord[] = [];
  items.forEach((item, index) => {
    const type = (item as { recordType?: unknown } | null)?.recordType;
    if (typeof type !== "string" || !KNOWN_TYPES.has(type)) return;
    const parsed = graphRecord.safeParse(item);
    if (!parsed.success) {
      const problem = parsed.error.issues[0];
      throw new Error(
        `Graph returned a malformed ${type} record for ${domain} (item ${index}, field ${problem?.path.join(".") || "?"}: ${problem?.message ?? "invalid"})`,
      );
    }
    const record = parsed.data;
    records.push({ ...record, label: record.label.toLowerCase().replace(/\.$/, "") });
  });
  return records;
}

import * as pulumi from "@pulumi/pulumi";
import { MICROSOFT_SPF_INCLUDE } from "../../../../m365/spf";
import type { DnsRecordSpec } from "../../records";

/**
 * One record the admin creates by hand at the domain's DNS host (the stack output
 * `manualDnsRecords`, and the plan's "manual DNS records"): `content` is a CNAME's or MX's target
 * or a TXT record's text; an SRV has `target`, `priority`, `weight` and `port`; an MX `priority`.
 */
export interface ManualDnsRecordInput {
  domain: string;
  type: DnsRecordSpec["type"];
  name: string;
  content?: pulumi.Input<string>;
  target?: pulumi.Input<string>;
  priority?: pulumi.Input<number>;
  weight?: pulumi.Input<number>;
  port?: pulumi.Input<number>;
  ttl: pulumi.Input<number>;
  /** What to do beyond entering the value: the SPF record is merged into the one there, never a second. */
  note?: string;
}

/** The record with every value known (a deployment's output). */
export type ManualDnsRecord = { [K in keyof ManualDnsRecordInput]: pulumi.Unwrap<ManualDnsRecordInput[K]> };

/** The domain's one SPF record: merged, never created beside another (RFC 7208 §3.2). */
export const MANUAL_SPF_NOTE =
  `the domain's one SPF record: where one exists, add ${MICROSOFT_SPF_INCLUDE} to it before its final term instead of creating a second ` +
  "(`retain-m365 adopt --resolver` shows the value to set); create this one only where there is none";
/** The note once the SPF record there was read: the content is that record with Microsoft's include merged in. */
export const MERGED_SPF_NOTE =
  "the domain's one SPF record, as it was read with Microsoft's include merged in: replace the one there with it, never add a second";

/** A record as the admin creates it; `content` overrides the declared value (the SPF record there, merged). */
export function manualRecordOf(domain: string, spec: DnsRecordSpec, content?: string): ManualDnsRecordInput {
  const base = { domain, type: spec.type, name: spec.name, ttl: spec.ttl };
  switch (spec.type) {
    case "SRV":
      return { ...base, target: spec.data?.target, priority: spec.data?.priority, weight: spec.data?.weight, port: spec.data?.port };
    case "MX":
      return { ...base, content: spec.content, priority: spec.priority };
    case "TXT":
      return { ...base, content: content ?? spec.content, note: content === undefined ? MANUAL_SPF_NOTE : MERGED_SPF_NOTE };
    default:
      return { ...base, content: spec.content };
  }
}

/**
 * A record of a `manual` domain: it stands in the stack for what the admin creates by hand and
 * writes nothing anywhere. Its `record` is the stack output's entry.
 */
export class ManualRecord extends pulumi.ComponentResource {
  readonly record: ManualDnsRecordInput;

  constructor(name: string, record: ManualDnsRecordInput, opts?: pulumi.ComponentResourceOptions) {
    super("retain-m365:dns:ManualRecord", name, {}, opts);
    this.record = record;
    this.registerOutputs({ record });
  }
}

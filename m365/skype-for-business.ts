import type { ServiceConfigurationRecord } from "./microsoft-dns-records/records";

// Kept free of zod and Pulumi, like spf.ts: the SPF dynamic provider's serialized closure reaches
// components/dns/records.ts, which uses these.

/**
 * Skype for Business Online's records: CNAME `sip` and `lyncdiscover`, SRV `_sip._tls`. Microsoft's
 * "External Domain Name System records for Microsoft 365" (learn.microsoft.com, 2024-10) lists only
 * SRV `_sipfederationtls._tcp` for Teams-only tenants; these three are Skype for Business records,
 * and a hybrid tenant's point at its own servers. Graph still returns them, so the stack declares
 * them only when `domains[].skypeForBusinessRecords` is true, and never repoints one that is there.
 */
export const SKYPE_FOR_BUSINESS_RECORDS = [
  { type: "CNAME", host: "sip" },
  { type: "CNAME", host: "lyncdiscover" },
  { type: "SRV", host: "_sip._tls" },
] as const;

/** The fully-qualified names of a domain's Skype for Business records, with their record types. */
export function skypeForBusinessNames(domain: string): { type: "CNAME" | "SRV"; name: string }[] {
  return SKYPE_FOR_BUSINESS_RECORDS.map((record) => ({ type: record.type, name: `${record.host}.${domain}` }));
}

/** Whether one of Microsoft's records is a Skype for Business record ({@link SKYPE_FOR_BUSINESS_RECORDS}). */
export function isSkypeForBusinessRecord(domain: string, record: ServiceConfigurationRecord): boolean {
  const type = record.recordType === "CName" ? "CNAME" : record.recordType === "Srv" ? "SRV" : undefined;
  const name = record.recordType === "Srv" ? `${record.service}.${record.protocol}.${record.label}` : record.label;
  return skypeForBusinessNames(domain).some((skype) => skype.type === type && skype.name === name.toLowerCase());
}

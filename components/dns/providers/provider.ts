import type * as pulumi from "@pulumi/pulumi";
import type { CloudflareTarget } from "../../../cloudflare/dns-api";
import type { DeclaredRecord, ExistingRecord, ExistingRecordAction, Finding, ImportIdOf } from "../existing";
import type { DnsRecordSpec } from "../records";
import type { ManualDnsRecordInput } from "./manual/records";

// What every DNS provider does for a domain (components/dns/domain-dns.ts and discovery.ts
// call only this): declare the records the domain needs, read what is at their names before the
// first deploy, and say how an existing record is taken over. Each provider is a folder beside this
// file, registered in index.ts.

/** A declared record to read: its name and type. */
export interface RecordAt {
  name: string;
  type: DeclaredRecord["type"];
}

/** The record types read through DNS: the declared ones, and A for what stands where a CNAME is declared. */
export type LookupType = DeclaredRecord["type"] | "A";

/** Reads through DNS the records of one type at one name: none where the name has none. */
export type DnsRecordLookup = (name: string, type: LookupType) => Promise<ExistingRecord[]>;

/** Where the providers read a domain's existing records (`adopt`, and the deploy before it declares anything). */
export interface DnsReadSources {
  /** Cloudflare's API, with a token that may read the zones: needed only for a `cloudflare` domain. */
  cloudflare?: CloudflareTarget;
  /** DNS, for a domain whose records are kept by hand (`adopt --resolver`); default: the system's resolver. */
  dnsRecords?: DnsRecordLookup;
}

/** What the component gives a provider to declare one record. */
export interface DeclareContext {
  /** The domain's component: every record's resource is its child. */
  parent: pulumi.Resource;
  /** The resource's name, `<component>-<role>`. */
  name: string;
  /** What exists of it (`existingRecords`): imported, or listed with another content. */
  action?: Exclude<ExistingRecordAction, "leave">;
}

/** A declared record: the resource that stands for it, and, where the admin creates it by hand, what to create. */
export interface Declared {
  resource: pulumi.Resource;
  manual?: ManualDnsRecordInput;
}

/** One DNS provider, bound to one domain's arguments. */
export interface DnsProvider {
  /** Problems with the provider's own arguments, one sentence each. */
  problems(): string[];
  /** What is wrong with an `existingRecords` entry other than "leave" for the record `role` (`label` names the entry); none: nothing. */
  actionProblem(label: string, role: string, action: unknown): string | undefined;
  declare(spec: DnsRecordSpec, context: DeclareContext): Declared;
  /** Every record at the declared names that the provider can see (all types where it lists a zone). */
  read(records: readonly RecordAt[], sources: DnsReadSources): Promise<ExistingRecord[]>;
  /** How an existing record is taken over by the deploy; undefined for each record where nothing is imported. */
  importIdOf: ImportIdOf;
  /** A classified record as this provider's admin acts on it (the wording, and the content to set by hand); none: as classified. */
  finding?(finding: Finding, record: DeclaredRecord, atName: readonly ExistingRecord[]): Finding & { content?: string };
}

import { combinePermissions, permissions, type RequiredPermissions } from "../../permissions";
import { cloudflareDnsProvider, cloudflarePermissions } from "./cloudflare";
import { manualDnsProvider } from "./manual";
import type { DnsProvider } from "./provider";

export type { Declared, DnsProvider, DnsReadSources, DnsRecordLookup, RecordAt } from "./provider";

/**
 * The DNS providers, by the name `retain-m365:domains[].provider` gives (config/domain-schema.ts,
 * DNS_PROVIDERS, holds the keys each takes): how one is bound to a domain's arguments, and what the
 * deploying identity needs for it. A second provider is a folder beside these and one line here.
 */
const PROVIDERS = {
  cloudflare: { bind: cloudflareDnsProvider, permissions: cloudflarePermissions },
  manual: { bind: manualDnsProvider, permissions: permissions({}) },
} satisfies Record<string, { bind: (domain: string, args: never) => DnsProvider; permissions: RequiredPermissions }>;

export type DnsProviderName = keyof typeof PROVIDERS;
type ArgsOf<P extends DnsProviderName> = Parameters<(typeof PROVIDERS)[P]["bind"]>[1];

/** A domain's provider and its arguments; without `provider`, Cloudflare's (the configuration's default). */
export type DnsProviderArgs = { [P in DnsProviderName]: { provider: P } & ArgsOf<P> }[DnsProviderName] | ({ provider?: undefined } & ArgsOf<"cloudflare">);

/** The provider of a domain, bound to its arguments. */
export function dnsProvider(domain: string, args: DnsProviderArgs): DnsProvider {
  const bind = PROVIDERS[args.provider ?? "cloudflare"].bind as (domain: string, args: DnsProviderArgs) => DnsProvider;
  return bind(domain, args);
}

/** What every provider needs, read and write apart: the union, for README's tables. */
export const dnsProviderPermissions = combinePermissions(...Object.values(PROVIDERS).map((provider) => provider.permissions));

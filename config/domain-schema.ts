import { z } from "zod";
import { isDnsName } from "../core/dns-name";

// A domain of `retain-m365:domains` (config/schema.ts holds the other keys): its name, where its
// records are kept (its DNS provider and that provider's keys), and the admin's decisions about
// records that exist already.

const ZONE_ID = /^[0-9a-f]{32}$/;

const dnsName = z.string().superRefine((value, ctx) => {
  if (value !== value.toLowerCase()) {
    ctx.addIssue({ code: "custom", message: `must be lower-case (write "${value.toLowerCase()}")` });
    return;
  }
  if (!isDnsName(value)) {
    ctx.addIssue({
      code: "custom",
      message: `"${value}" is not a DNS domain name (labels of a-z, 0-9 and "-", separated by dots; internationalised names in their xn-- form)`,
    });
  }
});

/**
 * The admin's decisions about records a zone already has where the stack declares one (what
 * `retain-m365 adopt` reports as a conflict). Unset, such a record stops the deploy.
 */
const onExistingSchema = z.strictObject({
  /** An autodiscover CNAME pointing elsewhere or proxied, or an SRV with other values. */
  autodiscover: z.enum(["replace", "leave"], { error: "must be replace or leave" }).optional(),
  /** MX records to another host, such as a mail-filtering gateway. */
  mx: z.enum(["keep", "replace"], { error: "must be keep or replace" }).optional(),
  /** The domain's one SPF record: our include is merged into it, or the record is left alone. */
  spf: z.enum(["merge", "leave"], { error: "must be merge or leave" }).default("merge"),
  /** Microsoft's other records (Teams, Intune) with other values. */
  microsoft365: z.enum(["replace", "leave"], { error: "must be replace or leave" }).optional(),
});

const CLOUDFLARE_ZONE_ID = "must be a Cloudflare zone id: 32 lower-case hex characters";

/**
 * Where a domain's records are kept, each provider with the keys of a domain it takes (all of them
 * required): `cloudflare` writes the records into the zone `zoneId`; `manual` writes nothing —
 * `plan`, the stack output `manualDnsRecords` and `verify` list and check the records the admin
 * creates at their own DNS host. Each is a folder of components/dns/providers/; a second provider
 * is that folder and one line here.
 */
export const DNS_PROVIDERS = {
  cloudflare: { zoneId: z.string(CLOUDFLARE_ZONE_ID).regex(ZONE_ID, CLOUDFLARE_ZONE_ID) },
  manual: {},
};
export type DnsProviderName = keyof typeof DNS_PROVIDERS;
/** The provider of a domain that names none. */
export const DEFAULT_DNS_PROVIDER: DnsProviderName = "cloudflare";
const DNS_PROVIDER_NAMES = Object.keys(DNS_PROVIDERS) as [DnsProviderName, ...DnsProviderName[]];

type ProviderKeys = (typeof DNS_PROVIDERS)[DnsProviderName];
type KeysOf<T> = T extends unknown ? keyof T : never;
type ProviderKey = KeysOf<ProviderKeys>;
type ProviderKeySchema<K extends ProviderKey> = Extract<ProviderKeys, Record<K, z.ZodType>>[K];
/** Every provider's keys, each optional here: the domain's provider decides which it needs (domainSchema's refinement). */
const providerKeys = Object.fromEntries(
  Object.values(DNS_PROVIDERS).flatMap((keys) => Object.entries(keys as Record<string, z.ZodType>).map(([key, schema]) => [key, schema.optional()])),
) as { [K in ProviderKey]: z.ZodOptional<ProviderKeySchema<K>> };
/** A domain's provider and the keys that provider takes, as validated. */
export type DnsProviderSettings = {
  [P in DnsProviderName]: { provider: P } & { [K in keyof (typeof DNS_PROVIDERS)[P]]: z.output<(typeof DNS_PROVIDERS)[P][K]> };
}[DnsProviderName];
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export const domainSchema = z
  .strictObject({
    name: dnsName,
    provider: z.enum(DNS_PROVIDER_NAMES, { error: `must be one of: ${DNS_PROVIDER_NAMES.join(", ")}` }).default(DEFAULT_DNS_PROVIDER),
    ...providerKeys,
    microsoft365Records: z.boolean().default(false),
    /**
     * Also declare Microsoft's Skype for Business records (CNAME sip, lyncdiscover; SRV _sip._tls):
     * Teams-only tenants need none of them (m365/microsoft-dns-records/records.ts). Only with microsoft365Records.
     */
    skypeForBusinessRecords: z.boolean().default(false),
    onExisting: onExistingSchema.prefault({}),
  })
  .superRefine((domain, ctx) => {
    const takes = DNS_PROVIDERS[domain.provider] as Record<string, z.ZodType>;
    for (const key of Object.keys(providerKeys) as ProviderKey[]) {
      const given = domain[key] !== undefined;
      if (key in takes && !given) {
        const isDefault = domain.provider === DEFAULT_DNS_PROVIDER ? " (the default)" : "";
        ctx.addIssue({
          code: "custom",
          path: [key],
          message: `is required with provider ${domain.provider}${isDefault}; or set provider: manual to create ${domain.name}'s records by hand at the DNS host that keeps them`,
        });
      } else if (!(key in takes) && given) {
        const owners = DNS_PROVIDER_NAMES.filter((name) => key in DNS_PROVIDERS[name]).join(" or ");
        const why = domain.provider === "manual" ? ": nothing is written to DNS for a manual domain, whose records the admin creates by hand" : "";
        ctx.addIssue({
          code: "custom",
          path: [key],
          message: `applies only with provider ${owners}, not ${domain.provider}${why}; remove ${key}, or set provider: ${owners}`,
        });
      }
    }
    if (domain.microsoft365Records) return;
    if (domain.skypeForBusinessRecords)
      ctx.addIssue({ code: "custom", path: ["skypeForBusinessRecords"], message: "applies only with microsoft365Records: true" });
    for (const key of ["mx", "microsoft365"] as const) {
      if (domain.onExisting[key]) ctx.addIssue({ code: "custom", path: ["onExisting", key], message: "applies only with microsoft365Records: true" });
    }
  })
  // Each domain carries only its provider's keys, typed by its provider.
  .transform((domain) => domain as DistributiveOmit<typeof domain, ProviderKey | "provider"> & DnsProviderSettings);

// Microsoft's SPF facts (docs/microsoft-365.md, "SPF"). Kept free of Pulumi, like autodiscover.ts.

/** The domain whose SPF record lists Exchange Online's outbound servers. */
export const MICROSOFT_SPF_DOMAIN = "spf.protection.outlook.com";
/** The SPF term a domain sending through Exchange Online needs in its one SPF record. */
export const MICROSOFT_SPF_INCLUDE = `include:${MICROSOFT_SPF_DOMAIN}`;
/** Microsoft's SPF record for a domain that sends mail only through Exchange Online. */
export const MICROSOFT_SPF_RECORD = `v=spf1 ${MICROSOFT_SPF_INCLUDE} -all`;
/** SPF's limit on DNS-querying terms, counted recursively (RFC 7208 §4.6.4); past it, a permerror. */
export const SPF_LOOKUP_LIMIT = 10;
/**
 * What Microsoft's include costs at least: the include itself, and the include of
 * `spfa.protection.outlook.com` that its record holds (`v=spf1 ip4:… include:spfa.protection.outlook.com -all`,
 * as public DNS captures of 2024–2026 show it; Microsoft's "external DNS records" page warns of the limit).
 */
export const MICROSOFT_SPF_MIN_LOOKUPS = 2;

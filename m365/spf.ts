// Microsoft's SPF facts (docs/microsoft-365.md, "SPF"). Kept free of Pulumi, like autodiscover.ts.

/** The domain whose SPF record lists Exchange Online's outbound servers. */
export const MICROSOFT_SPF_DOMAIN = "spf.protection.outlook.com";
/** The SPF term a domain sending through Exchange Online needs in its one SPF record. */
export const MICROSOFT_SPF_INCLUDE = `include:${MICROSOFT_SPF_DOMAIN}`;
/** Microsoft's SPF record for a domain that sends mail only through Exchange Online. */
export const MICROSOFT_SPF_RECORD = `v=spf1 ${MICROSOFT_SPF_INCLUDE} -all`;

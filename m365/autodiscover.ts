// Where Microsoft 365 autodiscover points (docs/microsoft-365.md, "DNS records"). Kept free of Pulumi: `verify` and
// `sync` load it without the Pulumi SDK.
export const AUTODISCOVER_TARGET = "autodiscover.outlook.com";
export const RECOMMENDED_TTL = 3600;

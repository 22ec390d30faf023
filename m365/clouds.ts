// Constants only: read by dynamic providers, which Pulumi serializes by value.

/**
 * Microsoft's endpoints per cloud: Graph and Exchange Online base URLs (also their token audiences),
 * Security & Compliance's (the Purview cmdlets' admin API, m365/compliance-api.ts; also its token
 * audience: docs/microsoft-365.md, "Security & Compliance"), the Entra login host, and the hosts
 * autodiscover answers at (`verify --autodiscover-url`). These hosts (and the regional hosts of
 * Security & Compliance under its domain), with Cloudflare's below and loopback addresses, are the
 * only ones an endpoint may name (m365/endpoints.ts).
 */
export const CLOUDS = {
  global: {
    graph: "https://graph.microsoft.com",
    exchange: "https://outlook.office365.com",
    compliance: "https://ps.compliance.protection.outlook.com",
    login: "https://login.microsoftonline.com",
    autodiscover: ["https://autodiscover-s.outlook.com", "https://autodiscover.outlook.com"],
  },
  usgov: {
    graph: "https://graph.microsoft.us",
    exchange: "https://outlook.office365.us",
    compliance: "https://ps.compliance.protection.office365.us",
    login: "https://login.microsoftonline.us",
    autodiscover: ["https://autodiscover.office365.us"],
  },
  usgovdod: {
    graph: "https://dod-graph.microsoft.us",
    exchange: "https://webmail.apps.mil",
    compliance: "https://l5.ps.compliance.protection.office365.us",
    login: "https://login.microsoftonline.us",
    autodiscover: ["https://autodiscover-dod.office365.us"],
  },
  china: {
    graph: "https://microsoftgraph.chinacloudapi.cn",
    exchange: "https://partner.outlook.cn",
    compliance: "https://ps.compliance.protection.partner.outlook.cn",
    login: "https://login.chinacloudapi.cn",
    autodiscover: ["https://autodiscover.partner.outlook.cn"],
  },
} as const;

export type Cloud = keyof typeof CLOUDS;
export const CLOUD_NAMES = Object.keys(CLOUDS) as Cloud[];

/** Cloudflare's v4 API: where the zones are read and written (`--cloudflare-endpoint`'s default). */
export const CLOUDFLARE_API_BASE = "https://api.cloudflare.com/client/v4";

// Constants only: read by dynamic providers, which Pulumi serializes by value.

/** Microsoft's endpoints per cloud: Graph and Exchange Online base URLs (also their token audiences) and the Entra login host. */
export const CLOUDS = {
  global: { graph: "https://graph.microsoft.com", exchange: "https://outlook.office365.com", login: "https://login.microsoftonline.com" },
  usgov: { graph: "https://graph.microsoft.us", exchange: "https://outlook.office365.us", login: "https://login.microsoftonline.us" },
  usgovdod: { graph: "https://dod-graph.microsoft.us", exchange: "https://webmail.apps.mil", login: "https://login.microsoftonline.us" },
  china: { graph: "https://microsoftgraph.chinacloudapi.cn", exchange: "https://partner.outlook.cn", login: "https://login.chinacloudapi.cn" },
} as const;

export type Cloud = keyof typeof CLOUDS;
export const CLOUD_NAMES = Object.keys(CLOUDS) as Cloud[];

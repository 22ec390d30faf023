import type { RawConfig } from "../../config/validate";

/** A valid configuration equal to stacks/Pulumi.example.yaml, as plain values; tests mutate copies. */
export function validRawValues(): Record<string, unknown> {
  return {
    "azuread:tenantId": "00000000-0000-4000-8000-000000000001",
    "retain-m365:domains": [
      { name: "example.com", zoneId: "0123456789abcdef0123456789abcdef", microsoft365Records: true },
      { name: "example.net", zoneId: "fedcba9876543210fedcba9876543210" },
    ],
    "retain-m365:adminUser": { userPrincipalName: "retain-sync@example.com" },
    "retain-m365:workerUser": {
      userPrincipalName: "RetainWorker@example.com",
      usageLocation: "US",
      licenseSku: "EXCHANGESTANDARD",
    },
    "retain-m365:exchangeAccess": { mode: "application-rbac", scopeGroup: "Retain Archived Users", ewsAllowList: true },
    "retain-m365:directorySync": { outputDir: "/opt/beginfinite/retain/RetainServer/WEB-INF/cfg", backups: 7 },
    "retain-m365:passwordRotation": "2026-11",
    "retain-m365:application": { credentialRotation: "2026-11" },
  };
}

/** Plain values → RawConfig; `cloudflare:apiToken` is added as an unreadable secret unless given. */
export function toRaw(values: Record<string, unknown>, secrets: Record<string, unknown> = { "cloudflare:apiToken": undefined }): RawConfig {
  const raw: RawConfig = {};
  for (const [key, value] of Object.entries(values)) if (value !== undefined) raw[key] = { value, secret: false };
  for (const [key, value] of Object.entries(secrets)) raw[key] = { value, secret: true };
  return raw;
}

/** validRawValues with both domains kept by hand (`provider: manual`, no zone id): nothing is written to their DNS. */
export function manualRawValues(): Record<string, unknown> {
  const values = validRawValues();
  values["retain-m365:domains"] = [
    { name: "example.com", provider: "manual", microsoft365Records: true },
    { name: "example.net", provider: "manual" },
  ];
  return values;
}

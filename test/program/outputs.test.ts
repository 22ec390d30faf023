import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import type { TenantConfig } from "../../config/schema";
import { validateConfig } from "../../config/validate";
import { startMockRuntime, type MockRuntime } from "../../program/mock-runtime";
import type { credentialExpiryOutputs as CredentialExpiryOutputs } from "../../program/program";
import type { RetainTenant as Tenant } from "../../program/tenant";
import type { retainSettings as RetainSettingsOf } from "../../program/retain-settings";
import { toRaw, validRawValues } from "../support/configs";
import { fakeCall, fakeOutputs } from "../support/fake-tenant";

const SECRET_END_DATE = "2027-05-30T04:00:00Z";
let runtime: MockRuntime;
let RetainTenant: typeof Tenant;
let credentialExpiryOutputs: typeof CredentialExpiryOutputs;
let retainSettings: typeof RetainSettingsOf;

before(async () => {
  runtime = await startMockRuntime({
    project: "retain-m365",
    stack: "outputs",
    preview: false,
    // Entra sets a secret's end date on create: the provider's computed endDate.
    outputs: (args) => ({
      ...fakeOutputs(args),
      ...(args.type === "azuread:index/applicationPassword:ApplicationPassword" ? { endDate: SECRET_END_DATE } : {}),
    }),
    call: fakeCall,
  });
  RetainTenant = (await import("../../program/tenant")).RetainTenant;
  credentialExpiryOutputs = (await import("../../program/program")).credentialExpiryOutputs;
  retainSettings = (await import("../../program/retain-settings")).retainSettings;
});
after(() => runtime.stop());

function configWith(credential: Record<string, unknown>): TenantConfig {
  const values = validRawValues();
  values["retain-m365:application"] = { credential };
  values["retain-m365:directorySync"] = { runAfterFirstDeploy: false };
  for (const domain of values["retain-m365:domains"] as Record<string, unknown>[]) domain.microsoft365Records = false;
  const result = validateConfig(toRaw(values));
  assert.ok(result.ok, JSON.stringify(result));
  return result.config;
}

/** The outputs with every Pulumi output resolved. */
async function resolved(outputs: Record<string, unknown>): Promise<Record<string, unknown>> {
  const entries = await Promise.all(
    Object.entries(outputs).map(
      async ([key, value]) => [key, pulumi.Output.isInstance(value) ? await new Promise((resolve) => value.apply(resolve)) : value] as const,
    ),
  );
  return Object.fromEntries(entries);
}

describe("stack outputs: when Retain's app credential expires", () => {
  it("with a client secret: its end date, as applicationSecretExpires and applicationCredentialExpires", async () => {
    const tenant = new RetainTenant("secret", { config: configWith({ type: "secret" }), microsoft365Records: {} });
    assert.deepEqual(await resolved(credentialExpiryOutputs(tenant.application)), {
      applicationSecretExpires: SECRET_END_DATE,
      applicationCredentialExpires: SECRET_END_DATE,
    });
  });

  it("with certificates: each one's notAfter from its PEM, the earliest as applicationCredentialExpires, no secret end date", async () => {
    const pems = [2, 1].map((n) => readFileSync(path.join(__dirname, "..", "fixtures", "certificates", `app-${n}.pem`), "utf8"));
    const tenant = new RetainTenant("certificates", { config: configWith({ type: "certificate", certificates: pems }), microsoft365Records: {} });
    assert.deepEqual(await resolved(credentialExpiryOutputs(tenant.application)), {
      applicationCertificates: [
        { thumbprint: "B9076686776C1F78A2D54C6BDD740764D10D77DE", expires: "2027-06-19T04:35:16.000Z" },
        { thumbprint: "6C2A3CFE0460C64A6D803D5285116B2CFD4BA025", expires: "2027-03-11T04:35:16.000Z" },
      ],
      applicationCredentialExpires: "2027-03-11T04:35:16.000Z",
    });
  });
});

describe("stack output retainSettings: what Retain's Exchange module asks for", () => {
  const readme = readFileSync(path.join(__dirname, "..", "..", "README.md"), "utf8");
  const table = /^## Finishing in Retain\n[\s\S]*?\n((?:\|.*\n)+)/m.exec(readme)?.[1] ?? "";
  const fields = [...table.matchAll(/^\| [^|]+ \| `(\w+)` \|/gm)].map((match) => match[1]);

  it("has every field README's 'Finishing in Retain' lists, and no other; secrets only named, never held", async () => {
    const config = configWith({ type: "secret" });
    const tenant = new RetainTenant("settings", { config, microsoft365Records: {} });
    const settings = await resolved(retainSettings(config, tenant, {}) as unknown as Record<string, unknown>);
    assert.deepEqual(Object.keys(settings).sort(), [...fields].sort());
    assert.equal(settings.ewsUrl, "https://outlook.office365.com/EWS/Exchange.asmx");
    assert.equal(settings.addressBookFolder, config.directorySync.outputDir);
    assert.equal(settings.mailboxesInReach, `the members of the mail-enabled security group "${config.exchangeAccess.scopeGroup}"`);
    assert.equal(settings.smtpHost, null, "no record set read: no MX");
    assert.match(String(settings.applicationCredential), /^the stack output applicationClientSecret /);
    assert.match(String(settings.workerPassword), /^the stack output workerPassword /);
  });

  it("the SMTP host is the MX host Graph gives for the domain; a certificate credential is named where its key is", async () => {
    const config = configWith({
      type: "certificate",
      certificates: [readFileSync(path.join(__dirname, "..", "fixtures", "certificates", "app-1.pem"), "utf8")],
    });
    const tenant = new RetainTenant("settings-mx", { config, microsoft365Records: {} });
    const mx = { recordType: "Mx" as const, label: "example.com", mailExchange: "example-com.mail.protection.outlook.com", preference: 0, ttl: 3600 };
    const settings = await resolved(retainSettings(config, tenant, { "example.com": [mx] }) as unknown as Record<string, unknown>);
    assert.equal(settings.smtpHost, "example-com.mail.protection.outlook.com");
    assert.match(String(settings.applicationCredential), /credential new/);
  });
});

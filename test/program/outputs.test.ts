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
import { toRaw, validRawValues } from "../support/configs";
import { fakeCall, fakeOutputs } from "../support/fake-tenant";

const SECRET_END_DATE = "2027-05-30T04:00:00Z";
let runtime: MockRuntime;
let RetainTenant: typeof Tenant;
let credentialExpiryOutputs: typeof CredentialExpiryOutputs;

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

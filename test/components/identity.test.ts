import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { parse, stringify } from "yaml";
import { checkRetainAccountsArgs, type RetainAccounts } from "../../components/identity/accounts";
import { checkRetainApplicationArgs, secretResourceName, type RetainApplication } from "../../components/identity/application";
import { GRAPH_APP_ROLES, MICROSOFT_GRAPH_APP_ID } from "../../m365/entra";
import { isSecretValue, startMockRuntime, type MockRuntime } from "../../program/mock-runtime";
import { resourceNamed } from "../support/resources";
import { REPO_ROOT } from "../support/cli";
import { fakeCall, fakeOutputs, GRAPH_SP_OBJECT_ID } from "../support/fake-tenant";
import { runProgram } from "../support/run-program";

let runtime: MockRuntime;
let Accounts: typeof RetainAccounts;
let Application: typeof RetainApplication;

before(async () => {
  runtime = await startMockRuntime({ project: "retain-m365", stack: "test", preview: false, outputs: fakeOutputs, call: fakeCall });
  Accounts = (await import("../../components/identity/accounts")).RetainAccounts;
  Application = (await import("../../components/identity/application")).RetainApplication;
});
after(() => runtime.stop());

const byName = (name: string) => resourceNamed(runtime.resources, name);
const accountsArgs = {
  tenantId: "00000000-0000-4000-8000-000000000001",
  admin: { userPrincipalName: "retain-sync@example.com", displayName: "Retain Directory Sync", directoryRole: "Directory Readers" as const },
  worker: { userPrincipalName: "RetainWorker@example.com", displayName: "RetainWorker", usageLocation: "DE", licenseSku: "EXCHANGESTANDARD" },
  passwordRotation: "2026-11",
};

describe("RetainAccounts", () => {
  before(async () => {
    new Accounts("acc", accountsArgs);
    await runtime.settle();
  });

  it("declares both users, their passwords, the admin's role and the worker's licence as its children", () => {
    const component = byName("acc");
    assert.equal(component.type, "retain-m365:identity:RetainAccounts");
    const children = runtime.resources.filter((r) => r.parent === component.urn);
    assert.deepEqual(children.map((c) => `${c.type} ${c.name}`).sort(), [
      "azuread:index/directoryRoleAssignment:DirectoryRoleAssignment acc-admin-role",
      "azuread:index/user:User acc-admin",
      "azuread:index/user:User acc-worker",
      "pulumi-nodejs:dynamic/identity:MailboxLicense acc-worker-license",
      "random:index/randomPassword:RandomPassword acc-admin-password",
      "random:index/randomPassword:RandomPassword acc-worker-password",
    ]);
  });

  it("gives both users a generated secret password that never expires and needs no change at first sign-in", () => {
    for (const role of ["admin", "worker"]) {
      const user = byName(`acc-${role}`);
      assert.equal(user.inputs.disablePasswordExpiration, true);
      assert.equal(user.inputs.forcePasswordChange, false);
      assert.equal(user.protect, true, "users are protected by default");
      const password = user.inputs.password;
      assert.ok(isSecretValue(password), "the password must reach the engine as a secret");
      const generated = fakeOutputs({
        type: "random:index/randomPassword:RandomPassword",
        name: `acc-${role}-password`,
        inputs: byName(`acc-${role}-password`).inputs,
        custom: true,
      });
      assert.equal(password.value, generated.result);
      const spec = byName(`acc-${role}-password`).inputs;
      assert.equal(spec.length, 32);
      assert.deepEqual(spec.keepers, { rotation: "2026-11" });
    }
    const worker = byName("acc-worker").inputs;
    assert.equal(worker.userPrincipalName, "RetainWorker@example.com");
    assert.equal(worker.displayName, "RetainWorker");
    assert.equal(worker.mailNickname, "RetainWorker");
    assert.equal(worker.usageLocation, "DE");
  });

  it("creates the sync admin with sign-in blocked unless signIn is true; the worker always signs in", async () => {
    assert.equal(byName("acc-admin").inputs.accountEnabled, false);
    assert.equal(byName("acc-worker").inputs.accountEnabled, true);
    new Accounts("open", {
      ...accountsArgs,
      admin: { ...accountsArgs.admin, userPrincipalName: "retain-sync2@example.com", signIn: true },
      worker: { ...accountsArgs.worker, userPrincipalName: "RetainWorker2@example.com" },
    });
    await runtime.settle();
    assert.equal(byName("open-admin").inputs.accountEnabled, true);
  });

  it("assigns the admin the configured read-only role by template id", () => {
    const role = byName("acc-admin-role").inputs;
    assert.equal(role.roleId, "88d8e3e3-8f55-4a1e-953a-9b9898b8876b");
    assert.equal(role.principalObjectId, "acc-admin-object-id");
  });

  it("licenses the worker by SKU part number", () => {
    const licence = byName("acc-worker-license").inputs;
    assert.deepEqual(
      { userId: licence.userId, skuPartNumber: licence.skuPartNumber, tenantId: licence.tenantId, graphEndpoint: licence.graphEndpoint },
      { userId: "acc-worker-object-id", skuPartNumber: "EXCHANGESTANDARD", tenantId: accountsArgs.tenantId, graphEndpoint: "https://graph.microsoft.com" },
    );
  });

  it("can leave users unprotected when asked", async () => {
    new Accounts("loose", { ...accountsArgs, protect: false });
    await runtime.settle();
    assert.equal(byName("loose-admin").protect, false);
  });

  it("checks its arguments without the runtime", () => {
    assert.deepEqual(checkRetainAccountsArgs(accountsArgs), []);
    const same = { ...accountsArgs, worker: { ...accountsArgs.worker, userPrincipalName: "RETAIN-SYNC@example.com" } };
    assert.deepEqual(checkRetainAccountsArgs(same), ["the admin and the worker must be different users"]);
  });
});

describe("RetainApplication", () => {
  before(async () => {
    const now = () => new Date("2026-12-06T18:00:00.000Z");
    new Application("app", { displayName: "Retain Archiving", credential: { type: "secret", lifetimeDays: 90 }, credentialRotation: "r1", now });
    await runtime.settle();
  });

  it("registers the app with the two Graph application permissions", () => {
    const registration = byName("app-registration").inputs;
    assert.equal(registration.displayName, "Retain Archiving");
    assert.equal(registration.signInAudience, "AzureADMyOrg");
    assert.deepEqual(registration.requiredResourceAccesses, [
      {
        resourceAppId: MICROSOFT_GRAPH_APP_ID,
        resourceAccesses: [
          { id: "df021288-bdef-4463-88db-98f22de89214", type: "Role" },
          { id: "98830695-27a2-44f7-8c18-0c3ebc9698f6", type: "Role" },
        ],
      },
    ]);
    assert.equal(byName("app-service-principal").inputs.clientId, "app-registration-client-id");
  });

  it("grants admin consent as app role assignments on Microsoft Graph's service principal", () => {
    for (const [permission, id] of Object.entries(GRAPH_APP_ROLES)) {
      const assignment = byName(`app-graph-${permission}`).inputs;
      assert.equal(assignment.appRoleId, id);
      assert.equal(assignment.principalObjectId, "app-service-principal-object-id");
      assert.equal(assignment.resourceObjectId, GRAPH_SP_OBJECT_ID);
    }
    assert.equal(runtime.resources.filter((r) => r.type === "azuread:index/appRoleAssignment:AppRoleAssignment" && r.name.startsWith("app-")).length, 2);
  });

  it("creates a client secret ending lifetimeDays after it is made (endDate, not the deprecated endDateRelative), rotated by its own key", () => {
    const secret = byName(secretResourceName("app", "r1", 90));
    assert.equal(secret.inputs.endDate, "2027-03-06T18:00:00.000Z");
    assert.equal(secret.inputs.endDateRelative, undefined);
    assert.deepEqual(secret.inputs.rotateWhenChanged, { rotation: "r1" });
    assert.deepEqual([...secret.ignoreChanges].sort(), ["endDate", "endDateRelative"]);
    assert.deepEqual(secret.aliasNames, ["app-secret"], "the name a secret made with endDateRelative has");
  });

  it("keeps a secret's end date until its rotation key or lifetime changes, and does not replace a secret made with endDateRelative", () => {
    const declared = byName(secretResourceName("app", "r1", 90)).inputs;
    // Pulumi's engine stand-in for ignoreChanges: each ignored input takes the value recorded in the
    // resource's state, and is dropped when the state has none (pulumi/pulumi#2657, "the engine simply
    // replaces the values of input properties in the goal state with old inputs"; Pulumi docs,
    // "ignoreChanges": "Uses the serialized value from the stack state for any later previews or updates").
    const goal = (recorded: Record<string, unknown> | undefined) => {
      if (!recorded) return declared;
      const inputs: Record<string, unknown> = { ...declared };
      for (const key of ["endDate", "endDateRelative"]) {
        if (key in recorded) inputs[key] = recorded[key];
        else delete inputs[key];
      }
      return inputs;
    };
    const madeEarlier = { ...declared, endDate: "2027-01-01T00:00:00.000Z" };
    assert.deepEqual(goal(madeEarlier), madeEarlier, "a later deploy keeps the recorded end date: no change, no replacement");
    const legacy: Record<string, unknown> = { ...declared, endDateRelative: "2160h" };
    delete legacy.endDate;
    assert.deepEqual(goal(legacy), legacy, "a secret made with endDateRelative, found through the alias, is unchanged");
    assert.equal(goal(undefined).endDate, "2027-03-06T18:00:00.000Z", "a new rotation key names a new resource, with no state: the date computed now");
    const names = new Set([secretResourceName("app", "r1", 90), secretResourceName("app", "r2", 90), secretResourceName("app", "r1", 180)]);
    assert.equal(names.size, 3, "the rotation key and the lifetime each name a new secret");
    assert.equal(secretResourceName("app", "r1", 90), secretResourceName("app", "r1", 90));
  });

  it("uses a certificate instead of a secret when configured", async () => {
    const certificate = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    new Application("certapp", { displayName: "Retain", credential: { type: "certificate", certificate }, credentialRotation: "r1" });
    await runtime.settle();
    const value = byName("certapp-certificate").inputs.value;
    assert.ok(isSecretValue(value), "the azuread SDK sends the certificate value as a secret");
    assert.equal(value.value, certificate);
    assert.ok(!runtime.resources.some((r) => r.name === "certapp-secret"));
  });

  it("registers one key credential per certificate, each named by its thumbprint (upper-case hex, as Entra shows it), with its expiry", async () => {
    const [first, second] = [1, 2].map((n) => readFileSync(path.join(REPO_ROOT, "test", "fixtures", "certificates", `app-${n}.pem`), "utf8"));
    const twoCertificates = new Application("rotating", {
      displayName: "Retain",
      credential: { type: "certificate", certificates: [first!, second!] },
      credentialRotation: "r1",
    });
    const onlyNew = new Application("rotated", {
      displayName: "Retain",
      credential: { type: "certificate", certificates: [second!] },
      credentialRotation: "r1",
    });
    await runtime.settle();
    const names = (app: string) =>
      runtime.resources
        .filter((r) => r.type === "azuread:index/applicationCertificate:ApplicationCertificate" && r.name.startsWith(`${app}-`))
        .map((r) => r.name);
    assert.deepEqual(names("rotating"), [
      "rotating-certificate-6C2A3CFE0460C64A6D803D5285116B2CFD4BA025",
      "rotating-certificate-B9076686776C1F78A2D54C6BDD740764D10D77DE",
    ]);
    assert.deepEqual(
      names("rotated"),
      ["rotated-certificate-B9076686776C1F78A2D54C6BDD740764D10D77DE"],
      "removing the old certificate keeps the new one's name",
    );
    assert.deepEqual(
      byName("rotated-certificate-B9076686776C1F78A2D54C6BDD740764D10D77DE").aliasNames,
      ["rotated-certificate-b9076686776c1f78a2d54c6bdd740764d10d77de"],
      "a stack deployed when the name was lower case keeps its certificate (matched by alias, not replaced)",
    );
    assert.equal((byName("rotating-certificate-B9076686776C1F78A2D54C6BDD740764D10D77DE").inputs.value as { value: string }).value, second);
    assert.deepEqual(
      twoCertificates.certificates.map((c) => [c.thumbprint, c.notAfter?.toISOString()]),
      [
        ["6C2A3CFE0460C64A6D803D5285116B2CFD4BA025", "2027-03-11T04:35:16.000Z"],
        ["B9076686776C1F78A2D54C6BDD740764D10D77DE", "2027-06-19T04:35:16.000Z"],
      ],
    );
    assert.equal(onlyNew.clientSecretEndDate, undefined);
  });

  it("checks its arguments without the runtime", () => {
    assert.deepEqual(checkRetainApplicationArgs({ displayName: "x", credential: { type: "secret", lifetimeDays: 900 }, credentialRotation: "r" }), [
      "a secret's lifetimeDays must be 1 to 730",
    ]);
    const pem = readFileSync(path.join(REPO_ROOT, "test", "fixtures", "certificates", "app-1.pem"), "utf8");
    assert.deepEqual(
      checkRetainApplicationArgs({ displayName: "x", credential: { type: "certificate", certificates: [pem, "garbled", pem] }, credentialRotation: "r" }),
      ["certificates[1] must be a PEM certificate readable as X.509", "certificates[2] is listed twice"],
    );
    assert.deepEqual(checkRetainApplicationArgs({ displayName: "x", credential: { type: "certificate", certificates: [] }, credentialRotation: "r" }), [
      "a certificate credential needs at least one certificate",
    ]);
  });
});

describe("password rotation (whole program, mock runtime)", () => {
  type Run = { name: string; type: string; ignoreChanges: string[]; inputs: Record<string, unknown> }[];
  const runWith = async (rotation: string): Promise<Run> => {
    const config = parse(readFileSync(path.join(REPO_ROOT, "stacks", "Pulumi.example.yaml"), "utf8")) as { config: Record<string, unknown> };
    config.config["retain-m365:passwordRotation"] = rotation;
    const file = path.join(mkdtempSync(path.join(tmpdir(), "retain-rotation-")), "Pulumi.rotation.yaml");
    writeFileSync(file, stringify(config));
    const run = await runProgram(file);
    assert.equal(run.code, 0, run.stderr);
    return run.resources as Run;
  };

  it("changing passwordRotation changes the passwords and nothing else", async () => {
    const before = await runWith("2026-11");
    const after = await runWith("2027-05");
    assert.deepEqual(after.map((r) => r.name).sort(), before.map((r) => r.name).sort(), "the same resources are declared");
    const changed = new Map<string, string[]>();
    for (const old of before) {
      const now = after.find((r) => r.name === old.name)!;
      // An input the engine ignores keeps its recorded value (a secret's end date, made when it is).
      const keys = [...new Set([...Object.keys(old.inputs), ...Object.keys(now.inputs)])].filter(
        (k) => !old.ignoreChanges.includes(k) && JSON.stringify(old.inputs[k]) !== JSON.stringify(now.inputs[k]),
      );
      if (keys.length > 0) changed.set(`${old.type} ${old.name}`, keys.sort());
    }
    assert.deepEqual(Object.fromEntries(changed), {
      "random:index/randomPassword:RandomPassword run-accounts-admin-password": ["keepers"],
      "random:index/randomPassword:RandomPassword run-accounts-worker-password": ["keepers"],
      "azuread:index/user:User run-accounts-admin": ["password"],
      "azuread:index/user:User run-accounts-worker": ["password"],
    });
  });
});

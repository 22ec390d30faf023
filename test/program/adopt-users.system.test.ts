import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import type { TokenCredential } from "@azure/identity";
import { ExitCode, UserFacingError } from "../../core/errors";
import { createGraphClient } from "../../m365/graph-client";
import { discoverUsers, type AccountKeys, type AccountRole, type DeclaredUser } from "../../components/identity/accounts/discovery";
import { rejection } from "../support/deployer";
import { directoryRoutes } from "../../emulators/directory";
import { directoryTenant, type DirectoryObject, type DirectoryTenant } from "../../emulators/directory-tenant";
import { graphError, graphWrites, startGraphEmulator, type GraphEmulator } from "../../emulators/graph";
import { trustTestCa } from "../../emulators/tls";

const TOKEN = "adopt-users-token";
const staticToken: TokenCredential = { getToken: () => Promise.resolve({ token: TOKEN, expiresOnTimestamp: Date.now() + 3_600_000 }) };
const USERS: Record<AccountRole, DeclaredUser> = {
  admin: { resourceName: "example-accounts-admin", userPrincipalName: "retain-sync@example.com", displayName: "Retain Directory Sync", accountEnabled: false },
  worker: { resourceName: "example-accounts-worker", userPrincipalName: "RetainWorker@example.com", displayName: "RetainWorker", accountEnabled: true },
};
const KEYS: AccountKeys = {
  admin: "retain-m365:adminUser.userPrincipalName",
  worker: "retain-m365:workerUser.userPrincipalName",
  adminSignIn: "retain-m365:adminUser.signIn",
};
const urnOf = (name: string) => `urn:pulumi:example::retain-m365::test::${name}`;

let emulator: GraphEmulator;
let tenant: DirectoryTenant;
let restoreCas: () => void;
before(async () => {
  restoreCas = trustTestCa();
  emulator = await startGraphEmulator({ token: TOKEN, routes: [(request, e) => directoryRoutes(tenant)(request, e)] });
});
after(async () => {
  await emulator.close();
  restoreCas();
});
beforeEach(() => {
  tenant = directoryTenant();
  emulator.requests.length = 0;
  emulator.injected.length = 0;
});

const member = (id: string, userPrincipalName: string, extra: Partial<DirectoryObject> = {}): DirectoryObject => ({
  id,
  userPrincipalName,
  displayName: userPrincipalName.split("@")[0],
  accountEnabled: true,
  userType: "Member",
  mail: userPrincipalName,
  ...extra,
});

async function discover() {
  const discovery = await discoverUsers(createGraphClient({ credential: staticToken, endpoint: emulator.url }), USERS, urnOf, KEYS);
  assert.deepEqual(graphWrites(emulator), [], "discovery only reads");
  return discovery;
}

describe("adopt: the declared users", () => {
  it("reports users the tenant does not have as created, asking Graph for each by its user principal name", async () => {
    const { findings, notices } = await discover();
    assert.deepEqual(
      findings.map((f) => [f.urn, f.action]),
      [
        [urnOf("example-accounts-admin"), "create"],
        [urnOf("example-accounts-worker"), "create"],
      ],
    );
    assert.deepEqual(notices, []);
    assert.deepEqual(
      emulator.requests.map((r) => `${r.method} ${r.path} ${r.query.get("$select") ?? ""}`),
      [
        "GET /v1.0/users/retain-sync@example.com id,userPrincipalName,displayName,accountEnabled,userType",
        "GET /v1.0/users/RetainWorker@example.com id,userPrincipalName,displayName,accountEnabled,userType",
      ],
    );
  });

  it("adopts an enabled member account by its object id, saying its password is replaced and what else changes", async () => {
    tenant.users.push(member("11111111-aaaa-4000-8000-000000000001", "retain-sync@example.com", { displayName: "Old Sync Account" }));
    const { findings } = await discover();
    const admin = findings[0]!;
    assert.equal(admin.action, "adopt");
    assert.equal(admin.importId, "/users/11111111-aaaa-4000-8000-000000000001");
    assert.equal(admin.decide, undefined);
    assert.match(admin.detail, /sets its password once to a generated one, which replaces its current password/);
    assert.match(admin.detail, /changes its display name from "Old Sync Account" to "Retain Directory Sync"/);
    assert.match(admin.detail, /blocks its sign-in \(accountEnabled false; retain-m365:adminUser\.signIn: true keeps it\)/);
    assert.equal(findings[1]?.action, "create");
  });

  it("adopts a disabled admin as it is when the stack blocks the admin's sign-in (the default); with signIn: true it is a conflict", async () => {
    tenant.users.push(
      member("66666666-aaaa-4000-8000-000000000006", "retain-sync@example.com", { displayName: "Retain Directory Sync", accountEnabled: false }),
    );
    const blocked = (await discover()).findings[0]!;
    assert.equal(blocked.action, "adopt");
    assert.doesNotMatch(blocked.detail, /sign-in|disabled/);
    const users = { ...USERS, admin: { ...USERS.admin, accountEnabled: true } };
    const signingIn = (await discoverUsers(createGraphClient({ credential: staticToken, endpoint: emulator.url }), users, urnOf, KEYS)).findings[0]!;
    assert.equal(signingIn.action, "conflict");
    assert.match(signingIn.detail, /is disabled \(accountEnabled false\), and the deploy would enable it/);
  });

  it("finds a user whose user principal name differs only in letter case, and says the deploy rewrites it", async () => {
    tenant.users.push(member("22222222-aaaa-4000-8000-000000000002", "retainworker@example.com", { displayName: "RetainWorker" }));
    const worker = (await discover()).findings[1]!;
    assert.equal(worker.action, "adopt");
    assert.equal(worker.importId, "/users/22222222-aaaa-4000-8000-000000000002");
    assert.match(worker.detail, /user principal name from retainworker@example.com to RetainWorker@example.com/);
    assert.doesNotMatch(worker.detail, /display name/);
  });

  it("escapes the characters a user principal name may hold that a URL path may not", async () => {
    tenant.users.push(member("55555555-aaaa-4000-8000-000000000005", "retain#sync^1@example.com", { displayName: "Retain Directory Sync" }));
    const users = { ...USERS, admin: { ...USERS.admin, userPrincipalName: "retain#sync^1@example.com" } };
    const { findings } = await discoverUsers(createGraphClient({ credential: staticToken, endpoint: emulator.url }), users, urnOf, KEYS);
    assert.equal(findings[0]?.importId, "/users/55555555-aaaa-4000-8000-000000000005");
  });

  it("refuses to take over a disabled worker: a conflict on the worker's key, and a notice about the mailbox behind it", async () => {
    tenant.users.push(member("33333333-aaaa-4000-8000-000000000003", "RetainWorker@example.com", { accountEnabled: false }));
    const { findings, notices } = await discover();
    const worker = findings[1]!;
    assert.equal(worker.action, "conflict");
    assert.equal(worker.decide, "retain-m365:workerUser.userPrincipalName");
    assert.equal(worker.importId, undefined);
    assert.match(worker.detail, /is disabled \(accountEnabled false\)/);
    assert.equal(notices.length, 1);
    assert.match(notices[0]!, /The worker RetainWorker@example\.com is a disabled account/);
  });

  it("refuses to take over a guest: a conflict on the admin's key naming what differs", async () => {
    tenant.users.push(member("44444444-aaaa-4000-8000-000000000004", "retain-sync@example.com", { userType: "Guest", accountEnabled: false }));
    const { findings, notices } = await discover();
    const admin = findings[0]!;
    assert.equal(admin.action, "conflict");
    assert.equal(admin.decide, "retain-m365:adminUser.userPrincipalName");
    assert.match(admin.detail, /but is a guest \(userType Guest\)/);
    assert.doesNotMatch(admin.detail, /disabled/, "a disabled admin is what the stack declares by default");
    assert.deepEqual(notices, [], "only a disabled worker is worth a notice");
  });

  it("turns Graph's refusal into exit 3 naming the permission it needs", async () => {
    tenant.forbiddenUntil = Date.now() + 60_000;
    const error = await rejection(discover());
    assert.ok(error instanceof UserFacingError);
    assert.equal(error.exitCode, ExitCode.auth);
    assert.match(error.message, /^Microsoft Graph GET \/users\/retain-sync@example\.com was refused/);
    assert.match(error.message, /Insufficient privileges to complete the operation\. Reading the declared users needs the Graph permission User\.Read\.All/);
  });

  it("gives up on a Graph that stays down with exit 4", async () => {
    for (let i = 0; i < 6; i++) emulator.injected.push({ ...graphError(503, "ServiceUnavailable", "Service Unavailable"), headers: { "retry-after": "0" } });
    const error = await rejection(discover());
    assert.ok(error instanceof UserFacingError);
    assert.equal(error.exitCode, ExitCode.remoteService);
    assert.match(error.message, /Microsoft Graph GET \/users\/retain-sync@example\.com failed with HTTP 503/);
    assert.equal(emulator.requests.length, 6, "tried as often as the retry policy allows");
  });

  it("takes over the admin's tenant-wide role assignment, never one of the same role scoped to an administrative unit", async () => {
    const GLOBAL_READER = "f2ef992c-3afb-46b9-b7cf-a126ee74c451";
    const adminId = "11111111-aaaa-4000-8000-000000000001";
    const withRole = { ...USERS, admin: { ...USERS.admin, directoryRole: { resourceName: "example-accounts-admin-role", roleTemplateId: GLOBAL_READER } } };
    tenant.users.push(member(adminId, "retain-sync@example.com", { accountEnabled: false }));
    tenant.roleAssignments.push({
      id: "scoped-to-an-administrative-unit",
      principalId: adminId,
      roleDefinitionId: GLOBAL_READER,
      directoryScopeId: "/administrativeUnits/5a0e1b0c-0000-4000-8000-00000000a001",
    });
    const graph = createGraphClient({ credential: staticToken, endpoint: emulator.url });
    const scopedOnly = (await discoverUsers(graph, withRole, urnOf, KEYS)).findings.find((f) => f.urn === urnOf("example-accounts-admin-role"));
    assert.equal(scopedOnly?.action, "create", "an administrative unit's assignment is not the tenant-wide one the stack declares");
    assert.match(scopedOnly?.detail ?? "", /does not hold the directory role f2ef992c-3afb-46b9-b7cf-a126ee74c451 tenant-wide yet/);

    tenant.roleAssignments.push({ id: "tenant-wide", principalId: adminId, roleDefinitionId: GLOBAL_READER, directoryScopeId: "/" });
    const both = (await discoverUsers(graph, withRole, urnOf, KEYS)).findings.find((f) => f.urn === urnOf("example-accounts-admin-role"));
    assert.deepEqual([both?.action, both?.importId], ["adopt", "tenant-wide"]);
    assert.equal(graphWrites(emulator).length, 0);
  });
});

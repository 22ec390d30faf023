import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { ewsAllowListProvider, type EwsAllowListInputs } from "../components/exchange/ews-allow-list";
import { managementScopeProvider, memberOfGroupFilter, securityGroupProvider } from "../components/exchange/management-scope";
import { roleAssignmentProvider, type RoleAssignmentInputs } from "../components/exchange/role-assignment";
import { exchangeServicePrincipalProvider, type ExchangeServicePrincipalInputs } from "../components/exchange/service-principal";
import { describeCommand, invokeCommand, type ExchangeTarget } from "../lib/exchange/admin-api";
import { startMockRuntime } from "../lib/plan/mock-runtime";
import { rejection, runSerializedProviders, startDeployerEmulator, TENANT_ID as TENANT } from "./support/deployer";
import { exchangeError, exchangeRoutes, exchangeState, type ExchangeState } from "./support/exchange";
import type { GraphEmulator } from "./support/graph-emulator";

const APP_ID = "aaaaaaaa-0000-4000-8000-000000000001";
const SP_OBJECT_ID = "bbbbbbbb-0000-4000-8000-000000000001";
const OTHER_APP = "cccccccc-0000-4000-8000-000000000001";

let emulator: GraphEmulator;
let state: ExchangeState;
const target = (): ExchangeTarget => ({ tenantId: TENANT, exchangeEndpoint: emulator.url });
const cmdlets = () => state.commands.map((c) => c.cmdlet);

before(async () => {
  emulator = await startDeployerEmulator({ token: "exchange-token", routes: [], adminApi: (request, e) => exchangeRoutes(state)(request, e) });
});
after(() => emulator.close());
beforeEach(() => {
  state = exchangeState(TENANT);
  emulator.injected.length = 0;
});

describe("Exchange admin API client", () => {
  it("runs a cmdlet through InvokeCommand with the anchor mailbox and follows @odata.nextLink", async () => {
    state.pageSize = 2;
    for (let i = 1; i <= 5; i++) state.servicePrincipals.push({ AppId: `app-${i}`, ObjectId: `sp-${i}`, DisplayName: `App ${i}` });
    const all = await invokeCommand(target(), "Get-ServicePrincipal");
    assert.deepEqual(all.map((sp) => sp.AppId), ["app-1", "app-2", "app-3", "app-4", "app-5"]);
    assert.equal(state.commands.length, 3, "three pages");
  });

  it("turns Exchange's error into one sentence: command, parameters (secrets hidden), Exchange's message", async () => {
    const error = await rejection(invokeCommand(target(), "Get-ManagementScope", { Identity: "Nope", Password: "hunter2" }));
    assert.equal(
      error.message,
      `Exchange refused Get-ManagementScope -Identity "Nope" -Password [secret] (HTTP 400, ManagementObjectNotFoundException): The operation couldn't be performed because object 'Nope' couldn't be found on 'AM0PR01A001DC01.EURPR01A001.prod.outlook.com'.`,
    );
    assert.equal(describeCommand("Set-OrganizationConfig", { EWSEnabled: true, EWSAllowedAppIDs: { "@odata.type": "#Exchange.GenericHashTable", Add: ["x"] } }), 'Set-OrganizationConfig -EWSEnabled -EWSAllowedAppIDs @{Add="x"}');
  });

  it("waits out a 429 with Retry-After", async () => {
    emulator.injected.push({ ...exchangeError(429, "Microsoft.Exchange.Throttling", "Too many requests"), headers: { "retry-after": "1" } });
    const started = Date.now();
    await invokeCommand(target(), "Get-OrganizationConfig");
    assert.ok(Date.now() - started >= 900);
  });

  it("retries a 5xx, then succeeds", async () => {
    emulator.injected.push(exchangeError(503, "System.Exception", "Service unavailable"), exchangeError(500, "System.Exception", "boom"));
    const [config] = await invokeCommand(target(), "Get-OrganizationConfig");
    assert.equal(config?.EWSEnabled, false);
  });

  it("gets a fresh token when Exchange refuses an expired one", async () => {
    await invokeCommand(target(), "Get-OrganizationConfig");
    const used = emulator.issuedTokens.at(-1)!;
    emulator.revokedTokens.add(used);
    await invokeCommand(target(), "Get-OrganizationConfig");
    assert.notEqual(emulator.issuedTokens.at(-1), used, "a new token was issued and used");
  });
});

describe("Exchange service principal provider", () => {
  const inputs = (o: Partial<ExchangeServicePrincipalInputs> = {}): ExchangeServicePrincipalInputs => ({ ...target(), appId: APP_ID, objectId: SP_OBJECT_ID, displayName: "Retain Archiving", ...o });

  it("registers the app's service principal", async () => {
    const result = await exchangeServicePrincipalProvider.create(inputs());
    assert.equal(result.id, APP_ID);
    assert.deepEqual(state.servicePrincipals, [{ AppId: APP_ID, ObjectId: SP_OBJECT_ID, DisplayName: "Retain Archiving", Identity: SP_OBJECT_ID }]);
  });

  it("adopts an identical existing one without creating", async () => {
    state.servicePrincipals.push({ AppId: APP_ID, ObjectId: SP_OBJECT_ID, DisplayName: "Retain Archiving" });
    const result = await exchangeServicePrincipalProvider.create(inputs());
    assert.equal(result.outs?.adopted, true);
    assert.ok(!cmdlets().includes("New-ServicePrincipal"));
  });

  it("refuses a conflicting existing one, saying what differs", async () => {
    state.servicePrincipals.push({ AppId: APP_ID, ObjectId: "another-object-id", DisplayName: "Retain Archiving" });
    const error = await rejection(exchangeServicePrincipalProvider.create(inputs()));
    assert.equal(
      error.message,
      `Exchange service principal "${APP_ID}" already exists in Exchange with other settings (ObjectId is "another-object-id" there, "${SP_OBJECT_ID}" here); remove it or change the configuration to match`,
    );
  });

  it("diff/update: a new display name is set in place, a new object id replaces", async () => {
    const created = (await exchangeServicePrincipalProvider.create(inputs())).outs!;
    const renamed = await exchangeServicePrincipalProvider.diff!(APP_ID, created, inputs({ displayName: "Retain" }));
    assert.deepEqual([renamed.changes, renamed.replaces], [true, []]);
    await exchangeServicePrincipalProvider.update!(APP_ID, created, inputs({ displayName: "Retain" }));
    assert.equal(state.servicePrincipals[0]?.DisplayName, "Retain");
    assert.deepEqual((await exchangeServicePrincipalProvider.diff!(APP_ID, created, inputs({ objectId: "x" }))).replaces, ["objectId"]);
    assert.equal((await exchangeServicePrincipalProvider.diff!(APP_ID, created, inputs())).changes, false);
  });

  it("rides out a 429, a 5xx and an expired token while creating", async () => {
    await invokeCommand(target(), "Get-OrganizationConfig");
    emulator.revokedTokens.add(emulator.issuedTokens.at(-1)!);
    emulator.injected.push({ ...exchangeError(429, "Microsoft.Exchange.Throttling", "Slow down"), headers: { "retry-after": "1" } }, exchangeError(502, "System.Exception", "Bad gateway"));
    await exchangeServicePrincipalProvider.create(inputs());
    assert.equal(state.servicePrincipals.length, 1);
  });

  it("delete removes it, and is a no-op when it is already gone", async () => {
    const created = (await exchangeServicePrincipalProvider.create(inputs())).outs!;
    await exchangeServicePrincipalProvider.delete!(APP_ID, created);
    assert.deepEqual(state.servicePrincipals, []);
    await exchangeServicePrincipalProvider.delete!(APP_ID, created);
  });
});

describe("security group and management scope providers", () => {
  it("creates a mail-enabled security group, and removes it on delete", async () => {
    const { outs } = await securityGroupProvider.create({ ...target(), name: "Retain Archived Users" });
    assert.equal(outs?.adopted, false);
    assert.match(outs?.distinguishedName ?? "", /^CN=Retain Archived Users,/);
    assert.equal(state.groups[0]?.GroupType, "Universal, SecurityEnabled");
    await securityGroupProvider.delete!("id", outs!);
    assert.deepEqual(state.groups, []);
  });

  it("adopts an existing security group and leaves it in place on delete", async () => {
    state.groups.push({ Name: "Archived", GroupType: "Universal, SecurityEnabled", DistinguishedName: "CN=Archived,DC=x" });
    const { outs } = await securityGroupProvider.create({ ...target(), name: "archived" });
    assert.deepEqual([outs?.adopted, outs?.distinguishedName], [true, "CN=Archived,DC=x"]);
    await securityGroupProvider.delete!("id", outs!);
    assert.equal(state.groups.length, 1);
  });

  it("diff/update: a new name replaces the group; a new endpoint keeps what was created", async () => {
    const { outs } = await securityGroupProvider.create({ ...target(), name: "Archived" });
    assert.deepEqual((await securityGroupProvider.diff!("id", outs!, { ...target(), name: "Other" })).replaces, ["name"]);
    const moved = { ...target(), exchangeEndpoint: "https://outlook.office365.us", name: "Archived" };
    assert.deepEqual((await securityGroupProvider.diff!("id", outs!, moved)).replaces, []);
    const updated = await securityGroupProvider.update!("id", outs!, moved);
    assert.deepEqual([updated.outs?.distinguishedName, updated.outs?.adopted], [outs?.distinguishedName, false]);
  });

  it("refuses a distribution list that is not security-enabled", async () => {
    state.groups.push({ Name: "Archived", GroupType: "Universal", DistinguishedName: "CN=Archived,DC=x" });
    const error = await rejection(securityGroupProvider.create({ ...target(), name: "Archived" }));
    assert.match(error.message, /group "Archived" exists in Exchange but is not security-enabled \(GroupType Universal\)/);
  });

  it("creates, adopts, updates and deletes a scope; refuses a conflicting one", async () => {
    const filter = memberOfGroupFilter("CN=O'Brien Team,DC=x");
    assert.equal(filter, "MemberOfGroup -eq 'CN=O''Brien Team,DC=x'");
    const inputs = { ...target(), name: "Retain scope", recipientRestrictionFilter: filter };
    await managementScopeProvider.create(inputs);
    assert.equal(state.scopes[0]?.RecipientFilter, filter);
    const commandsBefore = state.commands.length;
    await managementScopeProvider.create(inputs);
    assert.ok(!state.commands.slice(commandsBefore).some((c) => c.cmdlet === "New-ManagementScope"), "identical scope adopted");

    const error = await rejection(managementScopeProvider.create({ ...inputs, recipientRestrictionFilter: "Department -eq 'Legal'" }));
    assert.match(error.message, /management scope "Retain scope" already exists in Exchange with other settings \(RecipientFilter is "MemberOfGroup/);

    const changed = { ...inputs, recipientRestrictionFilter: "Department -eq 'Legal'" };
    assert.deepEqual((await managementScopeProvider.diff!("id", inputs, changed)).replaces, []);
    await managementScopeProvider.update!("id", inputs, changed);
    assert.equal(state.scopes[0]?.RecipientFilter, "Department -eq 'Legal'");
    await managementScopeProvider.delete!("id", changed);
    assert.deepEqual(state.scopes, []);
  });
});

describe("management role assignment provider", () => {
  const rbac = (o: Partial<RoleAssignmentInputs> = {}): RoleAssignmentInputs => ({
    ...target(),
    name: "Retain Application EWS.AccessAsApp",
    role: "Application EWS.AccessAsApp",
    app: APP_ID,
    customResourceScope: "Retain scope",
    ...o,
  });
  beforeEach(() => {
    state.servicePrincipals.push({ AppId: APP_ID, ObjectId: SP_OBJECT_ID, DisplayName: "Retain" });
    state.scopes.push({ Name: "Retain scope", RecipientFilter: "x" });
  });

  it("assigns an application role to the app, limited to the scope", async () => {
    await roleAssignmentProvider.create(rbac());
    assert.deepEqual(state.commands.at(-1), {
      cmdlet: "New-ManagementRoleAssignment",
      parameters: { Name: "Retain Application EWS.AccessAsApp", Role: "Application EWS.AccessAsApp", App: APP_ID, CustomResourceScope: "Retain scope" },
    });
    assert.equal(state.assignments.length, 1);
  });

  it("adopts an identical assignment and refuses one that differs", async () => {
    await roleAssignmentProvider.create(rbac());
    await roleAssignmentProvider.create(rbac());
    assert.equal(cmdlets().filter((c) => c === "New-ManagementRoleAssignment").length, 1);
    const error = await rejection(roleAssignmentProvider.create(rbac({ customResourceScope: undefined })));
    assert.match(error.message, /already exists in Exchange with other settings \(CustomResourceScope is "Retain scope" there, "" here\)/);
  });

  it("explains the 2025 removal when ApplicationImpersonation is refused", async () => {
    const error = await rejection(
      roleAssignmentProvider.create({ ...target(), name: "Retain ApplicationImpersonation", role: "ApplicationImpersonation", user: "RetainWorker@example.com" }),
    );
    assert.match(error.message, /^Exchange Online has no ApplicationImpersonation role any more: Microsoft removed it in February 2025 .* Set retain-m365:exchangeAccess\.mode to application-rbac/);
  });

  it("replaces on any change (deleting first, the name being the same) and deletes", async () => {
    const diff = await roleAssignmentProvider.diff!("id", rbac(), rbac({ role: "Application Mail.Read" }));
    assert.deepEqual([diff.replaces, diff.deleteBeforeReplace], [["role"], true]);
    assert.equal((await roleAssignmentProvider.diff!("id", rbac(), rbac())).changes, false);
    await roleAssignmentProvider.create(rbac());
    const moved = rbac({ exchangeEndpoint: "https://outlook.office365.us" });
    assert.deepEqual([(await roleAssignmentProvider.diff!("id", rbac(), moved)).replaces, (await roleAssignmentProvider.update!("id", rbac(), moved)).outs], [[], moved]);
    await roleAssignmentProvider.delete!("id", rbac());
    assert.deepEqual(state.assignments, []);
  });

  it("check requires exactly one assignee", async () => {
    const result = await roleAssignmentProvider.check!(rbac(), rbac({ user: "RetainWorker@example.com" }));
    assert.deepEqual(result.failures, [{ property: "app", reason: "exactly one of app and user must be set" }]);
  });
});

describe("EWS allow list provider", () => {
  const entry = (): EwsAllowListInputs => ({ ...target(), appId: APP_ID });

  it("enables EWS and adds Retain's app id, keeping the others", async () => {
    state.organization.EWSAllowedAppIDs = [OTHER_APP];
    await ewsAllowListProvider.create(entry());
    assert.deepEqual(state.organization, { EWSEnabled: true, EWSAllowedAppIDs: [OTHER_APP, APP_ID] });
  });

  it("keeps an id another admin adds between our read and our write", async () => {
    state.organization.EWSAllowedAppIDs = [OTHER_APP];
    let changed = false;
    state.afterCommand = (cmdlet) => {
      if (cmdlet !== "Get-OrganizationConfig" || changed) return;
      changed = true;
      state.organization.EWSAllowedAppIDs.push("added-concurrently");
    };
    await ewsAllowListProvider.create(entry());
    assert.ok(changed, "the concurrent change happened");
    assert.deepEqual(state.organization.EWSAllowedAppIDs, [OTHER_APP, "added-concurrently", APP_ID]);
  });

  it("diff: another app id replaces the entry (adding the new one before removing the old)", async () => {
    const diff = await ewsAllowListProvider.diff!(APP_ID, entry(), { ...entry(), appId: OTHER_APP });
    assert.deepEqual([diff.replaces, diff.deleteBeforeReplace], [["appId"], false]);
    assert.equal((await ewsAllowListProvider.diff!(APP_ID, entry(), entry())).changes, false);
    assert.deepEqual((await ewsAllowListProvider.update!(APP_ID, entry(), entry())).outs, entry());
  });

  it("does not write when Retain's id is already there and EWS is on", async () => {
    state.organization = { EWSEnabled: true, EWSAllowedAppIDs: [APP_ID] };
    await ewsAllowListProvider.create(entry());
    assert.ok(!cmdlets().includes("Set-OrganizationConfig"));
  });

  it("delete removes only Retain's id, even when the list changed meanwhile, and leaves EWS on", async () => {
    state.organization = { EWSEnabled: true, EWSAllowedAppIDs: [OTHER_APP, APP_ID] };
    state.afterCommand = (cmdlet) => {
      if (cmdlet === "Get-OrganizationConfig" && !state.organization.EWSAllowedAppIDs.includes("late")) state.organization.EWSAllowedAppIDs.push("late");
    };
    await ewsAllowListProvider.delete!(APP_ID, entry());
    assert.deepEqual(state.organization, { EWSEnabled: true, EWSAllowedAppIDs: [OTHER_APP, "late"] });
  });

  it("reports other ids lost by a writer that replaces the whole list", async () => {
    state.organization.EWSAllowedAppIDs = [OTHER_APP];
    state.afterCommand = (cmdlet) => {
      // Someone else writes the whole list right after our write, from a copy without OTHER_APP.
      if (cmdlet === "Set-OrganizationConfig") state.organization.EWSAllowedAppIDs = [APP_ID];
    };
    const error = await rejection(ewsAllowListProvider.create(entry()));
    assert.match(error.message, new RegExp(`the EWS allow list lost other applications' ids \\(${OTHER_APP}\\)`));
  });
});

describe("Exchange providers: serialization", () => {
  it("serialize under the mock runtime, and work loaded on their own", async () => {
    const runtime = await startMockRuntime({ project: "retain-m365", stack: "test", preview: false });
    const { ExchangeServicePrincipal } = await import("../components/exchange/service-principal");
    const { SecurityGroup, ManagementScope } = await import("../components/exchange/management-scope");
    const { RoleAssignment } = await import("../components/exchange/role-assignment");
    const { EwsAllowListEntry } = await import("../components/exchange/ews-allow-list");
    const t = target();
    new ExchangeServicePrincipal("sp", { ...t, appId: APP_ID, objectId: SP_OBJECT_ID, displayName: "Retain" });
    new SecurityGroup("group", { ...t, name: "Archived" });
    new ManagementScope("scope", { ...t, name: "Retain scope", recipientRestrictionFilter: "x" });
    new RoleAssignment("role", { ...t, name: "Retain EWS", role: "Application EWS.AccessAsApp", app: APP_ID, customResourceScope: "Retain scope" });
    new EwsAllowListEntry("ews", { ...t, appId: APP_ID });
    await runtime.settle();

    const names = ["sp", "group", "scope", "role", "ews"];
    const registered = (name: string) => runtime.resources.find((r) => r.name === name)!;
    const providers = Object.fromEntries(names.map((name) => [name, registered(name).inputs.__provider as string]));
    for (const name of names) assert.equal(typeof providers[name], "string", `${name} has a serialized provider`);
    const inputs = Object.fromEntries(names.map((name) => [name, { ...registered(name).inputs, __provider: undefined }]));
    const result = await runSerializedProviders(
      providers,
      `const inputs = ${JSON.stringify(inputs)};
       for (const name of ${JSON.stringify(names)}) await load(name).create(inputs[name]);
       await load("role").delete("id", inputs.role);
       return "ok";`,
    );
    assert.equal(result, "ok");
    assert.deepEqual(
      [state.servicePrincipals.length, state.groups.length, state.scopes.length, state.assignments.length, state.organization.EWSAllowedAppIDs],
      [1, 1, 1, 0, [APP_ID]],
    );
  });
});

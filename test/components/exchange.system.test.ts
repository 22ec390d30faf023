import assert from "node:assert/strict";
import { countingListener } from "../support/listener";
import { beforeEach, describe, it } from "node:test";
import { ExitCode, UserFacingError } from "../../core/errors";
import { emptyListRefusal, ewsAllowListProvider, parseAppIdList, type EwsAllowListInputs } from "../../components/exchange/ews-allow-list";
import { managementScopeProvider, memberOfGroupFilter } from "../../components/exchange/management-scope";
import { securityGroupProvider } from "../../components/exchange/security-group";
import { roleAssignmentProvider, type RoleAssignmentInputs } from "../../components/exchange/role-assignment";
import { exchangeServicePrincipalProvider, type ExchangeServicePrincipalInputs } from "../../components/exchange/service-principal";
import { describeCommand, invokeCommand, type ExchangeTarget } from "../../m365/exchange-admin-api";
import { LEGACY_IMPERSONATION_ROLE, TEAMS_APP_ID } from "../../m365/exchange-facts";
import { startMockRuntime } from "../../program/mock-runtime";
import { rejection, runSerializedProviders, TENANT_ID as TENANT } from "../support/deployer";
import { useExchangeEmulator } from "../support/exchange-admin";
import { exchangeError, servicePrincipalReference, type ExchangeState } from "../../emulators/exchange";
import type { GraphEmulator } from "../../emulators/graph";
import { DEFAULT_RETRY } from "../../core/retry";
import { recordingClock, withRecordedWaits } from "../support/retry-clock";

const APP_ID = "aaaaaaaa-0000-4000-8000-000000000001";
const SP_OBJECT_ID = "bbbbbbbb-0000-4000-8000-000000000001";
const OTHER_APP = "cccccccc-0000-4000-8000-000000000001";
const THIRD_APP = "dddddddd-0000-4000-8000-000000000001";

let emulator: GraphEmulator;
let state: ExchangeState;
const target = (): ExchangeTarget => ({ tenantId: TENANT, exchangeEndpoint: emulator.url });
const cmdlets = () => state.commands.map((c) => c.cmdlet);

useExchangeEmulator(TENANT, (e, s) => {
  emulator = e;
  state = s;
});

describe("Exchange admin API client", () => {
  it("runs a cmdlet through InvokeCommand with the anchor mailbox and follows @odata.nextLink", async () => {
    state.pageSize = 2;
    for (let i = 1; i <= 5; i++) state.servicePrincipals.push({ AppId: `app-${i}`, ObjectId: `sp-${i}`, DisplayName: `App ${i}` });
    const all = await invokeCommand(target(), "Get-ServicePrincipal");
    assert.deepEqual(
      all.map((sp) => sp.AppId),
      ["app-1", "app-2", "app-3", "app-4", "app-5"],
    );
    assert.equal(state.commands.length, 3, "three pages");
  });

  it("follows @odata.nextLink only to the endpoint's own origin: a next page elsewhere gets no request and no token", async () => {
    const elsewhere = await countingListener();
    try {
      const { port } = elsewhere;
      emulator.injected.push({
        status: 200,
        body: { value: [{ AppId: "app-1" }], "@odata.nextLink": `https://127.0.0.1:${port}/adminapi/beta/${TENANT}/InvokeCommand?$skiptoken=1` },
      });
      const error = await rejection(invokeCommand(target(), "Get-ServicePrincipal"));
      assert.ok(error instanceof UserFacingError);
      assert.equal(error.exitCode, ExitCode.remoteService);
      assert.equal(error.message, `Exchange answered Get-ServicePrincipal with a next page at another origin than ${emulator.url}; it was not followed`);
      assert.equal(elsewhere.connections(), 0, "no connection to the link's host");
    } finally {
      await elsewhere.close();
    }
  });

  it("refuses an Exchange endpoint that is not Exchange Online's host, loopback or https, before any request", async () => {
    const before = emulator.requests.length;
    for (const exchangeEndpoint of [emulator.url.replace("https:", "http:"), "https://exchange.attacker.example"]) {
      const error = await rejection(invokeCommand({ tenantId: TENANT, exchangeEndpoint }, "Get-OrganizationConfig"));
      assert.ok(error instanceof UserFacingError);
      assert.equal(error.exitCode, ExitCode.invalidInput);
      assert.match(error.message, /^the Exchange endpoint must be/);
    }
    assert.equal(emulator.requests.length, before);
  });

  it("turns Exchange's error into one sentence: command, parameters (secrets hidden), Exchange's message", async () => {
    const error = await rejection(invokeCommand(target(), "Get-ManagementScope", { Identity: "Nope", Password: "hunter2" }));
    assert.equal(
      error.message,
      `Exchange refused Get-ManagementScope -Identity "Nope" -Password [secret] (HTTP 400, ManagementObjectNotFoundException): The operation couldn't be performed because object 'Nope' couldn't be found on 'AM0PR01A001DC01.EURPR01A001.prod.outlook.com'.`,
    );
    assert.equal(
      describeCommand("Set-OrganizationConfig", { EwsEnabled: true, EwsAllowList: { "@odata.type": "#Exchange.GenericHashTable", Add: ["x"] } }),
      'Set-OrganizationConfig -EwsEnabled -EwsAllowList @{Add="x"}',
    );
  });

  it("waits out a 429 with Retry-After", async () => {
    emulator.injected.push({ ...exchangeError(429, "Microsoft.Exchange.Throttling", "Too many requests"), headers: { "retry-after": "1" } });
    const clock = recordingClock();
    const commands = state.commands.length;
    await invokeCommand(target(), "Get-OrganizationConfig", {}, { retry: { ...DEFAULT_RETRY, clock } });
    assert.deepEqual(clock.waits, [1000], "the second Retry-After asked for");
    assert.equal(state.commands.length, commands + 1, "then run once");
  });

  it("retries a 5xx, then succeeds", async () => {
    emulator.injected.push(exchangeError(503, "System.Exception", "Service unavailable"), exchangeError(500, "System.Exception", "boom"));
    const clock = recordingClock();
    const [config] = await invokeCommand(target(), "Get-OrganizationConfig", {}, { retry: { ...DEFAULT_RETRY, clock } });
    assert.equal(config?.EwsEnabled, null);
    assert.equal(clock.waits.length, 2, "a backoff before each try again");
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
  const inputs = (o: Partial<ExchangeServicePrincipalInputs> = {}): ExchangeServicePrincipalInputs => ({
    ...target(),
    appId: APP_ID,
    objectId: SP_OBJECT_ID,
    displayName: "Retain Archiving",
    ...o,
  });

  it("registers the app's service principal", async () => {
    const result = await exchangeServicePrincipalProvider.create(inputs());
    assert.equal(result.id, APP_ID);
    assert.deepEqual(state.commands.at(-1), {
      cmdlet: "New-ServicePrincipal",
      parameters: { AppId: APP_ID, ObjectId: SP_OBJECT_ID, DisplayName: "Retain Archiving" },
    });
    assert.deepEqual(
      state.servicePrincipals.map((sp) => [sp.AppId, sp.ObjectId, sp.DisplayName]),
      [[APP_ID, SP_OBJECT_ID, "Retain Archiving"]],
    );
  });

  it("adopts an identical existing one without creating", async () => {
    state.servicePrincipals.push(servicePrincipalReference(APP_ID, SP_OBJECT_ID, "Retain Archiving"));
    const result = await exchangeServicePrincipalProvider.create(inputs());
    assert.equal(result.outs?.adopted, true);
    assert.ok(!cmdlets().includes("New-ServicePrincipal"));
  });

  it("refuses a conflicting existing one, saying what differs", async () => {
    state.servicePrincipals.push(servicePrincipalReference(APP_ID, "another-object-id", "Retain Archiving"));
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
    emulator.injected.push(
      { ...exchangeError(429, "Microsoft.Exchange.Throttling", "Slow down"), headers: { "retry-after": "1" } },
      exchangeError(502, "System.Exception", "Bad gateway"),
    );
    const { waits } = await withRecordedWaits(() => exchangeServicePrincipalProvider.create(inputs()));
    assert.equal(state.servicePrincipals.length, 1);
    assert.equal(waits.length, 2, "after the 429 (its Retry-After) and after the 502");
    assert.equal(waits[0], 1000);
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
    app: SP_OBJECT_ID,
    customResourceScope: "Retain scope",
    ...o,
  });
  let servicePrincipal: Record<string, unknown>;
  /** An assignment an admin made by hand, as Get-ManagementRoleAssignment shows it. */
  const madeByHand = (o: Record<string, unknown> = {}) => ({
    Name: "Retain Application EWS.AccessAsApp",
    Identity: "Retain Application EWS.AccessAsApp",
    Role: "Application EWS.AccessAsApp",
    RoleAssigneeType: "ServicePrincipal",
    RoleAssignee: servicePrincipal.Identity,
    RoleAssigneeName: "Retain",
    CustomResourceScope: "Retain scope",
    ...o,
  });
  beforeEach(() => {
    servicePrincipal = servicePrincipalReference(APP_ID, SP_OBJECT_ID, "Retain");
    state.servicePrincipals.push(servicePrincipal);
    state.scopes.push({ Name: "Retain scope", RecipientFilter: "x" });
  });

  it("assigns an application role to the app's service principal object id, limited to the scope", async () => {
    await roleAssignmentProvider.create(rbac());
    assert.deepEqual(state.commands.at(-1), {
      cmdlet: "New-ManagementRoleAssignment",
      parameters: { Name: "Retain Application EWS.AccessAsApp", Role: "Application EWS.AccessAsApp", App: SP_OBJECT_ID, CustomResourceScope: "Retain scope" },
    });
    assert.equal(state.assignments.length, 1);
  });

  it("the emulator keeps to the documented -App value: an AppId is not taken for the object id", async () => {
    const error = await rejection(invokeCommand(target(), "New-ManagementRoleAssignment", { Name: "x", Role: "Application EWS.AccessAsApp", App: APP_ID }));
    assert.match(error.message, /ManagementObjectNotFoundException/);
  });

  it("adopts its own earlier assignment, and one made by hand (assignee shown as the service principal's identity)", async () => {
    await roleAssignmentProvider.create(rbac());
    await roleAssignmentProvider.create(rbac());
    assert.equal(cmdlets().filter((c) => c === "New-ManagementRoleAssignment").length, 1);

    state.assignments = [madeByHand()];
    assert.notEqual(servicePrincipal.Identity, APP_ID);
    await roleAssignmentProvider.create(rbac());
    assert.equal(cmdlets().filter((c) => c === "New-ManagementRoleAssignment").length, 1, "adopted, not made again");
  });

  it("refuses an existing assignment with another scope, role or assignee, naming the difference", async () => {
    state.assignments = [madeByHand({ CustomResourceScope: "" })];
    const scope = await rejection(roleAssignmentProvider.create(rbac()));
    assert.match(scope.message, /already exists in Exchange with other settings \(CustomResourceScope is "" there, "Retain scope" here\)/);

    state.assignments = [madeByHand({ Role: "Application Mail.Read" })];
    const role = await rejection(roleAssignmentProvider.create(rbac()));
    assert.match(role.message, /\(Role is "Application Mail\.Read" there, "Application EWS\.AccessAsApp" here\)/);

    const other = servicePrincipalReference(OTHER_APP, "other-object-id", "Someone else");
    state.servicePrincipals.push(other);
    state.assignments = [madeByHand({ RoleAssignee: other.Identity, RoleAssigneeName: "Someone else" })];
    const assignee = await rejection(roleAssignmentProvider.create(rbac()));
    assert.match(
      assignee.message,
      new RegExp(
        `\\(RoleAssignee is "${String(other.Identity)}" \\(Someone else\\) there, the Exchange service principal ${String(servicePrincipal.Identity)} here\\)`,
      ),
    );
    assert.ok(!cmdlets().includes("New-ManagementRoleAssignment"));
  });

  it("explains the 2025 removal when ApplicationImpersonation is refused", async () => {
    const error = await rejection(
      roleAssignmentProvider.create({
        ...target(),
        name: "Retain ApplicationImpersonation",
        role: LEGACY_IMPERSONATION_ROLE,
        user: "RetainWorker@example.com",
      }),
    );
    assert.match(
      error.message,
      /^Exchange Online has no ApplicationImpersonation role any more: Microsoft removed it in February 2025 .* Set retain-m365:exchangeAccess\.mode to application-rbac/,
    );
  });

  it("replaces on any change (deleting first, the name being the same) and deletes", async () => {
    const diff = await roleAssignmentProvider.diff!("id", rbac(), rbac({ role: "Application Mail.Read" }));
    assert.deepEqual([diff.replaces, diff.deleteBeforeReplace], [["role"], true]);
    assert.equal((await roleAssignmentProvider.diff!("id", rbac(), rbac())).changes, false);
    await roleAssignmentProvider.create(rbac());
    const moved = rbac({ exchangeEndpoint: "https://outlook.office365.us" });
    assert.deepEqual(
      [(await roleAssignmentProvider.diff!("id", rbac(), moved)).replaces, (await roleAssignmentProvider.update!("id", rbac(), moved)).outs],
      [[], moved],
    );
    await roleAssignmentProvider.delete!("id", rbac());
    assert.deepEqual(state.assignments, []);
  });

  it("check requires exactly one assignee", async () => {
    const result = await roleAssignmentProvider.check!(rbac(), rbac({ user: "RetainWorker@example.com" }));
    assert.deepEqual(result.failures, [{ property: "app", reason: "exactly one of app and user must be set" }]);
  });
});

describe("EWS allow list provider", () => {
  const entry = (o: Partial<EwsAllowListInputs> = {}): EwsAllowListInputs => ({
    ...target(),
    appId: APP_ID,
    alsoAllow: [],
    enforce: false,
    enforceSetting: "retain-m365:exchangeAccess.ewsAllowList.enforce",
    ...o,
  });
  const writes = () => state.commands.filter((c) => c.cmdlet === "Set-OrganizationConfig");

  it("reads the list with -RetrieveEwsOperationAccessPolicy (without it Exchange leaves the list out)", async () => {
    state.organization = { EwsEnabled: true, EwsAllowedAppIDs: `${OTHER_APP},${APP_ID}` };
    const [plain] = await invokeCommand(target(), "Get-OrganizationConfig");
    assert.equal(plain?.EwsAllowedAppIDs, null);
    await ewsAllowListProvider.create(entry());
    assert.deepEqual(state.commands.at(-1), { cmdlet: "Get-OrganizationConfig", parameters: { RetrieveEwsOperationAccessPolicy: true } });
    assert.deepEqual(writes(), []);
  });

  it("refuses to put an unset list in force, naming the decision, and writes nothing", async () => {
    state.organization = { EwsEnabled: null, EwsAllowedAppIDs: OTHER_APP };
    const error = await rejection(ewsAllowListProvider.create(entry()));
    assert.match(
      error.message,
      /^The organization's EWS app-id allow list is not in force \(EwsEnabled is unset\), and turning it on would let ONLY the listed applications reach EWS, tenant-wide/,
    );
    assert.match(
      error.message,
      /Teams' calendar integration \(app id cc15fd57-2c6c-4117-a88c-83b1d56b4bbe\).*Nothing was changed\. If the organization wants that, set retain-m365:exchangeAccess\.ewsAllowList\.enforce to true/,
    );
    assert.deepEqual(writes(), []);
    assert.deepEqual(state.organization, { EwsEnabled: null, EwsAllowedAppIDs: OTHER_APP });
  });

  it("refuses to turn EWS on where the organization turned it off, and writes nothing", async () => {
    state.organization = { EwsEnabled: false, EwsAllowedAppIDs: null };
    const error = await rejection(ewsAllowListProvider.create(entry()));
    assert.match(error.message, /^EWS is turned off for the whole organization \(EwsEnabled is false\)/);
    assert.deepEqual(writes(), []);
  });

  it("with the enforce decision, puts the list in force with Retain's app and the other ids to keep: the list first, EwsEnabled second", async () => {
    await ewsAllowListProvider.create(entry({ enforce: true, alsoAllow: [TEAMS_APP_ID] }));
    assert.deepEqual(state.organization, { EwsEnabled: true, EwsAllowedAppIDs: `${APP_ID},${TEAMS_APP_ID}` });
    assert.deepEqual(writes(), [
      { cmdlet: "Set-OrganizationConfig", parameters: { EwsAllowedAppIDs: `${APP_ID},${TEAMS_APP_ID}` } },
      { cmdlet: "Set-OrganizationConfig", parameters: { EwsEnabled: true } },
    ]);
  });

  it("turns EwsEnabled on only once the list reads back complete", async () => {
    state.organization = { EwsEnabled: false, EwsAllowedAppIDs: OTHER_APP };
    let clobbered = false;
    state.afterCommand = (cmdlet) => {
      if (cmdlet === "Set-OrganizationConfig" && !clobbered) {
        clobbered = true;
        state.organization.EwsAllowedAppIDs = OTHER_APP;
      }
    };
    await ewsAllowListProvider.create(entry({ enforce: true }));
    assert.deepEqual(
      writes().map((c) => Object.keys(c.parameters)),
      [["EwsAllowedAppIDs"], ["EwsAllowedAppIDs"], ["EwsEnabled"]],
      "the switch waits for a list that holds Retain's id",
    );
    assert.deepEqual(state.organization, { EwsEnabled: true, EwsAllowedAppIDs: `${OTHER_APP},${APP_ID}` });
  });

  it("refuses a list in force but empty without the decision, naming both of Microsoft's meanings, and writes nothing", async () => {
    state.organization = { EwsEnabled: true, EwsAllowedAppIDs: null };
    const error = await rejection(ewsAllowListProvider.create(entry()));
    assert.equal(error.message, emptyListRefusal("retain-m365:exchangeAccess.ewsAllowList.enforce"));
    assert.match(
      error.message,
      /in force \(EwsEnabled true\) but empty.*"no application restricted".*blocked ALL EWS that way since 2026-10-10.*Nothing was changed\. .*set retain-m365:exchangeAccess\.ewsAllowList\.enforce to true/,
    );
    assert.deepEqual(writes(), []);
    await ewsAllowListProvider.create(entry({ enforce: true, alsoAllow: [TEAMS_APP_ID] }));
    assert.deepEqual(
      writes(),
      [{ cmdlet: "Set-OrganizationConfig", parameters: { EwsAllowedAppIDs: `${APP_ID},${TEAMS_APP_ID}` } }],
      "with the decision: the list alone, EwsEnabled is on already",
    );
  });

  it("where the list is in force, adds Retain's id to the others in one write, keeping them and their order", async () => {
    state.organization = { EwsEnabled: true, EwsAllowedAppIDs: `${OTHER_APP}, ${THIRD_APP}` };
    await ewsAllowListProvider.create(entry());
    assert.deepEqual(state.organization, { EwsEnabled: true, EwsAllowedAppIDs: `${OTHER_APP},${THIRD_APP},${APP_ID}` });
    assert.deepEqual(
      writes(),
      [{ cmdlet: "Set-OrganizationConfig", parameters: { EwsAllowedAppIDs: `${OTHER_APP},${THIRD_APP},${APP_ID}` } }],
      "one write, EwsEnabled not sent",
    );
  });

  it("does not write when Retain's id is already listed (in any letter case)", async () => {
    state.organization = { EwsEnabled: true, EwsAllowedAppIDs: `${OTHER_APP},${APP_ID.toUpperCase()}` };
    await ewsAllowListProvider.create(entry());
    await ewsAllowListProvider.create(entry({ enforce: true }));
    assert.deepEqual(writes(), []);
  });

  it("the emulator refuses the undocumented @{Add=…} form for this String parameter", async () => {
    const error = await rejection(
      invokeCommand(target(), "Set-OrganizationConfig", { EwsAllowedAppIDs: { "@odata.type": "#Exchange.GenericHashTable", Add: [APP_ID] } }),
    );
    assert.match(error.message, /ParameterBindingException.*to type "System\.String"/);
  });

  it("a change made between its read and its write is seen before writing, and merged, never lost", async () => {
    state.organization = { EwsEnabled: true, EwsAllowedAppIDs: OTHER_APP };
    let reads = 0;
    state.afterCommand = (cmdlet) => {
      if (cmdlet === "Get-OrganizationConfig" && ++reads === 1) state.organization.EwsAllowedAppIDs = `${OTHER_APP},${THIRD_APP}`;
    };
    await ewsAllowListProvider.create(entry());
    assert.equal(state.organization.EwsAllowedAppIDs, `${OTHER_APP},${THIRD_APP},${APP_ID}`);
    assert.equal(writes().length, 1);
  });

  it("a writer that puts back an older copy without Retain's id is followed by another write", async () => {
    state.organization = { EwsEnabled: true, EwsAllowedAppIDs: OTHER_APP };
    let clobbered = false;
    state.afterCommand = (cmdlet) => {
      if (cmdlet === "Set-OrganizationConfig" && !clobbered) {
        clobbered = true;
        state.organization.EwsAllowedAppIDs = OTHER_APP;
      }
    };
    await ewsAllowListProvider.create(entry());
    assert.deepEqual([state.organization.EwsAllowedAppIDs, writes().length], [`${OTHER_APP},${APP_ID}`, 2]);
  });

  it("reports other ids lost by a writer that replaces the whole list right after ours", async () => {
    state.organization = { EwsEnabled: true, EwsAllowedAppIDs: OTHER_APP };
    state.afterCommand = (cmdlet) => {
      if (cmdlet === "Set-OrganizationConfig") state.organization.EwsAllowedAppIDs = APP_ID;
    };
    const error = await rejection(ewsAllowListProvider.create(entry()));
    assert.match(
      error.message,
      new RegExp(`the EWS allow list lost other applications' ids \\(${OTHER_APP}\\) while Retain's was added: someone else wrote the list at the same time`),
    );
  });

  it("gives up with a clear sentence when the list changes on every attempt", async () => {
    state.organization = { EwsEnabled: true, EwsAllowedAppIDs: OTHER_APP };
    let n = 0;
    state.afterCommand = (cmdlet) => {
      if (cmdlet === "Get-OrganizationConfig")
        state.organization.EwsAllowedAppIDs = `${OTHER_APP},${`0000000${n++ % 10}`.slice(-8)}-0000-4000-8000-000000000009`;
    };
    const error = await rejection(ewsAllowListProvider.create(entry()));
    assert.match(error.message, /^the EWS allow list changed on every one of 5 attempts to add/);
    assert.deepEqual(writes(), []);
  });

  it("delete removes only Retain's id and leaves EwsEnabled as it is", async () => {
    state.organization = { EwsEnabled: true, EwsAllowedAppIDs: `${OTHER_APP},${APP_ID},${THIRD_APP}` };
    await ewsAllowListProvider.delete!(APP_ID, entry({ alsoAllow: [OTHER_APP], enforce: true }));
    assert.deepEqual(state.organization, { EwsEnabled: true, EwsAllowedAppIDs: `${OTHER_APP},${THIRD_APP}` });
    assert.deepEqual(writes(), [{ cmdlet: "Set-OrganizationConfig", parameters: { EwsAllowedAppIDs: `${OTHER_APP},${THIRD_APP}` } }]);

    state.organization = { EwsEnabled: true, EwsAllowedAppIDs: APP_ID };
    await ewsAllowListProvider.delete!(APP_ID, entry());
    assert.deepEqual(state.organization, { EwsEnabled: true, EwsAllowedAppIDs: APP_ID }, "never written empty: Retain's id stays where it is the only one");
    state.organization = { EwsEnabled: true, EwsAllowedAppIDs: OTHER_APP };
    await ewsAllowListProvider.delete!(APP_ID, entry());
    assert.equal(writes().length, 1, "nothing to remove, or only Retain's id listed: no write");
  });

  it("diff: another app id replaces the entry (adding the new one first); other ids or the decision update it in place", async () => {
    const replaced = await ewsAllowListProvider.diff!(APP_ID, entry(), entry({ appId: OTHER_APP }));
    assert.deepEqual([replaced.replaces, replaced.deleteBeforeReplace], [["appId"], false]);
    assert.equal((await ewsAllowListProvider.diff!(APP_ID, entry(), entry())).changes, false);
    const more = await ewsAllowListProvider.diff!(APP_ID, entry(), entry({ alsoAllow: [TEAMS_APP_ID] }));
    assert.deepEqual([more.changes, more.replaces], [true, []]);
    state.organization = { EwsEnabled: true, EwsAllowedAppIDs: APP_ID };
    await ewsAllowListProvider.update!(APP_ID, entry(), entry({ alsoAllow: [TEAMS_APP_ID] }));
    assert.equal(state.organization.EwsAllowedAppIDs, `${APP_ID},${TEAMS_APP_ID}`);
  });

  it("check: app ids must be GUIDs", async () => {
    const { failures } = await ewsAllowListProvider.check!(entry(), entry({ alsoAllow: ["Teams"] }));
    assert.deepEqual(failures, [{ property: "alsoAllow", reason: "must be a list of application (client) ids, GUIDs" }]);
  });

  it("parses the list as Exchange may show it: one string, or a one-element list, spaces and repeats ignored", () => {
    assert.deepEqual(parseAppIdList(`${OTHER_APP}, ${APP_ID} ,,${OTHER_APP.toUpperCase()}`), [OTHER_APP, APP_ID]);
    assert.deepEqual(parseAppIdList([`${OTHER_APP},${APP_ID}`]), [OTHER_APP, APP_ID]);
    assert.deepEqual([parseAppIdList(null), parseAppIdList("")], [[], []]);
  });
});

describe("Exchange providers: serialization", () => {
  it("serialize under the mock runtime, and work loaded on their own", async (test) => {
    const runtime = await startMockRuntime({ project: "retain-m365", stack: "test", preview: false });
    test.after(() => runtime.stop());
    const { ExchangeServicePrincipal } = await import("../../components/exchange/service-principal");
    const { SecurityGroup } = await import("../../components/exchange/security-group");
    const { ManagementScope } = await import("../../components/exchange/management-scope");
    const { RoleAssignment } = await import("../../components/exchange/role-assignment");
    const { EwsAllowListEntry } = await import("../../components/exchange/ews-allow-list");
    const t = target();
    new ExchangeServicePrincipal("sp", { ...t, appId: APP_ID, objectId: SP_OBJECT_ID, displayName: "Retain" });
    new SecurityGroup("group", { ...t, name: "Archived" });
    new ManagementScope("scope", { ...t, name: "Retain scope", recipientRestrictionFilter: "x" });
    new RoleAssignment("role", { ...t, name: "Retain EWS", role: "Application EWS.AccessAsApp", app: SP_OBJECT_ID, customResourceScope: "Retain scope" });
    new EwsAllowListEntry("ews", { ...t, appId: APP_ID, alsoAllow: [TEAMS_APP_ID], enforce: true, enforceSetting: "ewsAllowList.enforce" });
    await runtime.settle();

    const names = ["sp", "group", "scope", "role", "ews"];
    const registered = (name: string) => runtime.resources.find((r) => r.name === name)!;
    const providers = Object.fromEntries(names.map((name) => [name, registered(name).inputs.__provider as string]));
    for (const name of names) {
      assert.equal(typeof providers[name], "string", `${name} has a serialized provider`);
      assert.doesNotMatch(providers[name]!, /@pulumi\/pulumi/, `${name}'s state holds no copy of Pulumi's SDK`);
    }
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
      [state.servicePrincipals.length, state.groups.length, state.scopes.length, state.assignments.length, state.organization],
      [1, 1, 1, 0, { EwsEnabled: true, EwsAllowedAppIDs: `${APP_ID},${TEAMS_APP_ID}` }],
    );
  });
});

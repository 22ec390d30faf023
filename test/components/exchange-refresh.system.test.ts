import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ewsAllowListProvider, type EwsAllowListInputs } from "../../components/exchange/ews-allow-list";
import { managementScopeProvider, type ManagementScopeInputs } from "../../components/exchange/management-scope";
import { securityGroupProvider, type SecurityGroupOutputs } from "../../components/exchange/security-group";
import { roleAssignmentProvider, type RoleAssignmentInputs } from "../../components/exchange/role-assignment";
import {
  exchangeServicePrincipalProvider,
  type ExchangeServicePrincipalInputs,
  type ExchangeServicePrincipalOutputs,
} from "../../components/exchange/service-principal";
import type { ExchangeTarget } from "../../m365/exchange-admin-api";
import { TEAMS_APP_ID } from "../../m365/exchange-facts";
import { startMockRuntime } from "../../program/mock-runtime";
import { rejection, runSerializedProviders, TENANT_ID as TENANT } from "../support/deployer";
import { useExchangeEmulator } from "../support/exchange-admin";
import { exchangeError, exchangeWrites, invokeCmdlet, type ExchangeState } from "../../emulators/exchange";
import type { GraphEmulator } from "../../emulators/graph";

// A refresh (`pulumi refresh`, `pulumi preview --refresh`, the Drift workflow) runs each dynamic
// provider's `read`: an object changed by hand in Exchange must show as that change, one removed
// by hand as gone (no id), one untouched exactly as create recorded it (no drift), and a refused
// read as an error naming the permission, never as gone.

const APP_ID = "aaaaaaaa-0000-4000-8000-000000000001";
const SP_OBJECT_ID = "bbbbbbbb-0000-4000-8000-000000000001";
const OTHER_APP = "cccccccc-0000-4000-8000-000000000001";
const SCOPE = "Retain scope";
const ASSIGNMENT = "Retain Application EWS.AccessAsApp";

let emulator: GraphEmulator;
let state: ExchangeState;
const target = (): ExchangeTarget => ({ tenantId: TENANT, exchangeEndpoint: emulator.url });
/** What an admin runs in Exchange Online PowerShell: it goes through the same route as our calls. */
const byHand = (cmdlet: string, parameters: Record<string, unknown>) => invokeCmdlet(state, cmdlet, parameters);

useExchangeEmulator(TENANT, (e, s) => {
  emulator = e;
  state = s;
});

const spInputs = (): ExchangeServicePrincipalInputs => ({ ...target(), appId: APP_ID, objectId: SP_OBJECT_ID, displayName: "Retain Archiving" });
const scopeInputs = (): ManagementScopeInputs => ({ ...target(), name: SCOPE, recipientRestrictionFilter: "MemberOfGroup -eq 'CN=Archived,DC=x'" });
const rbac = (o: Partial<RoleAssignmentInputs> = {}): RoleAssignmentInputs => ({
  ...target(),
  name: ASSIGNMENT,
  role: "Application EWS.AccessAsApp",
  app: SP_OBJECT_ID,
  customResourceScope: SCOPE,
  ...o,
});

async function created<T>(create: Promise<{ id: string; outs?: T }>): Promise<{ id: string; outs: T }> {
  const { id, outs } = await create;
  assert.ok(outs);
  return { id, outs };
}

describe("refresh of the Exchange service principal", () => {
  it("untouched: reads back exactly what create recorded, also where Exchange shows the ids in another letter case", async () => {
    const { id, outs } = await created(exchangeServicePrincipalProvider.create(spInputs()));
    assert.deepEqual(await exchangeServicePrincipalProvider.read!(id, outs), { id, props: outs });
    state.servicePrincipals[0]!.AppId = APP_ID.toUpperCase();
    const { props } = await exchangeServicePrincipalProvider.read!(id, outs);
    assert.deepEqual(props, outs);
    assert.equal((await exchangeServicePrincipalProvider.diff!(id, props!, spInputs())).changes, false);
  });

  it("a display name changed by hand shows, and the next deployment sets it back in place", async () => {
    const { id, outs } = await created(exchangeServicePrincipalProvider.create(spInputs()));
    byHand("Set-ServicePrincipal", { Identity: APP_ID, DisplayName: "Someone's rename" });
    const { props } = await exchangeServicePrincipalProvider.read!(id, outs);
    assert.equal(props?.displayName, "Someone's rename");
    const diff = await exchangeServicePrincipalProvider.diff!(id, props!, spInputs());
    assert.deepEqual([diff.changes, diff.replaces], [true, []]);
    await exchangeServicePrincipalProvider.update!(id, props!, spInputs());
    assert.equal(state.servicePrincipals[0]?.DisplayName, "Retain Archiving");
  });

  it("removed by hand: gone, so the next deployment registers it again", async () => {
    const { id, outs } = await created(exchangeServicePrincipalProvider.create(spInputs()));
    byHand("Remove-ServicePrincipal", { Identity: APP_ID, Confirm: false });
    assert.deepEqual(await exchangeServicePrincipalProvider.read!(id, outs), { id: "" });
  });
});

describe("refresh of the scope group and the management scope", () => {
  it("untouched: the group and the scope read back as created", async () => {
    const group = await created(securityGroupProvider.create({ ...target(), name: "Archived" }));
    assert.deepEqual(await securityGroupProvider.read!(group.id, group.outs), { id: group.id, props: group.outs });
    const scope = await created(managementScopeProvider.create(scopeInputs()));
    assert.deepEqual(await managementScopeProvider.read!(scope.id, scope.outs), { id: scope.id, props: scope.outs });
  });

  it("a scope filter changed by hand shows, and the next deployment sets it back", async () => {
    const { id, outs } = await created(managementScopeProvider.create(scopeInputs()));
    byHand("Set-ManagementScope", { Identity: SCOPE, RecipientRestrictionFilter: "Department -eq 'Legal'" });
    const { props } = await managementScopeProvider.read!(id, outs);
    assert.equal(props?.recipientRestrictionFilter, "Department -eq 'Legal'");
    assert.equal((await managementScopeProvider.diff!(id, props!, scopeInputs())).changes, true);
    await managementScopeProvider.update!(id, props!, scopeInputs());
    assert.equal(state.scopes[0]?.RecipientFilter, scopeInputs().recipientRestrictionFilter);
  });

  it("a group whose distinguished name changed shows the new one (the scope's filter follows it)", async () => {
    const { id, outs } = await created(securityGroupProvider.create({ ...target(), name: "Archived" }));
    state.groups[0]!.DistinguishedName = "CN=Archived,OU=Moved,DC=x";
    const { props } = await securityGroupProvider.read!(id, outs);
    assert.equal((props as SecurityGroupOutputs).distinguishedName, "CN=Archived,OU=Moved,DC=x");
  });

  it("removed by hand: both are gone", async () => {
    const group = await created(securityGroupProvider.create({ ...target(), name: "Archived" }));
    const scope = await created(managementScopeProvider.create(scopeInputs()));
    byHand("Remove-ManagementScope", { Identity: SCOPE, Confirm: false });
    byHand("Remove-DistributionGroup", { Identity: "Archived", Confirm: false });
    assert.deepEqual(await managementScopeProvider.read!(scope.id, scope.outs), { id: "" });
    assert.deepEqual(await securityGroupProvider.read!(group.id, group.outs), { id: "" });
  });
});

describe("refresh of a management role assignment", () => {
  const setUp = () => {
    byHand("New-ServicePrincipal", { AppId: APP_ID, ObjectId: SP_OBJECT_ID, DisplayName: "Retain" });
    byHand("New-ManagementScope", { Name: SCOPE, RecipientRestrictionFilter: "MemberOfGroup -eq 'CN=Archived,DC=x'" });
  };

  it("untouched: reads back as created, though Exchange shows the assignee as the service principal's own identity", async () => {
    setUp();
    for (const inputs of [rbac(), rbac({ name: "Retain all", customResourceScope: undefined, allMailboxes: true })]) {
      if (inputs.customResourceScope === undefined) delete inputs.customResourceScope;
      const { id, outs } = await created(roleAssignmentProvider.create(inputs));
      assert.notEqual(state.assignments.at(-1)?.RoleAssignee, SP_OBJECT_ID);
      assert.deepEqual(await roleAssignmentProvider.read!(id, outs), { id, props: outs });
    }
  });

  it("a scope taken off by hand shows, and the next deployment replaces the assignment: it reached every mailbox", async () => {
    setUp();
    const { id, outs } = await created(roleAssignmentProvider.create(rbac()));
    byHand("Set-ManagementRoleAssignment", { Identity: ASSIGNMENT, CustomResourceScope: null });
    const { props } = await roleAssignmentProvider.read!(id, outs);
    assert.equal(props?.customResourceScope, "");
    assert.deepEqual((await roleAssignmentProvider.diff!(id, props!, rbac())).replaces, ["customResourceScope"]);
  });

  it("a scope put on an unscoped assignment by hand shows too", async () => {
    setUp();
    const inputs = rbac({ allMailboxes: true });
    delete inputs.customResourceScope;
    const { id, outs } = await created(roleAssignmentProvider.create(inputs));
    byHand("Set-ManagementRoleAssignment", { Identity: ASSIGNMENT, CustomResourceScope: SCOPE });
    const { props } = await roleAssignmentProvider.read!(id, outs);
    assert.equal(props?.customResourceScope, SCOPE);
    assert.deepEqual((await roleAssignmentProvider.diff!(id, props!, inputs)).replaces, ["customResourceScope"]);
  });

  it("made again by hand for another app: the assignee shows as that app's, and the next deployment replaces it", async () => {
    setUp();
    const { id, outs } = await created(roleAssignmentProvider.create(rbac()));
    byHand("Remove-ManagementRoleAssignment", { Identity: ASSIGNMENT, Confirm: false });
    const other = byHand("New-ServicePrincipal", { AppId: OTHER_APP, ObjectId: "other-object-id", DisplayName: "Someone else" });
    byHand("New-ManagementRoleAssignment", { Name: ASSIGNMENT, Role: "Application EWS.AccessAsApp", App: "other-object-id", CustomResourceScope: SCOPE });
    const { props } = await roleAssignmentProvider.read!(id, outs);
    assert.equal(props?.app, other.Identity);
    assert.deepEqual((await roleAssignmentProvider.diff!(id, props!, rbac())).replaces, ["app"]);
  });

  it("removed by hand: gone", async () => {
    setUp();
    const { id, outs } = await created(roleAssignmentProvider.create(rbac()));
    byHand("Remove-ManagementRoleAssignment", { Identity: ASSIGNMENT, Confirm: false });
    assert.deepEqual(await roleAssignmentProvider.read!(id, outs), { id: "" });
  });

  it("the emulator's Set-ManagementRoleAssignment refuses a scope that does not exist and parameters it does not emulate", async () => {
    setUp();
    await roleAssignmentProvider.create(rbac());
    assert.throws(() => byHand("Set-ManagementRoleAssignment", { Identity: ASSIGNMENT, CustomResourceScope: "Nope" }), /ManagementObjectNotFoundException/);
    assert.throws(() => byHand("Set-ManagementRoleAssignment", { Identity: ASSIGNMENT, Enabled: false }), /not emulated/);
    assert.equal(state.assignments[0]?.CustomResourceScope, SCOPE);
  });
});

describe("refresh of the EWS allow list entry", () => {
  const entry = (o: Partial<EwsAllowListInputs> = {}): EwsAllowListInputs => ({
    ...target(),
    appId: APP_ID,
    alsoAllow: [TEAMS_APP_ID],
    enforce: false,
    enforceSetting: "ewsAllowList.enforce",
    ...o,
  });
  const listedNow = async () => {
    state.organization = { EwsEnabled: true, EwsAllowedAppIDs: OTHER_APP };
    return created(ewsAllowListProvider.create(entry()));
  };

  it("untouched: reads back as created, whatever else the list holds", async () => {
    const { id, outs } = await listedNow();
    state.organization.EwsAllowedAppIDs = `${OTHER_APP},${APP_ID.toUpperCase()},${TEAMS_APP_ID},dddddddd-0000-4000-8000-000000000001`;
    assert.deepEqual(await ewsAllowListProvider.read!(id, outs), { id, props: outs });
    assert.deepEqual(exchangeWrites(state).length, 1, "a read writes nothing");
  });

  it("Retain's id taken out by hand: gone", async () => {
    const { id, outs } = await listedNow();
    byHand("Set-OrganizationConfig", { EwsAllowedAppIDs: `${OTHER_APP},${TEAMS_APP_ID}` });
    assert.deepEqual(await ewsAllowListProvider.read!(id, outs), { id: "" });
  });

  it("the list put out of force by hand (EwsEnabled false): gone, and with the enforce decision the next deployment puts it back", async () => {
    const { id, outs } = await listedNow();
    byHand("Set-OrganizationConfig", { EwsEnabled: false });
    assert.deepEqual(await ewsAllowListProvider.read!(id, outs), { id: "" });
    await ewsAllowListProvider.create(entry({ enforce: true }));
    assert.equal(state.organization.EwsEnabled, true);
  });

  it("an alsoAllow id taken out by hand shows as missing, and the next deployment adds it back", async () => {
    const { id, outs } = await listedNow();
    byHand("Set-OrganizationConfig", { EwsAllowedAppIDs: `${OTHER_APP},${APP_ID}` });
    const { props } = await ewsAllowListProvider.read!(id, outs);
    assert.deepEqual(props?.alsoAllow, []);
    assert.equal((await ewsAllowListProvider.diff!(id, props!, entry())).changes, true);
    await ewsAllowListProvider.update!(id, props!, entry());
    assert.equal(state.organization.EwsAllowedAppIDs, `${OTHER_APP},${APP_ID},${TEAMS_APP_ID}`);
  });
});

describe("a refused refresh", () => {
  it("is an error naming what the reading identity needs, not 'gone', for every Exchange resource", async () => {
    byHand("New-ManagementScope", { Name: SCOPE, RecipientRestrictionFilter: "x" });
    state.organization = { EwsEnabled: true, EwsAllowedAppIDs: APP_ID };
    const sp = await created(exchangeServicePrincipalProvider.create(spInputs()));
    const group = await created(securityGroupProvider.create({ ...target(), name: "Archived" }));
    const assignment = await created(roleAssignmentProvider.create(rbac()));
    const entry = await created(ewsAllowListProvider.create({ ...target(), appId: APP_ID, alsoAllow: [], enforce: false, enforceSetting: "enforce" }));
    const reads: [string, () => Promise<unknown>][] = [
      ["Get-ServicePrincipal", () => exchangeServicePrincipalProvider.read!(sp.id, sp.outs as ExchangeServicePrincipalOutputs)],
      ["Get-DistributionGroup", () => securityGroupProvider.read!(group.id, group.outs)],
      ["Get-ManagementScope", () => managementScopeProvider.read!(SCOPE, { ...target(), name: SCOPE, recipientRestrictionFilter: "x" })],
      ["Get-ManagementRoleAssignment", () => roleAssignmentProvider.read!(assignment.id, assignment.outs)],
      ["Get-OrganizationConfig", () => ewsAllowListProvider.read!(entry.id, entry.outs)],
    ];
    for (const [cmdlet, read] of reads) {
      for (const refusal of [
        exchangeError(403, "System.UnauthorizedAccessException", "Access denied."),
        // A cmdlet outside the caller's Exchange roles is not in its session (docs/exchange.md).
        exchangeError(400, "System.Management.Automation.CommandNotFoundException", `The term '${cmdlet}' is not recognized as a name of a cmdlet.`),
      ]) {
        emulator.injected.push(refusal);
        const error = await rejection(read());
        assert.match(
          error.message,
          new RegExp(
            `^Exchange refused ${cmdlet} .*reading Exchange back \\(a refresh\\) needs Exchange\\.ManageAsApp on Office 365 Exchange Online \\(00000002-0000-0ff1-ce00-000000000000\\) and the Entra role Global Reader`,
          ),
        );
      }
    }
  });
});

describe("Exchange providers' read, serialized", () => {
  it("works loaded on its own, as Pulumi's provider host runs it on a refresh", async (test) => {
    const runtime = await startMockRuntime({ project: "retain-m365", stack: "test", preview: false });
    test.after(() => runtime.stop());
    const { ExchangeServicePrincipal } = await import("../../components/exchange/service-principal");
    const { ManagementScope } = await import("../../components/exchange/management-scope");
    new ExchangeServicePrincipal("sp", { ...spInputs() });
    new ManagementScope("scope", scopeInputs());
    await runtime.settle();
    const provider = (name: string) => runtime.resources.find((r) => r.name === name)!.inputs.__provider as string;
    const sp = await created(exchangeServicePrincipalProvider.create(spInputs()));
    const scope = await created(managementScopeProvider.create(scopeInputs()));
    byHand("Set-ManagementScope", { Identity: SCOPE, RecipientRestrictionFilter: "Department -eq 'Legal'" });
    byHand("Remove-ServicePrincipal", { Identity: APP_ID, Confirm: false });
    const result = await runSerializedProviders(
      { sp: provider("sp"), scope: provider("scope") },
      `return [await load("sp").read(${JSON.stringify(sp.id)}, ${JSON.stringify(sp.outs)}), await load("scope").read(${JSON.stringify(scope.id)}, ${JSON.stringify(scope.outs)})];`,
    );
    assert.deepEqual(result, [{ id: "" }, { id: SCOPE, props: { ...scope.outs, recipientRestrictionFilter: "Department -eq 'Legal'" } }]);
  });
});

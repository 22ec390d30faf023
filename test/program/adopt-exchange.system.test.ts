import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ExitCode, UserFacingError } from "../../core/errors";
import { EWS_ENFORCE_SETTING } from "../../config/schema";
import type { ExchangeTarget } from "../../m365/exchange-admin-api";
import { LEGACY_IMPERSONATION_ROLE, TEAMS_APP_ID } from "../../m365/exchange-facts";
import { ALLOW_LIST_DELAY, emptyListRefusal, notEnforcedRefusal } from "../../components/exchange/ews-allow-list";
import { managementScopeProvider, memberOfGroupFilter } from "../../components/exchange/management-scope";
import { securityGroupProvider } from "../../components/exchange/security-group";
import { roleAssignmentProvider } from "../../components/exchange/role-assignment";
import { exchangeServicePrincipalProvider } from "../../components/exchange/service-principal";
import { discoverExchange, type ExchangeDiscoveryInputs } from "../../components/exchange/discovery";
import type { Finding } from "../../components/discovery";
import { EXCHANGE_SETTINGS } from "../../program/adopt/discovery-steps";
import { rejection, TENANT_ID as TENANT } from "../support/deployer";
import { useExchangeEmulator } from "../support/exchange-admin";
import { exchangeError, exchangeWrites, type ExchangeState } from "../../emulators/exchange";
import type { GraphEmulator } from "../../emulators/graph";

const OTHER_APP = "cccccccc-0000-4000-8000-000000000001";
const OTHER_SP = "dddddddd-0000-4000-8000-000000000001";
const THIRD_APP = "eeeeeeee-0000-4000-8000-000000000001";
const GROUP = "Retain Archived Users";
const SCOPE = "Retain Archived Users (Retain)";
const ROLE_ASSIGNMENT = "Retain Application EWS.AccessAsApp";

let emulator: GraphEmulator;
let state: ExchangeState;
useExchangeEmulator(TENANT, (e, s) => {
  emulator = e;
  state = s;
});
const target = (): ExchangeTarget => ({ tenantId: TENANT, exchangeEndpoint: emulator.url });
const urnOf = (name: string) => `urn:pulumi:example::retain-m365::test::${name}`;

/** The `example` stack's Exchange resources, as `retain-m365 plan --json` shows them. */
const example = (changes: Partial<ExchangeDiscoveryInputs> = {}): ExchangeDiscoveryInputs => ({
  servicePrincipal: { resourceName: "example-exchange-service-principal", displayName: "Retain Archiving" },
  scope: { group: { resourceName: "example-exchange-scope-group", name: GROUP }, scope: { resourceName: "example-exchange-scope", name: SCOPE } },
  roleAssignments: [{ resourceName: "example-exchange-role-EWS.AccessAsApp", name: ROLE_ASSIGNMENT, role: "Application EWS.AccessAsApp" }],
  settings: EXCHANGE_SETTINGS,
  ...changes,
});
const allowList = (enforce: boolean, alsoAllow: string[] = []) => ({
  resourceName: "example-exchange-ews-allow-list",
  enforce,
  alsoAllow,
  enforceSetting: EWS_ENFORCE_SETTING,
});

/** The notice about an empty scope group; the tests of other notices leave it aside (its own tests are below). */
const SCOPE_GROUP_NOTICE = /^The scope group "/;

async function discover(inputs: ExchangeDiscoveryInputs) {
  const discovery = await discoverExchange(target(), inputs, urnOf);
  assert.deepEqual(exchangeWrites(state), [], "discovery runs Get- cmdlets only");
  return {
    findings: discovery.findings,
    notices: discovery.notices.filter((notice) => !SCOPE_GROUP_NOTICE.test(notice)),
    scopeGroupNotices: discovery.notices.filter((notice) => SCOPE_GROUP_NOTICE.test(notice)),
  };
}
const finding = (findings: Finding[], resourceName: string) =>
  findings.find((f) => f.urn === urnOf(resourceName)) ?? assert.fail(`no finding for ${resourceName}`);

/** The group and scope as an earlier deploy made them, through the providers; the emulator then forgets those commands. */
async function existingGroupAndScope(filter?: string) {
  const group = await securityGroupProvider.create({ ...target(), name: GROUP });
  await managementScopeProvider.create({ ...target(), name: SCOPE, recipientRestrictionFilter: filter ?? memberOfGroupFilter(group.outs!.distinguishedName) });
  state.commands.length = 0;
}

describe("adopt: a scope group without members reaches no mailbox", () => {
  it("one the deploy creates: says it starts empty and how to add members", async () => {
    assert.deepEqual((await discover(example())).scopeGroupNotices, [
      `The scope group "${GROUP}" does not exist yet, and the deploy creates it empty: Retain's app reaches no mailbox until members are added (Add-DistributionGroupMember -Identity "${GROUP}" -Member <user>, or the group's Members in the Exchange admin center).`,
    ]);
  });

  it("one that exists without members: says so; with a member: nothing", async () => {
    await existingGroupAndScope();
    assert.deepEqual((await discover(example())).scopeGroupNotices, [
      `The scope group "${GROUP}" has no members: Retain's app reaches no mailbox until members are added (Add-DistributionGroupMember -Identity "${GROUP}" -Member <user>, or the group's Members in the Exchange admin center).`,
    ]);
    const group = state.groups.find((g) => g.Name === GROUP)!;
    state.mailboxes["ann@example.com"] = { EwsEnabled: true };
    group.Members = ["ann@example.com"];
    assert.deepEqual((await discover(example())).scopeGroupNotices, []);
  });
});

describe("adopt: Exchange", () => {
  it("reports everything as created in an organization that has none of it, with Get- cmdlets only", async () => {
    const { findings, notices } = await discover(example());
    assert.deepEqual(
      findings.map((f) => [f.urn, f.action]),
      [
        [urnOf("example-exchange-service-principal"), "create"],
        [urnOf("example-exchange-scope-group"), "create"],
        [urnOf("example-exchange-scope"), "create"],
        [urnOf("example-exchange-role-EWS.AccessAsApp"), "create"],
      ],
    );
    assert.deepEqual(notices, []);
    assert.deepEqual(
      state.commands.map((c) => c.cmdlet),
      ["Get-ManagementRoleAssignment", "Get-ServicePrincipal", "Get-DistributionGroup", "Get-ManagementScope", "Get-ManagementRole", "Get-OrganizationConfig"],
    );
    assert.deepEqual(state.commands.at(-1)?.parameters, { RetrieveEwsOperationAccessPolicy: true });
  });

  it("adopts a security group and a scope that are as the deploy would make them, without an import id", async () => {
    await existingGroupAndScope();
    const { findings } = await discover(example());
    const group = finding(findings, "example-exchange-scope-group");
    const scope = finding(findings, "example-exchange-scope");
    assert.deepEqual([group.action, group.importId, scope.action, scope.importId], ["adopt", undefined, "adopt", undefined]);
    assert.match(group.detail, /takes it over as it is .*a destroy leaves it in place/);
    assert.match(scope.detail, /takes it over as it is .*a destroy removes it/);
  });

  it("calls a group that is not security-enabled a conflict on scopeGroup", async () => {
    state.groups.push({ Name: GROUP, Identity: GROUP, GroupType: "Universal", DistinguishedName: `CN=${GROUP},DC=test` });
    const { findings } = await discover(example());
    const group = finding(findings, "example-exchange-scope-group");
    assert.equal(group.action, "conflict");
    assert.equal(group.decide, "retain-m365:exchangeAccess.scopeGroup");
    assert.match(group.detail, /not security-enabled \(GroupType Universal\)/);
    assert.equal(finding(findings, "example-exchange-scope").action, "create");
  });

  it("calls a scope with another filter, or whose group is missing, a conflict on scopeGroup", async () => {
    await existingGroupAndScope("MemberOfGroup -eq 'CN=Someone Else,DC=test'");
    let scope = finding((await discover(example())).findings, "example-exchange-scope");
    assert.deepEqual([scope.action, scope.decide], ["conflict", "retain-m365:exchangeAccess.scopeGroup"]);
    assert.match(scope.detail, /filter "MemberOfGroup -eq 'CN=Someone Else,DC=test'", which is not the members of "Retain Archived Users"/);

    state.groups.length = 0;
    scope = finding((await discover(example())).findings, "example-exchange-scope");
    assert.equal(scope.action, "conflict");
    assert.match(scope.detail, /cannot name the group "Retain Archived Users" the deploy would create/);
  });

  it("calls a same-named role assignment for another app a conflict no setting settles, and names the app's namesake", async () => {
    const sp = await exchangeServicePrincipalProvider.create({ ...target(), appId: OTHER_APP, objectId: OTHER_SP, displayName: "Retain Archiving" });
    await roleAssignmentProvider.create({ ...target(), name: ROLE_ASSIGNMENT, role: "Application EWS.AccessAsApp", app: sp.outs!.objectId });
    state.commands.length = 0;
    const { findings, notices } = await discover(example());
    const assignment = finding(findings, "example-exchange-role-EWS.AccessAsApp");
    assert.equal(assignment.action, "conflict");
    assert.equal(assignment.decide, undefined);
    assert.match(assignment.detail, /giving "Application EWS.AccessAsApp" to Retain Archiving, not to Retain's app/);
    assert.match(assignment.detail, /Remove-ManagementRoleAssignment -Identity "Retain Application EWS.AccessAsApp"/);
    assert.equal(finding(findings, "example-exchange-service-principal").action, "create");
    assert.deepEqual(notices, [
      `Exchange already has a service principal named "Retain Archiving" for another application (AppId ${OTHER_APP}), holding the role assignments "Retain Application EWS.AccessAsApp" (Application EWS.AccessAsApp): it is not the app the deploy registers, and the stack leaves it alone.`,
    ]);
  });

  it("calls a role the organization lacks a conflict on roles", async () => {
    state.roles = state.roles.filter((role) => role !== "Application Mail.Read");
    const inputs = example({
      roleAssignments: [{ resourceName: "example-exchange-role-Mail.Read", name: "Retain Application Mail.Read", role: "Application Mail.Read" }],
    });
    const assignment = (await discover(inputs)).findings.at(-1)!;
    assert.deepEqual([assignment.action, assignment.decide], ["conflict", "retain-m365:exchangeAccess.roles"]);
  });

  describe("application-impersonation", () => {
    const legacy = () =>
      example({
        servicePrincipal: undefined,
        scope: undefined,
        roleAssignments: [
          {
            resourceName: "example-exchange-impersonation",
            name: "Retain ApplicationImpersonation",
            role: LEGACY_IMPERSONATION_ROLE,
            user: "RetainWorker@example.com",
          },
        ],
      });

    it("calls the removed role a conflict on the mode", async () => {
      const [assignment] = (await discover(legacy())).findings;
      assert.deepEqual([assignment?.action, assignment?.decide], ["conflict", "retain-m365:exchangeAccess.mode"]);
      assert.match(assignment!.detail, /removed it in February 2025.*set retain-m365:exchangeAccess\.mode to application-rbac/);
    });

    it("adopts the worker's assignment where the role still exists, and does not report it as a leftover", async () => {
      state.roles.push(LEGACY_IMPERSONATION_ROLE);
      await roleAssignmentProvider.create({
        ...target(),
        name: "Retain ApplicationImpersonation",
        role: LEGACY_IMPERSONATION_ROLE,
        user: "RetainWorker@example.com",
      });
      state.commands.length = 0;
      const { findings, notices } = await discover(legacy());
      assert.deepEqual(
        findings.map((f) => f.action),
        ["adopt"],
      );
      assert.deepEqual(notices, []);
    });
  });

  it("names every leftover ApplicationImpersonation grant, leaving out delegating assignments", async () => {
    state.roles.push(LEGACY_IMPERSONATION_ROLE);
    state.users.push("old-archiver@example.com");
    await roleAssignmentProvider.create({ ...target(), name: "Old archiver impersonation", role: LEGACY_IMPERSONATION_ROLE, user: "old-archiver@example.com" });
    state.assignments.push({
      Name: "ApplicationImpersonation-Organization Management-Delegating",
      Role: LEGACY_IMPERSONATION_ROLE,
      RoleAssignee: "Organization Management",
      RoleAssigneeName: "Organization Management",
      RoleAssignmentDelegationType: "DelegatingOrgWide",
    });
    state.commands.length = 0;
    const { notices } = await discover(example());
    assert.deepEqual(notices, [
      `Exchange still has the ApplicationImpersonation role assignment "Old archiver impersonation" to old-archiver@example.com. Exchange Online removed that role in February 2025; ` +
        `the assignment can be removed by hand (Remove-ManagementRoleAssignment -Identity "Old archiver impersonation"). The stack leaves it alone.`,
    ]);
  });

  describe("the organization's EWS allow list", () => {
    const ews = async (list: ReturnType<typeof allowList> | undefined) => {
      const { findings, notices } = await discover(example({ ewsAllowList: list }));
      return { finding: list ? finding(findings, "example-exchange-ews-allow-list") : undefined, notices };
    };

    it("merges into a list in force, keeping every other application", async () => {
      state.organization = { EwsEnabled: true, EwsAllowedAppIDs: `${OTHER_APP},${THIRD_APP}` };
      const { finding: entry, notices } = await ews(allowList(false, [THIRD_APP, TEAMS_APP_ID]));
      assert.equal(entry?.action, "merge");
      assert.equal(
        entry?.detail,
        `The organization's EWS allow list is in force (EwsEnabled true): the deploy adds Retain's app id and ${TEAMS_APP_ID} and keeps the 2 application ids listed now (1 of alsoAllow among them).`,
      );
      assert.deepEqual(notices, [ALLOW_LIST_DELAY], "says the change can take 24 hours");
      assert.match(ALLOW_LIST_DELAY, /within up to 24 hours/);
    });

    it("calls a list in force but empty a conflict on the enforce setting, and puts a list in force only with that decision", async () => {
      state.organization = { EwsEnabled: true, EwsAllowedAppIDs: null };
      assert.deepEqual((await ews(allowList(false))).finding, {
        urn: urnOf("example-exchange-ews-allow-list"),
        action: "conflict",
        decide: EWS_ENFORCE_SETTING,
        detail: emptyListRefusal(EWS_ENFORCE_SETTING),
      });
      const decided = await ews(allowList(true, [TEAMS_APP_ID]));
      assert.equal(decided.finding?.action, "merge");
      assert.match(
        decided.finding!.detail,
        /is in force \(EwsEnabled true\) but empty; as retain-m365:exchangeAccess\.ewsAllowList\.enforce decides, the deploy puts it in force with Retain's app id and cc15fd57-.*, the list first and EwsEnabled second/,
      );
      assert.deepEqual(decided.notices, [ALLOW_LIST_DELAY]);
      assert.match(
        (await ews(undefined)).notices.join(),
        /in force \(EwsEnabled true\) but empty, and the configuration leaves it alone: .*"no application restricted".*"all EWS blocked"/,
      );
    });

    it("calls a list not in force a conflict on the enforce setting, in the provider's own words", async () => {
      assert.deepEqual((await ews(allowList(false))).finding, {
        urn: urnOf("example-exchange-ews-allow-list"),
        action: "conflict",
        decide: EWS_ENFORCE_SETTING,
        detail: notEnforcedRefusal(null, EWS_ENFORCE_SETTING),
      });
      state.organization.EwsEnabled = false;
      assert.equal((await ews(allowList(false))).finding?.detail, notEnforcedRefusal(false, EWS_ENFORCE_SETTING));
    });

    it("with enforce, says the list will be put in force, and warns when Teams is left out", async () => {
      state.organization = { EwsEnabled: false, EwsAllowedAppIDs: OTHER_APP };
      const { finding: entry, notices } = await ews(allowList(true, [THIRD_APP]));
      assert.equal(entry?.action, "merge");
      assert.match(
        entry!.detail,
        /not in force \(EwsEnabled false\); as retain-m365:exchangeAccess\.ewsAllowList\.enforce decides, the deploy puts it in force with Retain's app id and eeeeeeee-0000-4000-8000-000000000001 besides the 1 application id listed now, the list first and EwsEnabled second:/,
      );
      assert.deepEqual(notices.length, 2);
      assert.equal(notices[0], ALLOW_LIST_DELAY);
      assert.match(notices[1]!, /Teams' calendar integration .* loses EWS/);
      assert.deepEqual((await ews(allowList(true, [TEAMS_APP_ID]))).notices, [ALLOW_LIST_DELAY]);
    });

    it("left alone by the configuration, is worth a notice when it would keep Retain out", async () => {
      assert.deepEqual((await ews(undefined)).notices, [], "never set: EWS is open to every app");
      state.organization = { EwsEnabled: true, EwsAllowedAppIDs: OTHER_APP };
      assert.match((await ews(undefined)).notices.join(), /in force \(EwsEnabled true\) .* EWS will refuse Retain's app/);
      state.organization.EwsEnabled = false;
      assert.match((await ews(undefined)).notices.join(), /turned off for the whole organization/);
    });
  });

  describe("failures", () => {
    it("turns Exchange's refusal into exit 3 naming what reading Exchange needs", async () => {
      emulator.injected.push(exchangeError(403, "Microsoft.Exchange.Security.Authorization.AccessDeniedException", "Access denied."));
      const error = await rejection(discoverExchange(target(), example(), urnOf));
      assert.ok(error instanceof UserFacingError);
      assert.equal(error.exitCode, ExitCode.auth);
      assert.match(
        error.message,
        /^Exchange Online refused Get-ManagementRoleAssignment \(.*HTTP 403.*\)\. Reading Exchange needs Exchange\.ManageAsApp .*and the Entra role Global Reader, for the identity running adopt/,
      );
    });

    it("treats a cmdlet missing from the caller's roles as a refusal (exit 3)", async () => {
      emulator.injected.push(
        exchangeError(
          400,
          "System.Management.Automation.CommandNotFoundException",
          "The term 'Get-ManagementRoleAssignment' is not recognized as a name of a cmdlet.",
        ),
      );
      const error = await rejection(discoverExchange(target(), example(), urnOf));
      assert.equal((error as UserFacingError).exitCode, ExitCode.auth);
    });

    it("gives up on an Exchange that stays down with exit 4", async () => {
      for (let i = 0; i < 6; i++) emulator.injected.push({ ...exchangeError(503, "System.Exception", "Service unavailable"), headers: { "retry-after": "0" } });
      const error = await rejection(discoverExchange(target(), example(), urnOf));
      assert.ok(error instanceof UserFacingError);
      assert.equal(error.exitCode, ExitCode.remoteService);
      assert.match(error.message, /^Exchange Online did not answer Get-ManagementRoleAssignment: .*HTTP 503/);
    });
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { EWS_ENFORCE_SETTING } from "../../config/schema";
import { validatedOrThrow } from "../../config/validate";
import { ExitCode, type UserFacingError } from "../../core/errors";
import { authorityFor, credentialFromEnvironment } from "../../m365/credentials";
import { createGraphClient } from "../../m365/graph-client";
import { readinessOf } from "../../program/readiness/readiness";
import type { ReadinessReport } from "../../program/readiness/report";
import { EXCHANGE_RESOURCE_APP_ID, GRAPH_RESOURCE_APP_ID, grantApplicationPermission, registerApp } from "../../emulators/entra-readiness";
import { exchangeError, exchangeWrites } from "../../emulators/exchange";
import { graphWrites } from "../../emulators/graph";
import { EXCHANGE_KIOSK_PLAN, EXCHANGE_PLAN_2, RETAIN_APP_ID } from "../../emulators/readiness-tenant";
import { toRaw, validRawValues } from "../support/configs";
import { rejection, TENANT_ID } from "../support/deployer";
import { APP_NAME, deployedTenant, SCOPE_GROUP, useReadinessEmulator } from "../support/readiness";

const world = useReadinessEmulator();
const TEAMS = "cc15fd57-2c6c-4117-a88c-83b1d56b4bbe";

function stackConfig(access: Record<string, unknown> = {}) {
  const values = validRawValues();
  values["retain-m365:exchangeAccess"] = { ...(values["retain-m365:exchangeAccess"] as object), ...access };
  return validatedOrThrow(toRaw(values), "stack example").config;
}

async function readiness(options: { access?: Record<string, unknown>; appId?: string } = {}): Promise<ReadinessReport> {
  const credential = credentialFromEnvironment(TENANT_ID, authorityFor("global", world.graph.url));
  const report = await readinessOf(
    "example",
    stackConfig(options.access),
    { graph: createGraphClient({ credential, endpoint: world.graph.url }), exchange: { tenantId: TENANT_ID, exchangeEndpoint: world.graph.url } },
    { appId: options.appId },
  );
  assert.deepEqual(exchangeWrites(world.tenant.exchange), [], "readiness runs Get- cmdlets only");
  assert.deepEqual(graphWrites(world.graph), [], "readiness only GETs from Graph");
  return report;
}

const cmdlets = () => world.tenant.exchange.commands.map((c) => c.cmdlet);
const graphPaths = () => world.graph.requests.filter((r) => !r.path.startsWith("/adminapi/")).map((r) => r.path.replace(/^\/v1\.0/, ""));

describe("readiness: the organization", () => {
  it("a deployed tenant lets Retain through: no problem, Retain listed", async () => {
    const { organization } = (await readiness()).ews;
    assert.deepEqual(organization, { ewsEnabled: true, retainListed: true, allowListSize: 2, problem: null });
  });

  it("EwsEnabled True with an empty allow list is a problem naming the decision, both readings of it and the date", async () => {
    world.tenant.exchange.organization = { EwsEnabled: true, EwsAllowedAppIDs: null };
    const { organization } = (await readiness()).ews;
    assert.equal(organization.allowListSize, 0);
    assert.equal(organization.retainListed, false);
    assert.match(
      organization.problem ?? "",
      /empty EWS allow list: Microsoft's Set-OrganizationConfig reference reads that as no restriction.*worldwide cloud it has blocked all EWS since 2026-10-10/,
    );
    assert.ok(organization.problem?.includes(EWS_ENFORCE_SETTING), organization.problem ?? "");
  });

  it("an allow list in force without Retain's app id is a problem; the others' ids are counted", async () => {
    world.tenant.exchange.organization = { EwsEnabled: true, EwsAllowedAppIDs: `${TEAMS},aaaaaaaa-0000-4000-8000-0000000000a1` };
    const { organization } = (await readiness()).ews;
    assert.deepEqual([organization.retainListed, organization.allowListSize], [false, 2]);
    assert.match(organization.problem ?? "", new RegExp(`with 2 application ids, none of them Retain's \\(${RETAIN_APP_ID}\\)`));
  });

  it("EWS off for the organization is a problem; never set is a notice, not a problem", async () => {
    world.tenant.exchange.organization.EwsEnabled = false;
    assert.match((await readiness()).ews.organization.problem ?? "", /EWS is turned off for the whole organization \(EwsEnabled False\)/);
    world.tenant.exchange.organization.EwsEnabled = null;
    const report = await readiness();
    assert.equal(report.ews.organization.problem, null);
    assert.equal(report.ews.organization.ewsEnabled, null);
    assert.ok(
      report.notices.some((n) => /never set EwsEnabled.*False after a 7-day notice/.test(n)),
      report.notices.join("\n"),
    );
  });

  it("names every unscoped Entra grant to mailboxes, resolved by the resource's app roles, and not the directory reads the stack grants", async () => {
    grantApplicationPermission(world.tenant.entra, world.tenant.retain, EXCHANGE_RESOURCE_APP_ID, "full_access_as_app");
    grantApplicationPermission(world.tenant.entra, world.tenant.retain, GRAPH_RESOURCE_APP_ID, "Mail.Read");
    const problem = (await readiness()).ews.organization.problem ?? "";
    assert.match(
      problem,
      /Retain's app holds the application permissions (full_access_as_app \(Office 365 Exchange Online\) and Mail\.Read \(Microsoft Graph\)|Mail\.Read \(Microsoft Graph\) and full_access_as_app \(Office 365 Exchange Online\)) consented in Entra/,
    );
    assert.match(problem, /past the management scope of "Retain Archived Users"/);
    assert.doesNotMatch(problem, /User\.Read\.All|GroupMember\.Read\.All/);
  });

  it("EWS ends on 1 April 2027: names Graph's MailboxItem.Read.All and Exchange's full_access_as_app grants and the scoped roles to list instead", async () => {
    grantApplicationPermission(world.tenant.entra, world.tenant.retain, GRAPH_RESOURCE_APP_ID, "MailboxItem.Read.All");
    grantApplicationPermission(world.tenant.entra, world.tenant.retain, EXCHANGE_RESOURCE_APP_ID, "full_access_as_app");
    const problem = (await readiness()).ews.organization.problem ?? "";
    assert.match(problem, /Retain's app holds the application permissions .*MailboxItem\.Read\.All \(Microsoft Graph\).* consented in Entra/);
    assert.match(problem, /full_access_as_app \(Office 365 Exchange Online\)/);
    assert.match(
      problem,
      /grant the same through Exchange instead, within the scope: list ("Application MailboxItem\.Read" and "Application EWS\.AccessAsApp"|"Application EWS\.AccessAsApp" and "Application MailboxItem\.Read") in retain-m365:exchangeAccess\.roles \(the scoped roles for (MailboxItem\.Read\.All and full_access_as_app|full_access_as_app and MailboxItem\.Read\.All)\) and deploy\./,
    );
  });

  it("a grant whose scoped role writes (Graph's Mail.ReadWrite) is to be removed, not moved to a role the stack does not take", async () => {
    grantApplicationPermission(world.tenant.entra, world.tenant.retain, GRAPH_RESOURCE_APP_ID, "Mail.ReadWrite");
    const problem = (await readiness()).ews.organization.problem ?? "";
    assert.match(
      problem,
      /holds the application permission Mail\.ReadWrite \(Microsoft Graph\) consented in Entra.*: remove it from "Retain Archiving" \(Entra admin center, Enterprise applications, Permissions\), and keep Exchange's Application EWS\.AccessAsApp role; Mail\.ReadWrite \(scoped: Application Mail\.ReadWrite\) changes mailboxes, which an archiver never needs, so retain-m365:exchangeAccess\.roles takes no such role\./,
    );
  });

  it("names an Exchange role assignment to Retain's app without the scope, and a missing EWS role", async () => {
    const assignment = world.tenant.exchange.assignments.find((a) => a.Name === "Retain Application EWS.AccessAsApp")!;
    assignment.CustomResourceScope = "";
    assert.match((await readiness()).ews.organization.problem ?? "", /through the assignment "Retain Application EWS\.AccessAsApp" without a management scope/);
    world.tenant.exchange.assignments.splice(world.tenant.exchange.assignments.indexOf(assignment), 1);
    assert.match((await readiness()).ews.organization.problem ?? "", /Exchange gives Retain's app no Application EWS\.AccessAsApp role, so EWS refuses it/);
  });

  it("joins several problems into one string, one sentence each", async () => {
    world.tenant.exchange.organization = { EwsEnabled: true, EwsAllowedAppIDs: TEAMS };
    grantApplicationPermission(world.tenant.entra, world.tenant.retain, EXCHANGE_RESOURCE_APP_ID, "full_access_as_app");
    const problem = (await readiness()).ews.organization.problem ?? "";
    assert.match(problem, /none of them Retain's .*\. Retain's app holds the application permission full_access_as_app/);
  });
});

describe("readiness: Retain's application", () => {
  it("found by the stack's display name, or by --app-id without looking at app registrations", async () => {
    await readiness();
    assert.ok(graphPaths().includes("/applications"));
    world.graph.requests.length = 0;
    await readiness({ appId: RETAIN_APP_ID });
    assert.ok(!graphPaths().includes("/applications"), graphPaths().join(", "));
  });

  it("none or several of that name: exit 2 asking for --app-id", async () => {
    registerApp(world.tenant.entra, APP_NAME, "bbbbbbbb-0000-4000-8000-0000000000b1");
    let error = await rejection(readiness());
    assert.deepEqual(
      [(error as UserFacingError).exitCode, /2 applications are registered as "Retain Archiving".*--app-id/.test(error.message)],
      [ExitCode.invalidInput, true],
    );
    world.tenant.entra.applications.length = 0;
    error = await rejection(readiness());
    assert.equal((error as UserFacingError).exitCode, ExitCode.invalidInput);
    assert.match(error.message, /no application is registered as "Retain Archiving" in this tenant: name Retain's with --app-id/);
  });
});

describe("readiness: the mailboxes", () => {
  it("a scope group: its direct members, one reason each for EWS off, Kiosk only and no mailbox; nothing outside the group", async () => {
    const { mailboxes, recipients, groups } = world.tenant.exchange;
    mailboxes["ews-off@example.com"] = { EwsEnabled: false, exchangePlans: [EXCHANGE_PLAN_2] };
    mailboxes["kiosk@example.com"] = { EwsEnabled: null, exchangePlans: [EXCHANGE_KIOSK_PLAN] };
    mailboxes["kiosk-and-plan2@example.com"] = { EwsEnabled: null, exchangePlans: [EXCHANGE_KIOSK_PLAN, EXCHANGE_PLAN_2] };
    mailboxes["outside@example.com"] = { EwsEnabled: false, exchangePlans: [EXCHANGE_KIOSK_PLAN] };
    recipients["partner@partner.example"] = { RecipientTypeDetails: "MailUser" };
    groups[0]!.Members = [
      ...(groups[0]!.Members as string[]),
      "ews-off@example.com",
      "kiosk@example.com",
      "kiosk-and-plan2@example.com",
      "partner@partner.example",
    ];
    const report = await readiness();
    assert.deepEqual(
      report.problems.map((p) => [p.mailbox, p.reason]),
      [
        ["ews-off@example.com", "mailbox-ews-off"],
        ["kiosk@example.com", "frontline-licence"],
        ["partner@partner.example", "no-mailbox"],
      ],
    );
    assert.deepEqual(report.mailboxes, { inScope: 7, ready: 4, notReady: 3, preserved: null });
    assert.match(report.problems[0]!.detail, /Set-CASMailbox -Identity ews-off@example\.com -EwsEnabled \$true/);
    assert.match(report.problems[1]!.detail, /no EWS since 2026-10-01 \(MC1191578\)/);
  });

  it("a nested group's members are out of scope, with a notice naming the group", async () => {
    const { mailboxes, groups } = world.tenant.exchange;
    mailboxes["nested@example.com"] = { EwsEnabled: false };
    groups.push({ Name: "Sales", Identity: "Sales", GroupType: "Universal, SecurityEnabled", Members: ["nested@example.com"] });
    groups[0]!.Members = [...(groups[0]!.Members as string[]), "Sales"];
    const report = await readiness();
    assert.deepEqual([report.mailboxes.inScope, report.problems.length], [3, 0]);
    assert.ok(
      report.notices.some((n) => n.includes(`"${SCOPE_GROUP}" has the group "Sales" as a member`) && n.includes("direct members only")),
      report.notices.join("\n"),
    );
  });

  it("a scope group Exchange does not have is an organization problem, with nothing in scope", async () => {
    world.tenant.exchange.groups.length = 0;
    const report = await readiness();
    assert.equal(report.mailboxes.inScope, 0);
    assert.match(report.ews.organization.problem ?? "", /The scope group "Retain Archived Users" does not exist in Exchange/);
  });

  it("no scope group (allMailboxes: true, the admin's decision): every user mailbox (shared and room mailboxes are not people's), by UPN", async () => {
    world.tenant = deployedTenant({ scopeGroup: null });
    world.tenant.exchange.mailboxes["shared@example.com"] = { EwsEnabled: false, RecipientTypeDetails: "SharedMailbox" };
    world.tenant.exchange.mailboxes["off@example.com"] = { EwsEnabled: false };
    const report = await readiness({ access: { scopeGroup: undefined, allMailboxes: true } });
    assert.deepEqual(report.mailboxes, { inScope: 4, ready: 3, notReady: 1, preserved: null });
    assert.deepEqual(
      report.problems.map((p) => p.mailbox),
      ["off@example.com"],
    );
    assert.equal(report.ews.organization.problem, null, "without a scope group an unscoped assignment is the admin's decision");
    const listing = world.tenant.exchange.commands.find((c) => c.cmdlet === "Get-Mailbox");
    assert.deepEqual(listing?.parameters, { RecipientTypeDetails: "UserMailbox", ResultSize: "Unlimited" });
  });

  it("reads 2,500 mailboxes in pages of 1000 with a few listings, never one request per mailbox", async () => {
    world.tenant = deployedTenant({ mailboxes: 2500 });
    for (const n of [7, 1200, 2499]) world.tenant.exchange.mailboxes[`user${n}@example.com`]!.EwsEnabled = false;
    world.tenant.exchange.mailboxes["user2000@example.com"]!.exchangePlans = [EXCHANGE_KIOSK_PLAN];
    const report = await readiness();
    assert.deepEqual(report.mailboxes, { inScope: 2500, ready: 2496, notReady: 4, preserved: null });
    assert.deepEqual(cmdlets().filter((c) => c === "Get-DistributionGroupMember").length, 3, "2,500 members in three pages of 1000");
    assert.ok(cmdlets().length <= 7, cmdlets().join(", "));
    assert.ok(graphPaths().length <= 6, graphPaths().join(", "));
  });
});

describe("readiness: refusals and outages", () => {
  it("Exchange without the View-Only roles (the cmdlet is not in the session): exit 3 naming the role to add", async () => {
    world.exchangeFault = (cmdlet) =>
      /^Get-(DistributionGroupMember|CASMailbox|Mailbox)$/.test(cmdlet)
        ? exchangeError(400, "System.Management.Automation.CommandNotFoundException", `The term '${cmdlet}' is not recognized as a name of a cmdlet.`)
        : undefined;
    const error = await rejection(readiness());
    assert.equal((error as UserFacingError).exitCode, ExitCode.auth);
    assert.match(error.message, /^Exchange Online refused Get-/);
    assert.match(
      error.message,
      /Exchange\.ManageAsApp .*Global Reader \(or Exchange's View-Only Organization Management role group\), for the identity running readiness/,
    );
  });

  it("a Graph permission missing: exit 3 naming it", async () => {
    world.tenant.entra.forbidden = ["/users"];
    const error = await rejection(readiness());
    assert.equal((error as UserFacingError).exitCode, ExitCode.auth);
    assert.match(error.message, /needs the Graph application permission User\.Read\.All\.$/);
    world.tenant.entra.forbidden = ["/applications"];
    assert.match((await rejection(readiness())).message, /needs the Graph application permission Application\.Read\.All\.$/);
  });

  it("Exchange down through every retry: exit 4", async () => {
    let answered = 0;
    world.exchangeFault = () => (answered++, { ...exchangeError(503, "System.Exception", "Service unavailable"), headers: { "retry-after": "0" } });
    const error = await rejection(readiness());
    assert.equal((error as UserFacingError).exitCode, ExitCode.remoteService);
    assert.match(error.message, /^Exchange Online did not answer Get-OrganizationConfig -RetrieveEwsOperationAccessPolicy: .*HTTP 503/);
    assert.ok(answered >= 6, `tried ${answered} times`);
  });
});

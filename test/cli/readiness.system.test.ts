import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { stringify } from "yaml";
import { ewsShutdown } from "../../m365/ews-retirement";
import { EXCHANGE_RESOURCE_APP_ID, grantApplicationPermission } from "../../emulators/entra-readiness";
import { exchangeError, exchangeWrites } from "../../emulators/exchange";
import { graphWrites } from "../../emulators/graph";
import { EXCHANGE_KIOSK_PLAN } from "../../emulators/readiness-tenant";
import { runMain } from "../support/contract";
import { validRawValues } from "../support/configs";
import { useReadinessEmulator } from "../support/readiness";

// `retain-m365 readiness` end to end: the real CLI against loopback Entra, Graph and Exchange.

const world = useReadinessEmulator();
const stacksDir = mkdtempSync(path.join(tmpdir(), "retain-readiness-"));
const stackFile = path.join(stacksDir, "Pulumi.contoso.yaml");
writeFileSync(stackFile, stringify({ config: validRawValues() }));

interface Report {
  stack: string;
  ews: {
    shutdown: string | null;
    daysLeft: number | null;
    organization: { ewsEnabled: boolean | null; retainListed: boolean; allowListSize: number; problem: string | null };
  };
  mailboxes: { inScope: number; ready: number; notReady: number; preserved: number | null };
  problems: { mailbox: string; reason: string; detail: string }[];
  notices: string[];
}

async function readiness(extra: string[] = []) {
  const endpoints = ["--exchange-endpoint", world.graph.url, "--graph-endpoint", world.graph.url, "--authority-host", world.graph.url];
  const result = await runMain(["readiness", "--config-file", stackFile, ...endpoints, ...extra]);
  assert.deepEqual(exchangeWrites(world.tenant.exchange), [], "readiness ran a cmdlet other than Get-");
  assert.deepEqual(graphWrites(world.graph), [], "readiness wrote to Graph");
  return { code: result.code, stdout: result.stdout, stderr: result.stderr };
}

async function readinessJson(): Promise<{ code: number | null; report: Report; stderr: string }> {
  const { code, stdout, stderr } = await readiness(["--json"]);
  if (!stdout) assert.fail(`readiness printed nothing (exit ${String(code)}): ${stderr}`);
  return { code, report: JSON.parse(stdout) as Report, stderr };
}

describe("retain-m365 readiness", () => {
  it("a scope group with a mailbox with EWS off, a Kiosk-only one and a member without a mailbox: exactly those three problems, exit 6, nothing written", async () => {
    const { mailboxes, recipients, groups } = world.tenant.exchange;
    mailboxes["ews-off@example.com"] = { EwsEnabled: false };
    mailboxes["kiosk@example.com"] = { EwsEnabled: null, exchangePlans: [EXCHANGE_KIOSK_PLAN] };
    recipients["contact@partner.example"] = { RecipientTypeDetails: "MailContact" };
    groups[0]!.Members = [...(groups[0]!.Members as string[]), "ews-off@example.com", "kiosk@example.com", "contact@partner.example"];
    const { code, report, stderr } = await readinessJson();
    assert.equal(code, 6, stderr);
    assert.deepEqual(
      report.problems.map((p) => [p.mailbox, p.reason]),
      [
        ["contact@partner.example", "no-mailbox"],
        ["ews-off@example.com", "mailbox-ews-off"],
        ["kiosk@example.com", "frontline-licence"],
      ],
    );
    assert.deepEqual(report.mailboxes, { inScope: 6, ready: 3, notReady: 3, preserved: null });
    assert.equal(report.ews.organization.problem, null);
    assert.match(stderr, /^retain-m365: Retain cannot archive every mailbox it should through EWS today: 3 of 6 mailboxes in scope are not ready/);
  });

  it("a clean tenant: exit 0, and the text says so", async () => {
    const { code, stdout, stderr } = await readiness();
    assert.equal(code, 0, stderr);
    assert.match(stdout, /^organization: EwsEnabled True, allow list of 2 \(Retain listed\)$/m);
    assert.match(stdout, /^mailboxes: 3 in scope, 3 ready, 0 not ready$/m);
    assert.doesNotMatch(stdout, /^problem/m);
  });

  it("names an unscoped full_access_as_app grant to Retain's app (exit 6)", async () => {
    grantApplicationPermission(world.tenant.entra, world.tenant.retain, EXCHANGE_RESOURCE_APP_ID, "full_access_as_app");
    const { code, report } = await readinessJson();
    assert.equal(code, 6);
    assert.match(
      report.ews.organization.problem ?? "",
      /full_access_as_app \(Office 365 Exchange Online\) consented in Entra, which reaches every mailbox of the organization past the management scope/,
    );
    assert.equal(report.mailboxes.notReady, 0);
  });

  it("--json: exactly the contract's shape, with EWS's end (date, days left) and its notice", async () => {
    const { report } = await readinessJson();
    const end = ewsShutdown("global", new Date());
    assert.deepEqual(Object.keys(report), ["stack", "ews", "mailboxes", "problems", "notices"]);
    assert.deepEqual(Object.keys(report.ews), ["shutdown", "daysLeft", "organization"]);
    assert.deepEqual(Object.keys(report.ews.organization), ["ewsEnabled", "retainListed", "allowListSize", "problem"]);
    assert.deepEqual(Object.keys(report.mailboxes), ["inScope", "ready", "notReady", "preserved"]);
    assert.deepEqual([report.stack, report.ews.shutdown, report.ews.daysLeft], ["contoso", "2027-04-01", end.daysLeft]);
    assert.ok(report.notices.includes(end.notice), report.notices.join("\n"));
    assert.match(end.notice, new RegExp(`2027-04-01 .*in ${end.daysLeft} days`));
  });

  it("an identity without Exchange's view-only roles: exit 3 naming the role to add", async () => {
    world.exchangeFault = (cmdlet) =>
      cmdlet === "Get-DistributionGroupMember"
        ? exchangeError(400, "System.Management.Automation.CommandNotFoundException", `The term '${cmdlet}' is not recognized as a name of a cmdlet.`)
        : undefined;
    const { code, stderr } = await readiness();
    assert.equal(code, 3);
    assert.match(
      stderr,
      /^retain-m365: Exchange Online refused Get-DistributionGroupMember -Identity "Retain Archived Users" -ResultSize "Unlimited" \(.*CommandNotFoundException.*\)\. Reading Exchange needs .*Global Reader \(or Exchange's View-Only Organization Management role group\)/,
    );
  });

  it("Exchange answering 5xx through every retry: exit 4", async () => {
    world.exchangeFault = () => ({ ...exchangeError(503, "System.Exception", "Service unavailable"), headers: { "retry-after": "0" } });
    const { code, stderr } = await readiness();
    assert.equal(code, 4, stderr);
    assert.match(stderr, /^retain-m365: Exchange Online did not answer Get-OrganizationConfig/);
  });

  it("invalid input: exit 2 before any request", async () => {
    assert.equal((await runMain(["readiness"])).code, 2);
    const badId = await runMain(["readiness", "--config-file", stackFile, "--app-id", "not-a-guid"]);
    assert.equal(badId.code, 2);
    assert.match(badId.stderr, /--app-id must be an application \(client\) id, a GUID/);
    assert.equal(world.graph.requests.length, 0);
  });
});

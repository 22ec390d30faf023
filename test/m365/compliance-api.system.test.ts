import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CLOUDS } from "../../m365/clouds";
import { complianceClient, regionalComplianceBase } from "../../m365/compliance-api";
import { complianceRegionalDomain, endpointProblem } from "../../m365/endpoints";
import { isNotFound, type ExchangeCommandError } from "../../m365/exchange-admin-api";
import { sendWithRetry } from "../../m365/rest";
import { retentionPolicy, type ComplianceState } from "../../emulators/compliance";
import type { GraphEmulator } from "../../emulators/graph";
import { rejection, TENANT_ID } from "../support/deployer";
import { useComplianceEmulator } from "../support/compliance";

describe("Security & Compliance's hosts (m365/clouds.ts, m365/endpoints.ts)", () => {
  it("each cloud's endpoint is a compliance endpoint; its regional hosts are one label under its domain", () => {
    for (const cloud of Object.values(CLOUDS)) assert.equal(endpointProblem(cloud.compliance, "compliance"), undefined, cloud.compliance);
    assert.equal(complianceRegionalDomain("l5.ps.compliance.protection.office365.us"), "ps.compliance.protection.office365.us");
    for (const host of [
      "nam12b.ps.compliance.protection.outlook.com",
      "eur03b.ps.compliance.protection.outlook.com",
      "x1.ps.compliance.protection.partner.outlook.cn",
    ]) {
      assert.equal(endpointProblem(`https://${host}`, "compliance"), undefined, host);
    }
  });

  it("refuses anything else, naming the hosts it takes", () => {
    for (const url of [
      "https://a.b.ps.compliance.protection.outlook.com",
      "https://ps.compliance.protection.outlook.com.attacker.example",
      "https://outlook.office365.com",
      "http://nam12b.ps.compliance.protection.outlook.com",
    ]) {
      assert.match(endpointProblem(url, "compliance") ?? "accepted", /must be/, url);
    }
    assert.match(
      endpointProblem("https://compliance.example", "compliance") ?? "",
      /a Security & Compliance host \(ps\.compliance\.protection\.outlook\.com, .*<name>\.ps\.compliance/,
    );
    assert.match(endpointProblem(CLOUDS.global.compliance, "exchange") ?? "", /must be an Exchange Online host/);
  });

  it("the regional host is the first label of the redirect's host under the endpoint's domain, without its port (CIPP's New-ExoRequest)", () => {
    const global = CLOUDS.global.compliance;
    assert.equal(
      regionalComplianceBase(global, "https://nam12b.ps.compliance.protection.outlook.com:446/adminapi/beta/t/EXOBanner"),
      "https://nam12b.ps.compliance.protection.outlook.com",
    );
    assert.equal(regionalComplianceBase(global, "https://eur03b.admin.protection.outlook.com:446/x"), "https://eur03b.ps.compliance.protection.outlook.com");
    assert.equal(
      regionalComplianceBase(CLOUDS.usgovdod.compliance, "https://dod01.anything.office365.us/x"),
      "https://dod01.ps.compliance.protection.office365.us",
    );
    assert.equal(regionalComplianceBase(global, undefined), undefined);
    assert.equal(regionalComplianceBase(global, "https://127.0.0.1:8443/x"), undefined, "a Microsoft endpoint is never sent to this machine");
    assert.equal(regionalComplianceBase("https://127.0.0.1:9443", "https://127.0.0.1:9443/adminapi/x"), "https://127.0.0.1:9443");
  });
});

describe("the Security & Compliance client against the emulator", () => {
  let graph: GraphEmulator;
  let compliance: GraphEmulator;
  let state: ComplianceState;
  useComplianceEmulator(["Global Reader"], (emulators) => ({ graph, compliance, state } = emulators));

  it("asks the regional host once, then runs each cmdlet there with the endpoint's audience", async () => {
    state.policies.push(retentionPolicy("Seven years", { ExchangeLocation: ["All"] }));
    const client = complianceClient({ tenantId: TENANT_ID, complianceEndpoint: compliance.url });
    const [policy] = await client.invoke("Get-RetentionCompliancePolicy", { Identity: "Seven years", DistributionDetail: true });
    assert.deepEqual(policy?.ExchangeLocation, [{ Name: "All", DisplayName: "All" }]);
    await client.invoke("Get-RetentionComplianceRule", {});
    assert.deepEqual(
      compliance.requests.map((r) => `${r.method} ${r.path.split("/").pop()}`),
      ["GET EXOBanner('AutogenSession')", "POST InvokeCommand", "POST InvokeCommand"],
    );
    const scopes = compliance.requests.map((r) => graph.tokenClaims.get(String(r.headers.authorization).slice("Bearer ".length))?.scope);
    assert.deepEqual(new Set(scopes), new Set([`${compliance.url}/.default`]));
  });

  it("a token for another audience is refused", async () => {
    const answer = await sendWithRetry({
      tenantId: TENANT_ID,
      method: "POST",
      url: `${compliance.url}/adminapi/beta/${TENANT_ID}/InvokeCommand`,
      scope: `${graph.url}/.default`,
      body: { CmdletInput: { CmdletName: "Get-RetentionCompliancePolicy", Parameters: {} } },
    });
    assert.equal(answer.status, 401);
  });

  it("an unknown policy is not found; a parameter the emulator does not implement is refused, not ignored", async () => {
    const client = complianceClient({ tenantId: TENANT_ID, complianceEndpoint: compliance.url });
    assert.ok(isNotFound(await rejection(client.invoke("Get-RetentionCompliancePolicy", { Identity: "nothing" }))));
    const refused = (await rejection(client.invoke("Get-RetentionCompliancePolicy", { ErrorPolicyOnly: true }))) as ExchangeCommandError;
    assert.match(refused.message, /^Security & Compliance refused Get-RetentionCompliancePolicy -ErrorPolicyOnly .*not emulated/);
  });

  it("an app without a Security & Compliance role is refused, HTTP 403; a reader's write is not in its session", async () => {
    const client = complianceClient({ tenantId: TENANT_ID, complianceEndpoint: compliance.url });
    const write = (await rejection(client.invoke("New-RetentionCompliancePolicy", { Name: "x", ExchangeLocation: "All" }))) as ExchangeCommandError;
    assert.equal(write.exceptionType, "CommandNotFoundException");
    state.roles = {};
    const read = (await rejection(client.invoke("Get-RetentionCompliancePolicy", {}))) as ExchangeCommandError;
    assert.equal(read.status, 403);
  });
});

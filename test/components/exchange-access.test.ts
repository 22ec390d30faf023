import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { parse, stringify } from "yaml";
import { checkExchangeAccessArgs, type ExchangeAccess } from "../../components/exchange";
import { TEAMS_APP_ID } from "../../m365/exchange-facts";
import type { Plan } from "../../program/plan";
import { startMockRuntime, type MockRuntime } from "../../program/mock-runtime";
import { REPO_ROOT } from "../support/cli";
import { runMain } from "../support/contract";
import { resourceNamed } from "../support/resources";
import { fakeOutputs } from "../support/fake-tenant";

const TENANT = "00000000-0000-4000-8000-000000000001";
let runtime: MockRuntime;
let Access: typeof ExchangeAccess;

before(async () => {
  runtime = await startMockRuntime({ project: "retain-m365", stack: "test", preview: false, outputs: fakeOutputs });
  Access = (await import("../../components/exchange")).ExchangeAccess;
});
after(() => runtime.stop());
const byName = (name: string) => resourceNamed(runtime.resources, name);
const app = { clientId: "app-client-id", servicePrincipalObjectId: "app-sp-object-id", displayName: "Retain Archiving" };

describe("ExchangeAccess (mock runtime)", () => {
  it("application-rbac: service principal, scope on the group, one assignment per role, EWS allow list", async () => {
    new Access("rbac", {
      tenantId: TENANT,
      mode: "application-rbac",
      roles: ["Application EWS.AccessAsApp", "Application Mail.Read"],
      scopeGroup: "Archived",
      ewsAllowList: { enforce: true, alsoAllow: [TEAMS_APP_ID] },
      app,
      workerUserPrincipalName: "RetainWorker@example.com",
    });
    await runtime.settle();
    const component = byName("rbac");
    assert.equal(component.type, "retain-m365:exchange:ExchangeAccess");
    assert.deepEqual(
      runtime.resources
        .filter((r) => r.parent === component.urn)
        .map((r) => `${r.type} ${r.name}`)
        .sort(),
      [
        "pulumi-nodejs:dynamic/exchange:EwsAllowListEntry rbac-ews-allow-list",
        "pulumi-nodejs:dynamic/exchange:ManagementScope rbac-scope",
        "pulumi-nodejs:dynamic/exchange:RoleAssignment rbac-role-EWS.AccessAsApp",
        "pulumi-nodejs:dynamic/exchange:RoleAssignment rbac-role-Mail.Read",
        "pulumi-nodejs:dynamic/exchange:SecurityGroup rbac-scope-group",
        "pulumi-nodejs:dynamic/exchange:ServicePrincipal rbac-service-principal",
      ],
    );
    const sp = byName("rbac-service-principal").inputs;
    assert.deepEqual([sp.appId, sp.objectId, sp.exchangeEndpoint], ["app-client-id", "app-sp-object-id", "https://outlook.office365.com"]);
    assert.equal(byName("rbac-scope").inputs.recipientRestrictionFilter, "MemberOfGroup -eq 'CN=Archived,DC=test'");
    const ews = byName("rbac-role-EWS.AccessAsApp").inputs;
    assert.deepEqual(
      { name: ews.name, role: ews.role, app: ews.app, scope: ews.customResourceScope, user: ews.user },
      { name: "Retain Application EWS.AccessAsApp", role: "Application EWS.AccessAsApp", app: "app-sp-object-id", scope: "Archived (Retain)", user: undefined },
    );
    const allowList = byName("rbac-ews-allow-list").inputs;
    assert.deepEqual([allowList.appId, allowList.alsoAllow, allowList.enforce, allowList.enforceSetting], ["app-client-id", [TEAMS_APP_ID], true, "enforce"]);
  });

  it("application-rbac with allMailboxes: true: no scope, and each assignment records the decision the policy pack looks for", async () => {
    new Access("everyone", {
      tenantId: TENANT,
      mode: "application-rbac",
      roles: ["Application EWS.AccessAsApp"],
      allMailboxes: true,
      app,
      workerUserPrincipalName: "RetainWorker@example.com",
    });
    await runtime.settle();
    const children = runtime.resources.filter((r) => r.parent === byName("everyone").urn);
    assert.deepEqual(children.map((c) => c.name).sort(), ["everyone-role-EWS.AccessAsApp", "everyone-service-principal"]);
    const assignment = byName("everyone-role-EWS.AccessAsApp").inputs;
    assert.deepEqual([assignment.customResourceScope, assignment.allMailboxes], [undefined, true]);
    assert.equal(byName("rbac-role-EWS.AccessAsApp").inputs.allMailboxes, undefined, "a scoped assignment claims no such decision");
  });

  it("application-impersonation: one ApplicationImpersonation assignment to the worker, nothing else", async () => {
    new Access("legacy", { tenantId: TENANT, mode: "application-impersonation", app, workerUserPrincipalName: "RetainWorker@example.com" });
    await runtime.settle();
    const children = runtime.resources.filter((r) => r.parent === byName("legacy").urn);
    assert.deepEqual(
      children.map((c) => c.name),
      ["legacy-impersonation"],
    );
    assert.deepEqual(
      [children[0]?.inputs.role, children[0]?.inputs.user, children[0]?.inputs.app],
      ["ApplicationImpersonation", "RetainWorker@example.com", undefined],
    );
  });

  it("checks its arguments without the runtime", () => {
    const base = { tenantId: TENANT, app, workerUserPrincipalName: "w@example.com" };
    assert.deepEqual(checkExchangeAccessArgs({ ...base, mode: "application-rbac", roles: [], scopeGroup: "Retain Archived Users" }), [
      "application-rbac needs at least one role",
    ]);
    const noDecision = /^application-rbac needs exactly one of scopeGroup .* and allMailboxes: true/;
    assert.match(checkExchangeAccessArgs({ ...base, mode: "application-rbac", roles: ["Application EWS.AccessAsApp"] }).join("\n"), noDecision);
    assert.match(
      checkExchangeAccessArgs({ ...base, mode: "application-rbac", roles: ["Application EWS.AccessAsApp"], scopeGroup: "G", allMailboxes: true }).join("\n"),
      noDecision,
    );
    assert.deepEqual(checkExchangeAccessArgs({ ...base, mode: "application-rbac", roles: ["Application EWS.AccessAsApp"], allMailboxes: true }), []);
    assert.deepEqual(checkExchangeAccessArgs({ ...base, mode: "application-impersonation", allMailboxes: true }), [
      "roles, scopeGroup and allMailboxes apply only to application-rbac",
    ]);
  });
});

describe("plan: Exchange access", () => {
  const ofType = (plan: Plan, type: string) => plan.steps.filter((s) => s.newState.type === type).map((s) => s.newState.inputs);

  it("application-rbac (the example): service principal and scope with Entra's ids [unknown], one assignment per role", async () => {
    const result = await runMain(["plan", "--stack", "example", "--json"]);
    assert.equal(result.code, 0, result.stderr);
    const plan = JSON.parse(result.stdout) as Plan;
    const [sp] = ofType(plan, "pulumi-nodejs:dynamic/exchange:ServicePrincipal");
    assert.deepEqual([sp?.appId, sp?.objectId], ["[unknown]", "[unknown]"]);
    assert.equal(ofType(plan, "pulumi-nodejs:dynamic/exchange:ManagementScope").length, 1);
    const assignments = ofType(plan, "pulumi-nodejs:dynamic/exchange:RoleAssignment");
    assert.deepEqual(
      assignments.map((a) => [a.role, a.app, a.customResourceScope]),
      [["Application EWS.AccessAsApp", "[unknown]", "Retain Archived Users (Retain)"]],
    );
  });

  it("application-impersonation: one assignment of ApplicationImpersonation to the worker's UPN, with a warning", async () => {
    const config = parse(readFileSync(path.join(REPO_ROOT, "stacks", "Pulumi.example.yaml"), "utf8")) as { config: Record<string, unknown> };
    config.config["retain-m365:exchangeAccess"] = { mode: "application-impersonation", ewsAllowList: false };
    const file = path.join(mkdtempSync(path.join(tmpdir(), "retain-legacy-")), "Pulumi.legacy.yaml");
    writeFileSync(file, stringify(config));
    const result = await runMain(["plan", "--config-file", file, "--json"]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /warning: retain-m365:exchangeAccess\.mode: application-impersonation .*removed in February 2025/);
    const plan = JSON.parse(result.stdout) as Plan;
    const assignments = ofType(plan, "pulumi-nodejs:dynamic/exchange:RoleAssignment");
    assert.deepEqual(
      assignments.map((a) => [a.role, a.user]),
      [["ApplicationImpersonation", "RetainWorker@example.com"]],
    );
    assert.equal(ofType(plan, "pulumi-nodejs:dynamic/exchange:ServicePrincipal").length, 0);
  });
});

import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { before, describe, it } from "node:test";
import { parse, stringify } from "yaml";
import type { Plan } from "../../program/plan";
import { REPO_ROOT } from "../support/cli";
import { runMain, type MainResult } from "../support/contract";
import { validRawValues } from "../support/configs";
import { keySchemas } from "../../config/schema";

const exampleFile = path.join(REPO_ROOT, "stacks", "Pulumi.example.yaml");
const exampleCiphertext = /secure: (\S+)/.exec(readFileSync(exampleFile, "utf8"))?.[1] ?? "";
const tmp = mkdtempSync(path.join(tmpdir(), "retain-plan-"));

function writeStackFile(name: string, config: Record<string, unknown>): string {
  const file = path.join(tmp, name);
  writeFileSync(file, stringify({ config }));
  return file;
}
const noStackTrace = (r: MainResult) => assert.doesNotMatch(r.stderr + r.stdout, /^\s+at .+\(.+:\d+:\d+\)$/m);

describe("plan --stack example --json", () => {
  let result: MainResult;
  let plan: Plan;
  before(async () => {
    result = await runMain(["plan", "--stack", "example", "--json"]);
    plan = JSON.parse(result.stdout) as Plan;
  });

  it("plans without a warning", () => {
    assert.equal(result.stderr, "");
    assert.deepEqual(plan.warnings, []);
  });

  it("the example uses every configuration key, and each mapping key's every field (or shows it in a comment)", () => {
    const text = readFileSync(exampleFile, "utf8");
    const config = (parse(text) as { config: Record<string, unknown> }).config;
    assert.deepEqual(
      Object.keys(keySchemas).filter((key) => !(key in config)),
      [],
    );
    const fieldsOf = (schema: unknown): string[] => {
      const shape = (schema as { shape?: Record<string, unknown>; def?: { innerType?: unknown; in?: unknown; out?: unknown; element?: unknown } }) ?? {};
      if (shape.shape) return Object.keys(shape.shape);
      const inner = shape.def?.innerType ?? shape.def?.in ?? shape.def?.element;
      return inner ? fieldsOf(inner) : [];
    };
    for (const [key, schema] of Object.entries(keySchemas)) {
      for (const field of fieldsOf(schema)) assert.match(text, new RegExp(`^\\s*#?.*\\b${field}:`, "m"), `${key}.${field} is not in the example`);
    }
  });

  it("exits 0 with one JSON object shaped like pulumi preview --json", () => {
    assert.equal(result.code, 0, result.stderr);
    assert.equal(plan.stack, "example");
    assert.ok(Array.isArray(plan.steps) && plan.steps.length > 0);
    assert.ok(Array.isArray(plan.hooks));
    assert.equal(plan.changeSummary.create, plan.steps.length);
    for (const step of plan.steps) {
      assert.equal(step.op, "create");
      assert.match(step.urn, /^urn:pulumi:example::retain-m365::/);
      assert.equal(typeof step.newState.type, "string");
      assert.equal(typeof step.newState.inputs, "object");
    }
  });

  it("declares the autodiscover CNAME and SRV for every domain of the stack", () => {
    const records = plan.steps.filter((s) => s.newState.type === "cloudflare:index/dnsRecord:DnsRecord").map((s) => s.newState.inputs);
    for (const domain of ["example.com", "example.net"]) {
      const cname = records.find((r) => r.name === `autodiscover.${domain}`);
      assert.ok(cname, `no CNAME for ${domain}`);
      assert.equal(cname.type, "CNAME");
      assert.equal(cname.content, "autodiscover.outlook.com");
      assert.equal(cname.proxied, false);
      assert.equal(cname.ttl, 3600);
      const srv = records.find((r) => r.name === `_autodiscover._tcp.${domain}`);
      assert.ok(srv, `no SRV for ${domain}`);
      assert.equal(srv.type, "SRV");
      assert.deepEqual(srv.data, { priority: 0, weight: 0, port: 443, target: "autodiscover.outlook.com" });
    }
  });

  it("shows Microsoft's record set for example.com with deploy-time values as [unknown]", () => {
    const mx = plan.steps.find((s) => s.newState.inputs.type === "MX");
    assert.ok(mx);
    assert.equal(mx.newState.inputs.name, "example.com");
    assert.equal(mx.newState.inputs.content, "[unknown]");
    assert.ok(!plan.steps.some((s) => s.newState.inputs.type === "MX" && s.newState.inputs.name === "example.net"));
  });

  it("never prints the Cloudflare token (nor its ciphertext)", () => {
    assert.ok(exampleCiphertext.length > 10);
    assert.ok(!result.stdout.includes(exampleCiphertext) && !result.stderr.includes(exampleCiphertext));
    assert.ok(!result.stdout.includes(exampleCiphertext.split(":")[2] ?? "never"));
  });

  it("is stable from run to run", async () => {
    const again = await runMain(["plan", "--stack", "example", "--json"]);
    assert.equal(again.stdout, result.stdout);
  });
});

describe("plan --stack example --json: identities", () => {
  let plan: Plan;
  let text: string;
  before(async () => {
    const result = await runMain(["plan", "--stack", "example", "--json"]);
    assert.equal(result.code, 0, result.stderr);
    text = result.stdout + result.stderr;
    plan = JSON.parse(result.stdout) as Plan;
  });
  const ofType = (type: string) => plan.steps.filter((s) => s.newState.type === type);

  it("declares two protected users whose passwords never expire and print as [secret]", () => {
    const users = ofType("azuread:index/user:User");
    assert.deepEqual(users.map((u) => u.newState.inputs.userPrincipalName).sort(), ["RetainWorker@example.com", "retain-sync@example.com"]);
    for (const user of users) {
      assert.equal(user.newState.inputs.disablePasswordExpiration, true);
      assert.equal(user.newState.inputs.forcePasswordChange, false);
      assert.equal(user.newState.inputs.password, "[secret]");
      assert.equal(user.newState.protect, true);
    }
  });

  it("declares the sync admin with sign-in blocked (accountEnabled false) and the worker able to sign in, by default", () => {
    const [admin] = ofType("azuread:index/user:User").filter((u) => u.newState.inputs.userPrincipalName === "retain-sync@example.com");
    const [worker] = ofType("azuread:index/user:User").filter((u) => u.newState.inputs.userPrincipalName === "RetainWorker@example.com");
    assert.equal(admin?.newState.inputs.accountEnabled, false);
    assert.equal(worker?.newState.inputs.accountEnabled, true);
  });

  it("assigns the admin Global Reader by template id and licenses the worker", () => {
    const [role] = ofType("azuread:index/directoryRoleAssignment:DirectoryRoleAssignment");
    assert.equal(role?.newState.inputs.roleId, "f2ef992c-3afb-46b9-b7cf-a126ee74c451");
    assert.equal(role?.newState.inputs.principalObjectId, "[unknown]");
    const [licence] = ofType("pulumi-nodejs:dynamic/identity:MailboxLicense");
    assert.equal(licence?.newState.inputs.skuPartNumber, "EXCHANGESTANDARD");
    assert.equal(licence?.newState.inputs.userId, "[unknown]");
    assert.equal(licence?.newState.inputs.__provider, undefined, "no serialized provider code in the plan");
  });

  it("declares the application, its service principal and the two Graph permissions", () => {
    assert.equal(ofType("azuread:index/application:Application").length, 1);
    assert.equal(ofType("azuread:index/servicePrincipal:ServicePrincipal").length, 1);
    const grants = ofType("azuread:index/appRoleAssignment:AppRoleAssignment").map((s) => s.newState.inputs);
    assert.deepEqual(grants.map((g) => g.appRoleId).sort(), ["98830695-27a2-44f7-8c18-0c3ebc9698f6", "df021288-bdef-4463-88db-98f22de89214"]);
    for (const grant of grants) assert.equal(grant.resourceObjectId, "[unknown]", "Graph's service principal is looked up at deploy time");
    assert.equal(ofType("azuread:index/applicationPassword:ApplicationPassword").length, 1);
    const secret = ofType("azuread:index/applicationPassword:ApplicationPassword")[0]!.newState.inputs;
    assert.equal(secret.endDate, "[unknown]", "the end date counts from when the secret is made, at deploy time");
    assert.equal(secret.endDateRelative, undefined, "not the provider's deprecated endDateRelative");
  });

  it("lists the first-sync hook, bound to the client secret that is created after both Graph permissions", () => {
    const secret = plan.steps.find((s) => s.newState.type === "azuread:index/applicationPassword:ApplicationPassword");
    assert.ok(secret);
    assert.deepEqual(plan.hooks, [{ name: "example-first-sync", event: "afterCreate", resource: secret.urn }]);
  });

  it("contains no password, secret or token value", () => {
    assert.doesNotMatch(text, /"(password|value|clientSecret|result)": "(?!\[secret\]|\[unknown\])/);
  });
});

describe("plan: the first-sync hook only where it can run", () => {
  const planWith = async (change: (config: Record<string, unknown>) => void): Promise<Plan> => {
    const config = (parse(readFileSync(exampleFile, "utf8")) as { config: Record<string, unknown> }).config;
    change(config);
    const result = await runMain(["plan", "--config-file", writeStackFile("Pulumi.hooks.yaml", config), "--json"]);
    assert.equal(result.code, 0, result.stderr);
    return JSON.parse(result.stdout) as Plan;
  };

  it("none when runAfterFirstDeploy is off", async () => {
    assert.deepEqual((await planWith((c) => (c["retain-m365:directorySync"] = { runAfterFirstDeploy: false }))).hooks, []);
  });

  it("none with a certificate credential, whose private key the deployment never sees", async () => {
    const certificate = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    assert.deepEqual((await planWith((c) => (c["retain-m365:application"] = { credential: { type: "certificate", certificate } }))).hooks, []);
  });
});

describe("plan: the sync admin's sign-in", () => {
  it("lets the admin sign in only with retain-m365:adminUser.signIn: true", async () => {
    const config = (parse(readFileSync(exampleFile, "utf8")) as { config: Record<string, unknown> }).config;
    config["retain-m365:adminUser"] = { ...(config["retain-m365:adminUser"] as Record<string, unknown>), signIn: true };
    const result = await runMain(["plan", "--config-file", writeStackFile("Pulumi.signin.yaml", config), "--json"]);
    assert.equal(result.code, 0, result.stderr);
    const users = (JSON.parse(result.stdout) as Plan).steps.filter((s) => s.newState.type === "azuread:index/user:User");
    assert.deepEqual(users.map((u) => [u.newState.inputs.userPrincipalName, u.newState.inputs.accountEnabled]).sort(), [
      ["RetainWorker@example.com", true],
      ["retain-sync@example.com", true],
    ]);
  });
});

describe("plan: who Retain's app reaches", () => {
  const exampleConfig = () => (parse(readFileSync(exampleFile, "utf8")) as { config: Record<string, unknown> }).config;

  it("exits 2 naming retain-m365:exchangeAccess.scopeGroup when the stack records no scope decision", async () => {
    const config = exampleConfig();
    config["retain-m365:exchangeAccess"] = { mode: "application-rbac" };
    const result = await runMain(["plan", "--config-file", writeStackFile("Pulumi.unscoped.yaml", config), "--json"]);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /retain-m365:exchangeAccess\.scopeGroup: is required with mode application-rbac/);
    assert.match(result.stderr, /retain-m365:exchangeAccess\.allMailboxes: true/);
    noStackTrace(result);
  });

  it("with allMailboxes: true, declares no scope and records the decision on each role assignment", async () => {
    const config = exampleConfig();
    config["retain-m365:exchangeAccess"] = { mode: "application-rbac", allMailboxes: true };
    const result = await runMain(["plan", "--config-file", writeStackFile("Pulumi.everyone.yaml", config), "--json"]);
    assert.equal(result.code, 0, result.stderr);
    const steps = (JSON.parse(result.stdout) as Plan).steps;
    assert.equal(steps.filter((s) => s.newState.type === "pulumi-nodejs:dynamic/exchange:ManagementScope").length, 0);
    const assignments = steps.filter((s) => s.newState.type === "pulumi-nodejs:dynamic/exchange:RoleAssignment").map((s) => s.newState.inputs);
    assert.equal(assignments.length, 1);
    assert.equal(assignments[0]?.allMailboxes, true);
    assert.equal(assignments[0]?.customResourceScope, undefined);
  });
});

describe("plan: a Graph-ready role set", () => {
  it("plans one assignment per role, MailboxFolder.Read and MailboxItem.Read included, each in the stack's management scope", async () => {
    const config = (parse(readFileSync(exampleFile, "utf8")) as { config: Record<string, unknown> }).config;
    const roles = ["Application EWS.AccessAsApp", "Application MailboxFolder.Read", "Application MailboxItem.Read", "Application MailboxItem.Export"];
    config["retain-m365:exchangeAccess"] = { ...(config["retain-m365:exchangeAccess"] as object), roles };
    const result = await runMain(["plan", "--config-file", writeStackFile("Pulumi.graph-ready.yaml", config), "--json"]);
    assert.equal(result.code, 0, result.stderr);
    const steps = (JSON.parse(result.stdout) as Plan).steps;
    const scopes = steps.filter((s) => s.newState.type === "pulumi-nodejs:dynamic/exchange:ManagementScope").map((s) => s.newState.inputs.name);
    assert.deepEqual(scopes, ["Retain Archived Users (Retain)"]);
    const assignments = steps.filter((s) => s.newState.type === "pulumi-nodejs:dynamic/exchange:RoleAssignment");
    assert.deepEqual(
      assignments.map((s) => [s.urn.split("::").pop(), s.newState.inputs.role, s.newState.inputs.name, s.newState.inputs.customResourceScope]).sort(),
      [
        ["graph-ready-exchange-role-EWS.AccessAsApp", "Application EWS.AccessAsApp", "Retain Application EWS.AccessAsApp", scopes[0]],
        ["graph-ready-exchange-role-MailboxFolder.Read", "Application MailboxFolder.Read", "Retain Application MailboxFolder.Read", scopes[0]],
        ["graph-ready-exchange-role-MailboxItem.Export", "Application MailboxItem.Export", "Retain Application MailboxItem.Export", scopes[0]],
        ["graph-ready-exchange-role-MailboxItem.Read", "Application MailboxItem.Read", "Retain Application MailboxItem.Read", scopes[0]],
      ],
    );
    for (const assignment of assignments) assert.equal(assignment.newState.inputs.allMailboxes, undefined, "scoped, not every mailbox");
  });
});

describe("plan: preservation (a retention policy that keeps mail until Retain archives it)", () => {
  const exampleConfig = () => (parse(readFileSync(exampleFile, "utf8")) as { config: Record<string, unknown> }).config;
  const retentionPolicies = (plan: Plan) => plan.steps.filter((s) => s.newState.type === "pulumi-nodejs:dynamic/compliance:RetentionPolicy");

  it("with retain-m365:preservation: one retention policy with its days and its scope, every mailbox", async () => {
    // (unlimited is validated in test/config/preservation.test.ts and sent as -RetentionDuration Unlimited in test/components/retention-policy.system.test.ts)
    for (const retainDays of ["unlimited"]) {
      const config = { ...exampleConfig(), "retain-m365:preservation": { retainDays } };
      const result = await runMain(["plan", "--config-file", writeStackFile("Pulumi.preserved.yaml", config), "--json"]);
      assert.equal(result.code, 0, result.stderr);
      const policies = retentionPolicies(JSON.parse(result.stdout) as Plan);
      assert.deepEqual(
        policies.map((s) => [s.urn.split("::").pop(), s.newState.inputs.retainDays, s.newState.inputs.exchangeLocation, s.newState.inputs.name]),
        [["preserved-preservation-retention-policy", retainDays, "All", "Retain - keep mailbox items until archived"]],
      );
    }
  });

  it("without it: none", async () => {
    const withoutPreservation = exampleConfig();
    delete withoutPreservation["retain-m365:preservation"];
    const result = await runMain(["plan", "--config-file", writeStackFile("Pulumi.unpreserved.yaml", withoutPreservation), "--json"]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(retentionPolicies(JSON.parse(result.stdout) as Plan), []);
  });

  it("exits 2 naming retain-m365:preservation.retainDays outside 1–3650, and refuses mailboxes: scopeGroup with Microsoft's reason", async () => {
    for (const retainDays of [0, 3651, "forever"]) {
      const config = { ...exampleConfig(), "retain-m365:preservation": { retainDays } };
      const result = await runMain(["plan", "--config-file", writeStackFile("Pulumi.bad-days.yaml", config), "--json"]);
      assert.equal(result.code, 2, `${String(retainDays)}: ${result.stderr}`);
      assert.match(result.stderr, /retain-m365:preservation\.retainDays: must be a whole number of days from 1 to 3650, or "unlimited"/);
      noStackTrace(result);
    }
    const config = { ...exampleConfig(), "retain-m365:preservation": { retainDays: 90, mailboxes: "scopeGroup" } };
    const result = await runMain(["plan", "--config-file", writeStackFile("Pulumi.scope-group.yaml", config), "--json"]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /retain-m365:preservation\.mailboxes: scopeGroup is not supported: Microsoft expands a group .*learn\.microsoft\.com/);
  });
});

describe("plan: certificates", () => {
  it("renders one key credential per listed certificate, the public part only, and no client secret", async () => {
    const pems = [1, 2].map((n) => readFileSync(path.join(REPO_ROOT, "test", "fixtures", "certificates", `app-${n}.pem`), "utf8"));
    const config = (parse(readFileSync(exampleFile, "utf8")) as { config: Record<string, unknown> }).config;
    config["retain-m365:application"] = { credential: { type: "certificate", certificates: pems } };
    const result = await runMain(["plan", "--config-file", writeStackFile("Pulumi.certificates.yaml", config), "--json"]);
    assert.equal(result.code, 0, result.stderr);
    const plan = JSON.parse(result.stdout) as Plan;
    const keys = plan.steps.filter((s) => s.newState.type === "azuread:index/applicationCertificate:ApplicationCertificate");
    assert.deepEqual(
      keys.map((k) => k.urn.split("::").pop()),
      ["certificates-app-certificate-6C2A3CFE0460C64A6D803D5285116B2CFD4BA025", "certificates-app-certificate-B9076686776C1F78A2D54C6BDD740764D10D77DE"],
    );
    for (const key of keys) assert.deepEqual([key.newState.inputs.type, key.newState.inputs.encoding], ["AsymmetricX509Cert", "pem"]);
    assert.ok(!plan.steps.some((s) => s.newState.type === "azuread:index/applicationPassword:ApplicationPassword"));
    assert.doesNotMatch(result.stdout, /PRIVATE KEY/);
  });
});

describe("plan: readable table", () => {
  it("prints a Markdown table of every resource for a pull request", async () => {
    const result = await runMain(["plan", "--stack", "example"]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^\| Op \| Type \| Name \| Details \|$/m);
    assert.match(
      result.stdout,
      /^\| create \| cloudflare:index\/dnsRecord:DnsRecord \| example-dns-example\.com-autodiscover-srv \| SRV _autodiscover\._tcp\.example\.com → 0 0 443 autodiscover\.outlook\.com \(DNS-only, TTL 3600\) \|$/m,
    );
    assert.match(result.stdout, /^\d+ to create\.$/m);
  });
});

describe("plan: invalid configuration", () => {
  it("exits 2 and lists every mistake with its key path, without a stack trace", async () => {
    const file = writeStackFile("Pulumi.broken.yaml", {
      "azuread:tenantId": "not-a-guid",
      "cloudflare:apiToken": "plain-text-token-value",
      "retain-m365:domains": [{ name: "Example.com", zoneId: "123" }],
      "retain-m365:adminUser": { userPrincipalName: "sync@elsewhere.org", directoryRole: "Global Administrator" },
      "retain-m365:workerUser": { userPrincipalName: "RetainWorker@example.com", usageLocation: "usa" },
      "retain-m365:directorySync": { outputDir: "relative/", backups: -2 },
      "retain-m365:bogus": true,
    });
    const result = await runMain(["plan", "--config-file", file]);
    assert.equal(result.code, 2);
    assert.equal(result.stdout, "");
    for (const key of [
      "azuread:tenantId",
      "cloudflare:apiToken",
      "retain-m365:domains[0].name",
      "retain-m365:domains[0].zoneId",
      "retain-m365:adminUser.directoryRole",
      "retain-m365:workerUser.usageLocation",
      "retain-m365:workerUser.licenseSku",
      "retain-m365:directorySync.outputDir",
      "retain-m365:directorySync.backups",
      "retain-m365:bogus",
    ]) {
      assert.ok(result.stderr.includes(`  - ${key}: `), `${key} missing from:\n${result.stderr}`);
    }
    assert.match(result.stderr, /^retain-m365: stack broken has \d+ problems:$/m);
    assert.ok(!result.stderr.includes("plain-text-token-value"));
    noStackTrace(result);
  });

  it("exits 2 on a file that is not YAML, naming the line", async () => {
    const file = path.join(tmp, "Pulumi.garbled.yaml");
    writeFileSync(file, "config:\n  retain-m365:domains: [\n");
    const result = await runMain(["plan", "--config-file", file]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /is not valid YAML.*\n\s+- line \d+/);
    noStackTrace(result);
  });

  it("exits 2 for a stack that does not exist, listing the stacks there are", async () => {
    const result = await runMain(["plan", "--stack", "nope"]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /no stack file stacks\/Pulumi\.nope\.yaml \(stacks there: example\)/);
  });
});

describe("plan --all: refusals, before any stack is planned", () => {
  const stackFolder = (stacks: Record<string, Record<string, unknown>>) => {
    const dir = mkdtempSync(path.join(tmp, "stacks-"));
    for (const [name, config] of Object.entries(stacks)) writeFileSync(path.join(dir, `Pulumi.${name}.yaml`), stringify({ config }));
    return dir;
  };
  const tenant = (n: number, domain: string) => ({
    ...validRawValues(),
    "azuread:tenantId": `00000000-0000-4000-8000-00000000000${n}`,
    "cloudflare:apiToken": { secure: `v1:token-ciphertext-${n}` },
    "retain-m365:domains": [{ name: domain, zoneId: "0123456789abcdef0123456789abcdef" }],
    "retain-m365:adminUser": { userPrincipalName: `retain-sync@${domain}` },
    "retain-m365:workerUser": { userPrincipalName: `RetainWorker@${domain}`, usageLocation: "DE", licenseSku: "EXCHANGESTANDARD" },
  });

  it("exits 2 when any stack is invalid, naming each stack file and key, and plans none", async () => {
    const dir = stackFolder({
      good: tenant(2, "fabrikam.com"),
      bad: { ...tenant(3, "contoso.com"), "azuread:tenantId": "not-a-guid", "retain-m365:directorySync": { outputDir: "relative/" } },
    });
    writeFileSync(path.join(dir, "Pulumi.garbled.yaml"), "config:\n  retain-m365:domains: [\n");
    const result = await runMain(["plan", "--all", "--stacks-dir", dir, "--json"]);
    assert.equal(result.code, 2);
    assert.equal(result.stdout, "");
    const bad = path.join(dir, "Pulumi.bad.yaml");
    assert.ok(result.stderr.includes(`  - ${bad}: azuread:tenantId: `), result.stderr);
    assert.ok(result.stderr.includes(`  - ${bad}: retain-m365:directorySync.outputDir: `), result.stderr);
    assert.match(result.stderr, new RegExp(`  - ${path.join(dir, "Pulumi.garbled.yaml").replace(/\./g, "\\.")}: line \\d+`));
    assert.ok(!result.stderr.includes("Pulumi.good.yaml"));
    noStackTrace(result);
  });

  it("exits 2 for a folder without stack files, and with --stack or --config-file", async () => {
    const empty = path.join(tmp, "no-stacks");
    mkdirSync(empty, { recursive: true });
    const none = await runMain(["plan", "--all", "--stacks-dir", empty]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no stack files \(Pulumi\.<stack>\.yaml\) in .*no-stacks/);
    assert.equal((await runMain(["plan", "--all", "--stack", "example"])).code, 2);
    assert.equal((await runMain(["plan", "--all", "--config-file", exampleFile])).code, 2);
  });
});

describe("plan: usage", () => {
  it("documents its options with --help and exits 0", async () => {
    const result = await runMain(["plan", "--help"]);
    assert.equal(result.code, 0);
    for (const option of ["--stack <name>", "--config-file <path>", "--all", "--json", "--stacks-dir <dir>"]) {
      assert.ok(result.stdout.includes(option), `--help lacks ${option}`);
    }
  });

  it("exits 2 when neither --stack nor --config-file is given, or both are", async () => {
    assert.equal((await runMain(["plan"])).code, 2);
    const both = await runMain(["plan", "--stack", "example", "--config-file", exampleFile]);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /cannot be used with/);
  });

  it("exits 2 on an unknown option", async () => {
    const result = await runMain(["plan", "--stack", "example", "--jsn"]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /unknown option '--jsn'/);
  });
});

import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { EWS_ENFORCE_SETTING } from "../../config/schema";
import { emptyListRefusal } from "../../components/exchange/ews-allow-list";
import type { Discovery } from "../../components/discovery";
import { REPO_ROOT } from "../support/cli";
import { runProgram } from "../support/run-program";

// `pulumi up` does what `retain-m365 adopt` said: the whole program under Pulumi's mock runtime,
// given what the tenant holds (as the deploy discovers it: resource names as urns).

type Registered = { name: string; type: string; importId?: string; retainOnDelete: boolean; inputs: Record<string, unknown> };
const ZONE = "0123456789abcdef0123456789abcdef";
const RECORD = "a".repeat(32);
const WORKER_IMPORT = "/users/99999999-0000-4000-8000-000000000001";

async function deploy(discovery: Discovery): Promise<{ code: number; resources: Registered[]; stderr: string }> {
  const stackFile = path.join(mkdtempSync(path.join(tmpdir(), "retain-adoption-")), "Pulumi.run.yaml");
  writeFileSync(stackFile, readFileSync(path.join(REPO_ROOT, "stacks", "Pulumi.example.yaml"), "utf8"));
  const run = await runProgram(stackFile, discovery);
  return { code: run.code, resources: run.resources as Registered[], stderr: run.stderr };
}

const named = (resources: Registered[], name: string) => resources.find((r) => r.name === name);

describe("the program does what adopt said", () => {
  it("imports what exists as declared, leaves what the admin left, keeps the organisation's records at destroy", async () => {
    const { code, resources, stderr } = await deploy({
      findings: [
        { urn: "run-dns-example.com-autodiscover-cname", action: "adopt", importId: `${ZONE}/${RECORD}`, detail: "there as declared." },
        { urn: "run-accounts-worker", action: "adopt", importId: WORKER_IMPORT, detail: "there as declared." },
        { urn: "run-accounts-admin-role", action: "adopt", importId: "existing-assignment-id", detail: "holds the role already." },
        { urn: "run-dns-example.com-m365-txt", action: "merge", detail: "one SPF record." },
      ],
      notices: ["The MX stays as it is."],
      left: ["run-dns-example.com-m365-mx"],
    });
    assert.equal(code, 0, stderr);
    assert.match(stderr, /warning: .*The MX stays as it is\./, "the discovery's notices are the deployment's warnings");
    assert.equal(named(resources, "run-dns-example.com-autodiscover-cname")?.importId, `${ZONE}/${RECORD}`);
    assert.equal(named(resources, "run-accounts-worker")?.importId, WORKER_IMPORT);
    assert.equal(named(resources, "run-accounts-admin")?.importId, undefined, "what does not exist is created");
    assert.equal(named(resources, "run-accounts-admin-role")?.importId, "existing-assignment-id");
    assert.equal(named(resources, "run-dns-example.com-m365-mx"), undefined, "a record left to the gateway is not declared");
    const spf = named(resources, "run-dns-example.com-m365-txt");
    assert.ok(spf && !spf.type.startsWith("cloudflare:"), "SPF is merged into the zone's record, never a second TXT");
    for (const name of [
      "run-dns-example.com-autodiscover-cname",
      "run-dns-example.com-autodiscover-srv",
      "run-dns-example.net-autodiscover-cname",
      "run-dns-example.com-m365-cname-enterpriseregistration",
    ]) {
      assert.equal(named(resources, name)?.retainOnDelete, true, `${name} outlives a destroy`);
    }
  });

  it("stops on a conflict before declaring anything, with the sentence and the key that decides (exit 5)", async () => {
    const { code, resources, stderr } = await deploy({
      findings: [
        {
          urn: "run-dns-example.com-m365-mx",
          action: "conflict",
          detail: "example.com has MX mx.gateway.example where Microsoft's MX is declared.",
          decide: "retain-m365:domains[0].onExisting.mx",
        },
      ],
      notices: [],
    });
    assert.equal(code, 5);
    assert.deepEqual(resources, []);
    assert.match(stderr, /example\.com has MX mx\.gateway\.example where Microsoft's MX is declared\. Decide with retain-m365:domains\[0\]\.onExisting\.mx\./);
  });

  it("refuses an EWS allow list in force but empty without the admin's decision, in adopt's words (exit 5)", async () => {
    // The finding as discoverForDeploy makes it for EwsEnabled true with no list (test/program/discover-for-deploy.system.test.ts).
    const { code, resources, stderr } = await deploy({
      findings: [{ urn: "run-exchange-ews-allow-list", action: "conflict", detail: emptyListRefusal(EWS_ENFORCE_SETTING), decide: EWS_ENFORCE_SETTING }],
      notices: [],
    });
    assert.equal(code, 5);
    assert.deepEqual(resources, []);
    assert.ok(stderr.includes(`${emptyListRefusal(EWS_ENFORCE_SETTING)} Decide with ${EWS_ENFORCE_SETTING}.`), stderr);
  });
});

import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { keySchemas } from "../config/schema";
import { INSTALLED_LAUNCHER } from "../core/server-package";
import { nightlySyncInstallCommand } from "../job/install-command";
import { REPO_ROOT } from "./support/cli";
import { commandsIn, problemWith } from "./support/commands";

const runbook = readFileSync(path.join(REPO_ROOT, "docs", "runbook.md"), "utf8");
const workflowsDir = path.join(REPO_ROOT, ".github", "workflows");
const workflowText = [
  ...readdirSync(workflowsDir).map((name) => readFileSync(path.join(workflowsDir, name), "utf8")),
  readFileSync(path.join(REPO_ROOT, ".github", "actions", "pulumi", "action.yml"), "utf8"),
].join("\n");
const configKeys = new Set([...Object.keys(keySchemas), "cloudflare:apiToken", "azuread:tenantId"]);

describe("runbook: its commands are the ones the code and workflows use", () => {
  it("every retain-m365 command, npm script and script it shows exists, with the options it uses", () => {
    const commands = commandsIn(runbook);
    for (const subcommand of ["plan", "stacks", "sync", "schedule", "verify"]) {
      assert.ok(
        commands.some((command) => command[0] === "retain-m365" && command[1] === subcommand),
        `the runbook shows retain-m365 ${subcommand}`,
      );
    }
    for (const command of commands) assert.equal(problemWith(command), undefined, command.join(" "));
  });

  it("every configuration key it names is one the stack validates", () => {
    const named = [...runbook.matchAll(/\b((?:retain-m365|cloudflare|azuread):[A-Za-z]+)/g)].map((match) => match[1]!);
    assert.ok(named.length >= 5);
    for (const key of named) assert.ok(configKeys.has(key), `${key} is not a configuration key`);
    for (const match of runbook.matchAll(/pulumi config set (?:--secret )?(\S+)/g)) assert.ok(configKeys.has(match[1]!), match[0]);
  });

  it("names every GitHub variable, secret and environment the workflows read, and only workflows that exist", () => {
    const settings = new Set([...workflowText.matchAll(/\b(?:vars|secrets)\.([A-Z_]+)/g)].map((match) => match[1]!));
    assert.ok(settings.size >= 5);
    for (const name of settings) assert.ok(runbook.includes(`\`${name}\``), `the runbook does not explain ${name}`);
    for (const environment of new Set([...workflowText.matchAll(/environment: ([a-z]+)-\$\{\{ matrix\.stack \}\}/g)].map((match) => match[1]!))) {
      assert.ok(runbook.includes(`\`${environment}-<stack>\``), `the runbook does not explain the ${environment}-<stack> environment`);
    }
    for (const match of runbook.matchAll(/\.github\/workflows\/([\w-]+\.yml)|\((\w[\w-]*\.yml)\)/g)) {
      assert.ok(existsSync(path.join(workflowsDir, match[1] ?? match[2]!)), match[0]);
    }
    assert.ok(runbook.includes("--policy-pack policy") && existsSync(path.join(REPO_ROOT, "policy", "PulumiPolicy.yaml")));
  });

  it("describes the schedule command the stack outputs for the Retain server", () => {
    const command = nightlySyncInstallCommand({ tenantId: "<tenant>", clientId: "<app>", outputDir: "/srv/cfg" });
    assert.match(command, new RegExp(`^${INSTALLED_LAUNCHER.linux} schedule --systemd .*--write-to /etc/systemd/system `));
    assert.match(
      runbook,
      /\/opt\/retain-m365-sync\/bin\/retain-m365 schedule --systemd --tenant-id <tenant> --client-id <app> .*--write-to \/etc\/systemd\/system/,
    );
    assert.match(
      runbook,
      /npx retain-m365 schedule --systemd --stack contoso --launcher \/opt\/retain-m365-sync\/bin\/retain-m365 --write-to \/etc\/systemd\/system/,
    );
  });
});

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { retainTenantPermissions } from "../program/tenant";
import { SELF_ELEVATING_PERMISSIONS } from "../components/permissions";
import { READ_ONLY_DIRECTORY_ROLES } from "../m365/entra";
import { MINIMUM_PULUMI_CLI, PULUMI_CLI_INSTALL_URL } from "../program/pulumi-cli";
import { buildCli } from "../cli/main";
import { ExitCode } from "../core/errors";
import { REPO_ROOT } from "./support/cli";
import { exitCodeTable } from "./support/contract";
import { EWS_SHUTDOWN } from "../m365/ews-retirement";
import { commandsIn, problemWith } from "./support/commands";

const readme = readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");
const packageJson = JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };

describe("README agrees with the code", () => {
  it("answers the first questions in its first screen (60 lines): what, for whom, what it needs, DNS elsewhere, EWS's end, install/test/demo", () => {
    const screen = readme.split("\n").slice(0, 60).join("\n");
    assert.match(screen, /^Sets up a Microsoft 365 tenant for mail archiving with \[Retain\]/m, "what");
    assert.match(screen, /\*\*For\*\* MSPs and admins who run Retain/, "for whom");
    assert.ok(screen.includes(`Pulumi CLI](${PULUMI_CLI_INSTALL_URL}) ${MINIMUM_PULUMI_CLI} or later`), "the Pulumi CLI version the program requires");
    assert.match(screen, /state\s+backend/, "a state backend");
    assert.match(screen, /\(#permissions-the-deploying-identity-needs\)/, "the deploying identity's rights");
    assert.match(screen, /`provider: manual`/, "DNS not at Cloudflare");
    const shutdown = new Date(`${EWS_SHUTDOWN.global.date}T00:00:00Z`).toLocaleDateString("en-GB", {
      day: "numeric",
      month: "long",
      year: "numeric",
      timeZone: "UTC",
    });
    assert.ok(screen.includes(`EWS in Exchange Online ends for good on ${shutdown}`), `EWS's end (${shutdown}), from m365/ews-retirement.ts`);
    assert.match(screen, /retain-m365:preservation/, "what the tool does about it");
    for (const command of ["npm ci", "npm test", "npm run demo"]) assert.match(screen, new RegExp(`^${command}\\b`, "m"), command);
  });

  it("starts with the install, test and demo commands, and the test command is the one CI runs", () => {
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? "";
    assert.match(firstBlock, /^npm ci\b/m);
    assert.match(firstBlock, /^npm test\b/m);
    assert.match(firstBlock, /^npm run demo\b/m);
    assert.ok(readme.indexOf("npm run demo") < readme.indexOf("pulumi up --stack <tenant>"), "the demo comes before the real-tenant path");
    assert.match(readFileSync(path.join(REPO_ROOT, ".ci", "run"), "utf8"), /^npm test$/m);
    assert.match(packageJson.scripts.test ?? "", /lint.*typecheck.*test:unit.*test:system/);
  });

  it("lists every permission the tenant's components declare", () => {
    for (const [half, heading] of [
      ["read", "Read"],
      ["write", "Write"],
    ] as const) {
      const table = new RegExp(`^#### ${heading}:.*\\n\\n((?:\\|.*\\n)+)`, "m").exec(readme)?.[1];
      assert.ok(table, `README has a "#### ${heading}:" permissions table`);
      const all = Object.values(retainTenantPermissions[half]).flat();
      assert.ok(all.length > 0);
      for (const permission of all) assert.ok(table.includes(`| ${permission} |`), `README's ${half} table lacks the permission "${permission}"`);
    }
  });

  it("marks, in the Write table, exactly the deploy permissions that let an identity raise its own privileges", () => {
    const table = /^#### Write:.*\n\n((?:\|.*\n)+)/m.exec(readme)?.[1] ?? "";
    assert.match(table, /^\| Where \| Permission \| Raises its own privileges \|$/m);
    const declared = Object.values(retainTenantPermissions.write).flat();
    for (const permission of Object.keys(SELF_ELEVATING_PERMISSIONS))
      assert.ok(declared.includes(permission), `"${permission}" is not a declared deploy permission`);
    for (const permission of declared) {
      const row = table.split("\n").find((line) => line.includes(`| ${permission} |`)) ?? "";
      const how = SELF_ELEVATING_PERMISSIONS[permission];
      assert.ok(
        row.endsWith(how === undefined ? `| ${permission} | no |` : `| ${permission} | **yes**: ${how} |`),
        `README's Write row for "${permission}": ${row}`,
      );
    }
    for (const permission of ["AppRoleAssignment.ReadWrite.All", "RoleManagement.ReadWrite.Directory", "Application.ReadWrite.All"]) {
      assert.ok(
        Object.keys(SELF_ELEVATING_PERMISSIONS).some((key) => key.includes(permission)),
        permission,
      );
    }
    assert.match(readme, /^#### A first deploy by a person, then a narrower CI identity$/m);
    assert.match(readme, /^### The sync admin, signed out by default$/m);
  });

  it("states the Pulumi CLI the program checks for and the one the workflows pin", () => {
    const action = readFileSync(path.join(REPO_ROOT, ".github", "actions", "pulumi", "action.yml"), "utf8");
    const pinned = /pulumi-version: "?([\d.]+)"?/.exec(action)?.[1];
    assert.ok(pinned, "the pulumi action pins the CLI");
    const text = readme.replace(/\s+/g, " ");
    assert.ok(text.includes(`[Pulumi CLI](${PULUMI_CLI_INSTALL_URL}) ${MINIMUM_PULUMI_CLI} or later`), "README states the minimum CLI");
    assert.ok(text.includes(`the workflows pin ${pinned}`), `README states the pinned CLI ${pinned}`);
  });

  it("has the exit-code table of docs/cli.md, one row per subcommand", () => {
    const table = exitCodeTable(readme);
    assert.deepEqual([...table].sort(), [...exitCodeTable(readFileSync(path.join(REPO_ROOT, "docs", "cli.md"), "utf8"))].sort());
    const subcommands = buildCli({ stdout: () => undefined, stderr: () => undefined }).commands.map((command) => command.name());
    assert.deepEqual([...table.keys()].sort(), [...subcommands].sort());
    for (const codes of table.values()) assert.ok(codes.includes(ExitCode.ok) && codes.includes(ExitCode.invalidInput));
  });

  it("names the read-only directory roles the config accepts", () => {
    for (const role of Object.keys(READ_ONLY_DIRECTORY_ROLES)) assert.ok(readme.includes(role), `README lacks ${role}`);
  });

  it("shows only retain-m365 commands, options and npm scripts that exist", () => {
    const commands = commandsIn(readme);
    assert.ok(commands.length >= 10);
    for (const command of commands) assert.equal(problemWith(command), undefined, command.join(" "));
  });
});

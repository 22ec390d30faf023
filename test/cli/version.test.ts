import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { buildCli } from "../../cli/main";
import { runCommand } from "../../cli/run-command";
import { buildServerCli } from "../../cli/server-main";
import { packageInstallation } from "../../cli/installation";
import { REPO_ROOT } from "../support/cli";

const VERSION = (JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { version: string }).version;

async function printed(build: (io: { stdout: (text: string) => void; stderr: (text: string) => void }) => ReturnType<typeof buildCli>, argv: string[]) {
  let stdout = "";
  let stderr = "";
  const io = { stdout: (text: string) => void (stdout += text), stderr: (text: string) => void (stderr += text) };
  const code = await runCommand(build(io), ["node", "retain-m365", ...argv], io);
  return { code, stdout, stderr };
}

describe("--version", () => {
  it("the repository's CLI prints package.json's version, with --version and -V, and exits 0", async () => {
    for (const flag of ["--version", "-V"]) assert.deepEqual(await printed(buildCli, [flag]), { code: 0, stdout: `${VERSION}\n`, stderr: "" });
  });

  it("the Retain-server CLI prints the same (the package stamps its own: test/packaging/package.system.test.ts)", async () => {
    const installation = packageInstallation(path.join(REPO_ROOT, "lib", "retain-m365-sync.cjs"));
    assert.deepEqual(await printed((io) => buildServerCli(io, installation), ["--version"]), { code: 0, stdout: `${VERSION}\n`, stderr: "" });
  });

  it("the package's --help says what the package does, the repository's what the tool does", async () => {
    const installation = packageInstallation(path.join(REPO_ROOT, "lib", "retain-m365-sync.cjs"));
    const server = await printed((io) => buildServerCli(io, installation), ["--help"]);
    assert.match(
      server.stdout.replace(/\s+/g, " "),
      /The Retain server's side of retain-m365: writes Retain's address book \(exchangeuser\.csv, exchangegroups\.csv\)/,
    );
    const repository = await printed(buildCli, ["--help"]);
    assert.match(repository.stdout.replace(/\s+/g, " "), /Prepare a Microsoft 365 tenant for archiving with Retain/);
  });

  it("after a subcommand's name too; but an option's value that reads -V stays that value, not a version request", async () => {
    assert.deepEqual(await printed(buildCli, ["sync", "--version"]), { code: 0, stdout: `${VERSION}\n`, stderr: "" });
    const ids = ["--tenant-id", "00000000-0000-4000-8000-000000000001", "--client-id", "00000000-0000-4000-8000-000000000002"];
    const schedule = await printed(buildCli, ["schedule", "--systemd", ...ids, "--user", "-V"]);
    assert.notEqual(schedule.stdout, `${VERSION}\n`);
    assert.match(schedule.stdout + schedule.stderr, /User=-V|--user/);
  });

  it("is listed in --help", async () => {
    assert.match((await printed(buildCli, ["--help"])).stdout, /^ {2}-V, --version +print the version and exit$/m);
  });
});

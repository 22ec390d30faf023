import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { REPO_ROOT } from "../support/cli";

/** A copy of this checkout's code (node_modules linked), whose sources the test may change. */
function checkoutCopy(): string {
  const copy = mkdtempSync(path.join(tmpdir(), "retain-checkout-"));
  for (const part of [
    "bin",
    "cli",
    "core",
    "m365",
    "cloudflare",
    "config",
    "components",
    "sync",
    "job",
    "program",
    "policy",
    "tsconfig.json",
    "package.json",
  ]) {
    cpSync(path.join(REPO_ROOT, part), path.join(copy, part), { recursive: true });
  }
  symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(copy, "node_modules"));
  return copy;
}
const run = (checkout: string, args: string[]) =>
  spawnSync(process.execPath, [path.join(checkout, "bin", "retain-m365.js"), ...args], { cwd: checkout, encoding: "utf8" });

describe("bin/retain-m365.js runs a bundle of the checkout as it is", () => {
  const checkout = checkoutCopy();
  const bundle = path.join(checkout, "build", "retain-m365.cjs");

  it("builds it on first use, reuses it while nothing changed, rebuilds it after a source changes", () => {
    assert.equal(run(checkout, ["--help"]).status, 0);
    const built = statSync(bundle).mtimeMs;
    assert.equal(run(checkout, ["status", "--help"]).status, 0);
    assert.equal(statSync(bundle).mtimeMs, built, "reused");
    const status = path.join(checkout, "cli", "status.ts");
    writeFileSync(status, readFileSync(status, "utf8").replace("Say whether the nightly sync", "Tell whether the nightly sync"));
    const after = run(checkout, ["--help"]);
    assert.match(after.stdout, /Tell whether the nightly sync/);
  });

  it("runs the bundle from memory where the checkout cannot be written", () => {
    rmSync(path.join(checkout, "build"), { recursive: true, force: true });
    writeFileSync(path.join(checkout, "build"), "not a folder");
    const result = run(checkout, ["status", "--out", path.join(checkout, "nowhere")]);
    assert.equal(result.status, 6, result.stderr);
    assert.match(result.stderr, /the nightly sync of .* is unhealthy/);
  });

  it("stops with esbuild's message when the TypeScript does not compile", () => {
    rmSync(path.join(checkout, "build"), { force: true });
    writeFileSync(path.join(checkout, "cli", "status.ts"), "export const broken = ;\n");
    const result = run(checkout, ["--help"]);
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /cli\/status\.ts:1:\d+: ERROR: Unexpected ";"/);
  });

  it("on a Node older than package.json's engines: one sentence naming the Node needed and how to get it, exit 2, nothing built", () => {
    const older = path.join(mkdtempSync(path.join(tmpdir(), "retain-old-node-")), "node-20.cjs");
    writeFileSync(
      older,
      'Object.defineProperty(process, "version", { value: "v20.20.2" });\nObject.defineProperty(process.versions, "node", { value: "20.20.2" });\n',
    );
    const result = spawnSync(process.execPath, ["--require", older, path.join(REPO_ROOT, "bin", "retain-m365.js"), "--version"], {
      cwd: REPO_ROOT,
      encoding: "utf8",
    });
    assert.equal(result.status, 2);
    assert.equal(result.stdout, "");
    assert.equal(
      result.stderr,
      "retain-m365: needs Node 22 or later, and this is Node v20.20.2: run it as `npx retain-m365` (or through an npm script), which uses the Node 22 that npm ci installed into node_modules\n",
    );
  });
});

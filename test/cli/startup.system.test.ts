import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, it } from "node:test";
import { loadedPackages, REPO_ROOT, REPORT_PACKAGES } from "../support/cli";

/** The npm packages the Retain-server package's CLI (cli/server-main.ts, run from source) loads for `args`. */
function packagesLoadedByServerCli(args: string[]): string[] {
  const result = spawnSync(process.execPath, ["--require", REPORT_PACKAGES, "--import", "tsx", path.join(REPO_ROOT, "cli", "server-main.ts"), ...args], {
    cwd: REPO_ROOT,
    encoding: "utf8",
  });
  assert.equal(result.status, 0, result.stderr);
  return loadedPackages(result.stderr).filter((name) => name !== "tsx" && name !== "get-tsconfig" && name !== "esbuild" && name !== "resolve-pkg-maps");
}

describe("what the Retain-server package's CLI loads before it works (its cold start)", () => {
  it("--help and each subcommand's --help load neither zod nor the YAML parser (only a stack file needs them), nor the Pulumi SDK", () => {
    for (const args of [["--help"], ["sync", "--help"], ["status", "--help"], ["schedule", "--help"], ["verify", "--help"], ["credential", "--help"]]) {
      const loaded = packagesLoadedByServerCli(args);
      assert.ok(loaded.includes("commander"), "the report sees a package that is loaded");
      for (const heavy of ["@pulumi/pulumi", "zod", "yaml", "node-forge", "@azure/identity"])
        assert.ok(!loaded.includes(heavy), `${args.join(" ")} loads ${heavy}`);
    }
  });
});

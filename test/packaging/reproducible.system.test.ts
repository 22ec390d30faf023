import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { promisify } from "node:util";
import { packageFileNames } from "../../core/server-package";
import { REPO_ROOT } from "../support/cli";
import { builtPackage } from "../support/package-build";

// A second `npm run package`, under this process's umask, made while package.system.test.ts's
// (under umask 077) is: the same inputs must give the same bytes, whoever builds them and when.

const VERSION = (JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { version: string }).version;

describe("the Retain-server package", () => {
  it("is reproducible: the same inputs give the same bytes", async () => {
    const again = mkdtempSync(path.join(tmpdir(), "retain-dist-"));
    const [dist] = await Promise.all([
      builtPackage(),
      promisify(execFile)("npm", ["run", "--silent", "package", "--", "--out", again], { cwd: REPO_ROOT, maxBuffer: 16 * 1024 * 1024 }),
    ]);
    const { checksums } = packageFileNames(VERSION);
    assert.equal(readFileSync(path.join(again, checksums), "utf8"), readFileSync(path.join(dist, checksums), "utf8"));
  });
});

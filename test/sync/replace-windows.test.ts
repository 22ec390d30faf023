import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { ExitCode, UserFacingError } from "../../core/errors";
import { buildAddressBook } from "../../sync/address-book";
import { Directory } from "../../sync/directory";
import type { DirectoryUser } from "../../sync/model";
import { FILE_IN_USE_RETRY, replaceFiles, type FileSystemPlatform } from "../../sync/replace";
import { WINDOWS_HOST } from "../../sync/safe-files";

// Windows' rename over a file another program holds open, simulated: the platform's calls are
// injected, since nothing here runs on Windows.
const user = (n: number): DirectoryUser => ({
  id: `u-${n}`,
  displayName: `User ${n}`,
  mail: `user${n}@contoso.com`,
  mailNickname: `user${n}`,
  userPrincipalName: `user${n}@contoso.com`,
  proxyAddresses: [`SMTP:user${n}@contoso.com`],
  userType: "Member",
  accountEnabled: true,
});
const book = (count: number) => buildAddressBook(Directory.of({ users: Array.from({ length: count }, (_, n) => user(n)), groups: [], members: new Map() }));

/** A Windows platform whose rename fails with `code` while `held(target)` says the target is open. */
function windows(held: (target: string, attempt: number) => boolean, code = "EBUSY"): FileSystemPlatform & { pauses: number[] } {
  const tries = new Map<string, number>();
  const pauses: number[] = [];
  return {
    windows: true,
    pauses,
    // Waits recorded, none made.
    clock: { now: () => 0, sleep: async (ms) => void pauses.push(ms) },
    rename: (from, to) => {
      const attempt = (tries.get(to) ?? 0) + 1;
      tries.set(to, attempt);
      if (held(to, attempt)) throw Object.assign(new Error(`${code}: resource busy or locked, rename '${from}' -> '${to}'`), { code });
      renameSync(from, to);
    },
  };
}

async function folderWithPreviousFiles(): Promise<{ outDir: string; users: string; groups: string }> {
  const outDir = mkdtempSync(path.join(tmpdir(), "retain-windows-"));
  await replaceFiles(book(3), { outDir, backups: 0, maxShrinkPercent: 20, force: false });
  return { outDir, users: readFileSync(path.join(outDir, "exchangeuser.csv"), "utf8"), groups: readFileSync(path.join(outDir, "exchangegroups.csv"), "utf8") };
}

describe("replacing the CSVs on Windows, where Retain may hold them open", () => {
  it("waits and tries again while a file is held, then replaces it", async () => {
    const { outDir } = await folderWithPreviousFiles();
    const platform = windows((target, attempt) => target.endsWith("exchangeuser.csv") && attempt <= 2);
    const result = await replaceFiles(book(4), { outDir, backups: 0, maxShrinkPercent: 20, force: false, platform });
    assert.equal(result.unchanged, false);
    // Backoff per FILE_IN_USE_RETRY: a quarter second, then half a second, each jittered down by up to half.
    assert.equal(platform.pauses.length, 2);
    platform.pauses.forEach((ms, i) => {
      const full = FILE_IN_USE_RETRY.baseDelayMs * 2 ** i;
      assert.ok(ms >= full / 2 && ms <= full, `pause ${i + 1}: ${ms} ms`);
    });
    assert.match(readFileSync(path.join(outDir, "exchangeuser.csv"), "utf8"), /user3@contoso\.com/);
  });

  it("gives up after the retry policy's tries with exit 5, keeping the previous pair byte for byte and no temp file", async () => {
    for (const code of ["EPERM", "EBUSY", "EACCES"]) {
      const previous = await folderWithPreviousFiles();
      const platform = windows((target) => target.endsWith("exchangegroups.csv"), code);
      await assert.rejects(replaceFiles(book(4), { outDir: previous.outDir, backups: 0, maxShrinkPercent: 20, force: false, platform }), (error: unknown) => {
        assert.ok(error instanceof UserFacingError);
        assert.equal(error.exitCode, ExitCode.safetyGuard);
        assert.equal(
          error.message,
          `${path.join(previous.outDir, "exchangegroups.csv")} could not be replaced after ${FILE_IN_USE_RETRY.maxAttempts} tries (${code}): another program, such as Retain, holds it open; the previous files are left untouched`,
        );
        return true;
      });
      assert.equal(platform.pauses.length, FILE_IN_USE_RETRY.maxAttempts - 1);
      assert.equal(readFileSync(path.join(previous.outDir, "exchangeuser.csv"), "utf8"), previous.users);
      assert.equal(readFileSync(path.join(previous.outDir, "exchangegroups.csv"), "utf8"), previous.groups);
      assert.deepEqual(readdirSync(previous.outDir).sort(), ["exchangegroups.csv", "exchangeuser.csv"]);
    }
  });

  it("on a first run leaves no lone users file when the groups file cannot be written", async () => {
    const outDir = mkdtempSync(path.join(tmpdir(), "retain-windows-"));
    writeFileSync(path.join(outDir, "exchangegroups.csv"), "held by Retain\n");
    const platform = windows((target) => target.endsWith("exchangegroups.csv"));
    await assert.rejects(replaceFiles(book(2), { outDir, backups: 0, maxShrinkPercent: 20, force: false, platform }), /could not be replaced/);
    assert.deepEqual(readdirSync(outDir), ["exchangegroups.csv"]);
  });

  it("without O_NOFOLLOW, uids or modes (fs.constants has none on Windows): backups still made, a link in a CSV's place refused by lstat before opening", async () => {
    assert.equal(WINDOWS_HOST.noFollow, 0);
    const { outDir } = await folderWithPreviousFiles();
    const platform = windows(() => false);
    const replaced = await replaceFiles(book(4), { outDir, backups: 2, maxShrinkPercent: 20, force: false, platform });
    assert.ok(replaced.backup && existsSync(path.join(replaced.backup, "exchangeuser.csv")));
    const secretDir = mkdtempSync(path.join(tmpdir(), "retain-windows-outside-"));
    const secret = path.join(secretDir, "secret.pem");
    writeFileSync(secret, "outside\n", { mode: 0o600 });
    const groups = path.join(outDir, "exchangegroups.csv");
    rmSync(groups);
    symlinkSync(secret, groups);
    await assert.rejects(replaceFiles(book(5), { outDir, backups: 2, maxShrinkPercent: 20, force: false, platform }), (error: unknown) => {
      assert.ok(error instanceof UserFacingError);
      assert.equal(error.exitCode, ExitCode.safetyGuard);
      assert.equal(error.message, `${groups} is a symbolic link, which the sync never follows: remove it; the previous files are left untouched`);
      return true;
    });
    assert.equal(readFileSync(secret, "utf8"), "outside\n");
    assert.deepEqual(readdirSync(secretDir), ["secret.pem"]);
    assert.deepEqual(readdirSync(path.join(outDir, "backup")).length, 1, "no backup of the link's target");
  });

  it("does not retry on Linux, where a rename over an open file succeeds: another failure is not a held file", async () => {
    const { outDir } = await folderWithPreviousFiles();
    const platform = { ...windows(() => true), windows: false };
    await assert.rejects(replaceFiles(book(4), { outDir, backups: 0, maxShrinkPercent: 20, force: false, platform }), /EBUSY: resource busy/);
    assert.deepEqual(platform.pauses, []);
  });
});

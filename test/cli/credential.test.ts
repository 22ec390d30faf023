import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { runMain } from "../support/contract";

const newDir = () => mkdtempSync(path.join(tmpdir(), "retain-credential-"));

describe("credential new", () => {
  it("writes the key and a self-signed certificate 0600 into a new 0700 folder and prints the certificate alone", async () => {
    const out = path.join(newDir(), "certs");
    const result = await runMain(["credential", "new", "--out", out, "--days", "90"]);
    assert.equal(result.code, 0, result.stderr);
    const certificate = new X509Certificate(result.stdout);
    const thumbprint = certificate.fingerprint.replace(/:/g, "");
    assert.deepEqual(readdirSync(out), [`retain-m365-${thumbprint}.pem`]);
    const file = path.join(out, `retain-m365-${thumbprint}.pem`);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(out).mode & 0o777, 0o700);
    assert.equal(certificate.subject, certificate.issuer, "self-signed");
    assert.ok(certificate.verify(certificate.publicKey));
    assert.ok((certificate.publicKey.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048);
    const days = (certificate.validToDate.getTime() - Date.now()) / 86_400_000;
    assert.ok(days > 89.9 && days <= 90, `valid for ${days} days`);
    const pem = readFileSync(file, "utf8");
    assert.ok(pem.startsWith(result.stdout.trim()), "the file starts with the printed certificate");
    assert.match(pem, /-----BEGIN PRIVATE KEY-----/);
    for (const text of [result.stdout, result.stderr]) assert.doesNotMatch(text, /PRIVATE KEY/);
    assert.equal(result.stdout.match(/BEGIN CERTIFICATE/g)?.length, 1);
  });

  it("is valid for 365 days by default; each call makes a new key", async () => {
    const out = newDir();
    const first = await runMain(["credential", "new", "--out", out]);
    const second = await runMain(["credential", "new", "--out", out]);
    assert.equal(first.code, 0, first.stderr);
    const days = (new X509Certificate(first.stdout).validToDate.getTime() - Date.now()) / 86_400_000;
    assert.ok(days > 364.9 && days <= 365, `valid for ${days} days`);
    assert.notEqual(first.stdout, second.stdout);
    assert.equal(readdirSync(out).length, 2);
  });

  it("bad input is exit 2 in one sentence: --days out of range, an --out that cannot be written, no --out", async () => {
    const file = path.join(newDir(), "a-file");
    writeFileSync(file, "");
    for (const [args, message] of [
      [["--out", newDir(), "--days", "0"], /--days must be a whole number from 1 to 3650 \(got "0"\)/],
      [["--out", newDir(), "--days", "3651"], /--days must be a whole number from 1 to 3650/],
      [["--out", path.join(file, "certs")], /--out: cannot write .* \(ENOTDIR\)/],
      [[], /required option '--out <dir>'/],
    ] as const) {
      const result = await runMain(["credential", "new", ...args]);
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, message);
      assert.equal(result.stdout, "");
      assert.equal(result.stderr.trim().split("\n").length <= 2, true, result.stderr);
    }
  });
});

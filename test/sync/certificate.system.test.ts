import assert from "node:assert/strict";
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { runMain, type MainResult } from "../support/contract";
import { directoryRoutes } from "../../emulators/directory";
import { directoryTenant } from "../../emulators/directory-tenant";
import { startGraphEmulator, type GraphEmulator } from "../../emulators/graph";
import { trustTestCa } from "../../emulators/tls";
import { keyFileModeProblem, readAppCertificate } from "../../m365/app-certificate";
import { rootWarning, THIS_HOST } from "../../sync/safe-files";
import { loopbackSync } from "../support/sync-arguments";

const TENANT = "00000000-0000-4000-8000-0000000000aa";
const APP = "00000000-0000-4000-8000-0000000000cc";
const SECRET = "certificate-test-secret-never-shown";

let emulator: GraphEmulator;
let restoreCas: () => void;
const registered: string[] = [];
const tenant = directoryTenant({
  users: [
    {
      id: "u-1",
      displayName: "Jo",
      mail: "jo@contoso.com",
      mailNickname: "jo",
      userPrincipalName: "jo@contoso.com",
      proxyAddresses: ["SMTP:jo@contoso.com"],
      userType: "Member",
      accountEnabled: true,
    },
  ],
});

before(async () => {
  emulator = await startGraphEmulator({
    token: "cert-token",
    clients: { [APP]: SECRET },
    certificates: { [APP]: registered },
    routes: [(request, e) => directoryRoutes(tenant)(request, e)],
  });
  restoreCas = trustTestCa();
});
after(async () => {
  restoreCas();
  await emulator.close();
});

const newDir = () => mkdtempSync(path.join(tmpdir(), "retain-cert-"));
interface Made {
  file: string;
  certificate: string;
  thumbprint: string;
}
async function credentialNew(dir: string, days: number): Promise<Made> {
  const result = await runMain(["credential", "new", "--out", dir, "--days", String(days)]);
  assert.equal(result.code, 0, result.stderr);
  const file = /wrote (\S+\.pem)/.exec(result.stderr)![1]!;
  return { file, certificate: result.stdout, thumbprint: /retain-m365-([0-9A-F]{40})\.pem$/.exec(file)![1]! };
}
/** The warning of a sync run as root (hostile-folder.system.test.ts tests it), left out of stderr: these tests run as root in some places, not in others. */
const ROOT_WARNING_LINE = `warning: ${rootWarning({ ...THIS_HOST, user: 0 })}\n`;
function sync(extra: string[], env: Record<string, string | undefined> = {}): Promise<MainResult> {
  return runMain([...loopbackSync(TENANT, APP, newDir(), emulator.url), ...extra], {
    env: { RETAIN_SYNC_CLIENT_SECRET: "", ...env },
  }).then((result) => ({ ...result, stderr: result.stderr.replace(ROOT_WARNING_LINE, "") }));
}
const summaryOf = (result: MainResult) =>
  JSON.parse(result.stdout) as { users: number; credential: { type: string; thumbprint?: string; expiresAt: string | null } };
function assertNoKey(results: MainResult[], made: Made[]): void {
  const keyLines = made.flatMap((m) =>
    readFileSync(m.file, "utf8")
      .split("-----BEGIN PRIVATE KEY-----")[1]!
      .split("\n")
      .filter((line) => line.length > 40),
  );
  for (const result of results) {
    for (const text of [result.stdout, result.stderr]) {
      assert.doesNotMatch(text, /PRIVATE KEY/);
      for (const line of keyLines) assert.ok(!text.includes(line), "a line of the private key was printed");
    }
  }
}

describe("sync with Retain's app certificate", () => {
  it("signs in with a certificate file registered on the app; the summary names it and its expiry", async () => {
    const made = await credentialNew(newDir(), 365);
    registered.splice(0, registered.length, made.certificate);
    const result = await sync(["--certificate", made.file]);
    assert.equal(result.code, 0, result.stderr);
    const summary = summaryOf(result);
    assert.equal(summary.users, 1);
    assert.equal(summary.credential.type, "certificate");
    assert.equal(summary.credential.thumbprint, made.thumbprint);
    const days = (Date.parse(summary.credential.expiresAt!) - Date.now()) / 86_400_000;
    assert.ok(days > 364 && days <= 365);
    assert.doesNotMatch(result.stderr, /warning/);
    assertNoKey([result], [made]);
  });

  it("a folder: the newest certificate not yet registered falls back to the older; once the old one is removed, the newest signs in alone", async () => {
    const dir = newDir();
    const old = await credentialNew(dir, 200);
    const newest = await credentialNew(dir, 365);
    registered.splice(0, registered.length, old.certificate);

    const before = await sync(["--certificate", dir]);
    assert.equal(before.code, 0, before.stderr);
    assert.equal(summaryOf(before).credential.thumbprint, old.thumbprint);
    assert.match(before.stderr, new RegExp(`refused the certificate ${newest.thumbprint} \\(AADSTS700027: .*\\); trying the next newest, ${old.thumbprint}`));

    registered.push(newest.certificate);
    const both = await sync(["--certificate", dir]);
    assert.equal(both.code, 0, both.stderr);
    assert.equal(summaryOf(both).credential.thumbprint, newest.thumbprint);
    assert.doesNotMatch(both.stderr, /refused/);

    registered.splice(0, registered.length, newest.certificate);
    const after = await sync(["--certificate", dir]);
    assert.equal(after.code, 0, after.stderr);
    assert.equal(summaryOf(after).credential.thumbprint, newest.thumbprint);

    const oldAlone = await sync(["--certificate", old.file]);
    assert.equal(oldAlone.code, 3, "a certificate Entra does not know is an authentication failure");
    assert.match(oldAlone.stderr, /AADSTS700027/);
    assertNoKey([before, both, after, oldAlone], [old, newest]);
  });

  it("every certificate of the folder refused: exit 3 with Entra's reason", async () => {
    const dir = newDir();
    await credentialNew(dir, 30);
    await credentialNew(dir, 60);
    registered.splice(0, registered.length);
    const result = await sync(["--certificate", dir]);
    assert.equal(result.code, 3);
    assert.match(
      result.stderr,
      /this certificate \([0-9A-F]{40}, \S+\.pem\) is not registered for Retain's app: add it to the stack's retain-m365:application\.credential\.certificates and run pulumi up \(AADSTS700027: The certificate with identifier used to sign the client assertion is not registered on application\)$/m,
    );
  });

  it("warns when the certificate expires within --warn-expiry-days, naming the date and what to do", async () => {
    const made = await credentialNew(newDir(), 10);
    registered.splice(0, registered.length, made.certificate);
    const warned = await sync(["--certificate", made.file]);
    assert.equal(warned.code, 0, warned.stderr);
    const expiresAt = summaryOf(warned).credential.expiresAt!;
    assert.match(
      warned.stderr,
      new RegExp(
        `warning: Retain's app certificate ${made.thumbprint} expires on ${expiresAt.replace(/\./g, "\\.")} \\(in 9 days\\): run \`retain-m365 credential new\``,
      ),
    );
    const quiet = await sync(["--certificate", made.file, "--warn-expiry-days", "5"]);
    assert.equal(quiet.code, 0, quiet.stderr);
    assert.doesNotMatch(quiet.stderr, /warning/);
  });

  it("bad certificate input is exit 2 in one sentence before any request", async () => {
    const made = await credentialNew(newDir(), 30);
    const [certificate, key] = readFileSync(made.file, "utf8").split(/(?=-----BEGIN PRIVATE KEY-----)/);
    const dir = newDir();
    const file = (name: string, text: string) => {
      writeFileSync(path.join(dir, name), text, { mode: 0o600 });
      return path.join(dir, name);
    };
    const other = await credentialNew(newDir(), 30);
    const cases: [string, RegExp][] = [
      [file("key-only.pem", key!), /holds a private key but no certificate/],
      [file("cert-only.pem", certificate!), /holds a certificate but no private key/],
      [file("garbled.pem", "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n" + key!), /the certificate is garbled/],
      [file("notes.txt", "hello"), /is not a PEM certificate with its private key/],
      [
        file("mismatch.pem", certificate! + readFileSync(other.file, "utf8").split(/(?=-----BEGIN PRIVATE KEY-----)/)[1]!),
        /the private key does not belong to the certificate/,
      ],
      [newDir(), /has no \*\.pem file/],
      [path.join(dir, "missing.pem"), /no file or folder/],
    ];
    const requests = emulator.requests.length;
    const tokens = emulator.issuedTokens.length;
    for (const [target, message] of cases) {
      const result = await sync(["--certificate", target]);
      assert.equal(result.code, 2, `${target}: ${result.stderr}`);
      assert.match(result.stderr, message);
      assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
      assert.doesNotMatch(result.stderr, /PRIVATE KEY| {4}at /);
    }
    const mixed = newDir();
    copyFileSync(made.file, path.join(mixed, "good.pem"));
    writeFileSync(path.join(mixed, "bad.pem"), certificate!);
    assert.equal((await sync(["--certificate", mixed])).code, 2, "one bad file in the folder stops the run before signing in");
    assert.equal(emulator.requests.length, requests);
    assert.equal(emulator.issuedTokens.length, tokens);
  });
});

describe("a private key file others may read is refused, as ssh refuses one", () => {
  it("group- or world-readable (or writable): exit 2 before any request, naming the file and `chmod 600`; what credential new writes (0600) passes", async () => {
    const made = await credentialNew(newDir(), 30);
    assert.equal(statSync(made.file).mode & 0o777, 0o600);
    registered.splice(0, registered.length, made.certificate);
    assert.equal((await sync(["--certificate", made.file])).code, 0, "0600, as credential new writes it");
    assert.equal((await sync(["--certificate", path.dirname(made.file)])).code, 0, "its folder (0700)");
    const requests = emulator.requests.length;
    for (const mode of [0o640, 0o644, 0o604, 0o620, 0o660]) {
      chmodSync(made.file, mode);
      for (const target of [made.file, path.dirname(made.file)]) {
        const result = await sync(["--certificate", target]);
        assert.equal(result.code, 2, `${mode.toString(8)}: ${result.stderr}`);
        assert.equal(
          result.stderr,
          `retain-m365: --certificate ${made.file}: the private key is open to group or others (mode 0${mode.toString(8)}), which ssh-like the sync refuses: run \`chmod 600 ${made.file}\`\n`,
        );
      }
    }
    assert.equal(emulator.requests.length, requests, "refused before any request");
    chmodSync(made.file, 0o400);
    assert.equal((await sync(["--certificate", made.file])).code, 0, "read-only for its owner passes too");
    // A certificate alone (no key) may be read by anyone: it is public.
    const certificateOnly = path.join(newDir(), "certificate.pem");
    writeFileSync(certificateOnly, made.certificate, { mode: 0o644 });
    assert.match((await sync(["--certificate", certificateOnly])).stderr, /holds a certificate but no private key/);
  });

  it("on Windows the mode bits say nothing (NTFS ACLs apply): the check is skipped there", async () => {
    const made = await credentialNew(newDir(), 30);
    chmodSync(made.file, 0o644);
    assert.throws(() => readAppCertificate(made.file, "linux"), /open to group or others \(mode 0644\)/);
    assert.equal(readAppCertificate(made.file, "win32").thumbprint, made.thumbprint);
    assert.equal(keyFileModeProblem(0o100644, "win32"), undefined);
    assert.equal(keyFileModeProblem(0o100600, "linux"), undefined);
  });
});

describe("sync with a client secret: its expiry", () => {
  it("--secret-expires puts the date in the summary and warns within the window; without it the expiry is null", async () => {
    const soon = new Date(Date.now() + 5 * 86_400_000 + 3_600_000).toISOString();
    const warned = await sync(["--secret-expires", soon], { RETAIN_SYNC_CLIENT_SECRET: SECRET });
    assert.equal(warned.code, 0, warned.stderr);
    assert.deepEqual(summaryOf(warned).credential, { type: "secret", expiresAt: soon });
    assert.match(
      warned.stderr,
      new RegExp(
        `warning: Retain's app client secret expires on ${soon.replace(/\./g, "\\.")} \\(in 5 days\\): change retain-m365:application.credentialRotation`,
      ),
    );

    const expired = await sync(["--secret-expires", "2020-01-31"], { RETAIN_SYNC_CLIENT_SECRET: SECRET });
    assert.match(expired.stderr, /warning: Retain's app client secret expired on 2020-01-31T00:00:00\.000Z/);

    const unknown = await sync([], { RETAIN_SYNC_CLIENT_SECRET: SECRET });
    assert.equal(unknown.code, 0, unknown.stderr);
    assert.deepEqual(summaryOf(unknown).credential, { type: "secret", expiresAt: null });
    assert.doesNotMatch(unknown.stderr, /warning/);
    for (const result of [warned, expired, unknown]) for (const text of [result.stdout, result.stderr]) assert.ok(!text.includes(SECRET));

    const bad = await sync(["--secret-expires", "next tuesday"], { RETAIN_SYNC_CLIENT_SECRET: SECRET });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--secret-expires must be an ISO date such as 2027-06-30 \(got "next tuesday"\)/);
  });
});

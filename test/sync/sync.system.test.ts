import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import path from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";
import { stringify } from "yaml";
import { parseContractCsv } from "../../sync/csv";
import { rootWarning, THIS_HOST } from "../../sync/safe-files";
import { runMain, type MainResult } from "../support/contract";
import { withRecordedWaits } from "../support/retry-clock";
import { validRawValues } from "../support/configs";
import { directoryRoutes } from "../../emulators/directory";
import { directoryTenant, putGroup, putUser, removeGroup, removeUser, setMember, type DirectoryTenant } from "../../emulators/directory-tenant";
import { graphError, startGraphEmulator, type GraphEmulator } from "../../emulators/graph";
import { trustTestCa } from "../../emulators/tls";

const TENANT = "00000000-0000-4000-8000-0000000000aa";
const APP = "00000000-0000-4000-8000-0000000000bb";
const SECRET = "retain-sync-secret-value-never-shown";

let emulator: GraphEmulator;
let tenant: DirectoryTenant;

let restoreCas: () => void;

before(async () => {
  emulator = await startGraphEmulator({ token: "sync-token", clients: { [APP]: SECRET }, routes: [(request, e) => directoryRoutes(tenant)(request, e)] });
  restoreCas = trustTestCa();
});
after(async () => {
  restoreCas();
  await emulator.close();
});

const newOut = () => mkdtempSync(path.join(tmpdir(), "retain-sync-"));
/** The warning of a sync run as root (hostile-folder.system.test.ts tests it), left out of stderr: these tests run as root in some places, not in others. */
const ROOT_WARNING_LINE = `warning: ${rootWarning({ ...THIS_HOST, user: 0 })}\n`;
/** A sync in this process (processes.system.test.ts runs it as a process of its own). */
function sync(out: string, extra: string[] = [], env: Record<string, string | undefined> = {}): Promise<MainResult> {
  return runMain(
    ["sync", "--tenant-id", TENANT, "--client-id", APP, "--out", out, "--graph-endpoint", emulator.url, "--authority-host", emulator.url, ...extra],
    {
      env: { RETAIN_SYNC_CLIENT_SECRET: SECRET, ...env },
    },
  ).then((result) => ({ ...result, stderr: result.stderr.replace(ROOT_WARNING_LINE, "") }));
}
const read = (out: string, file: string) => readFileSync(path.join(out, file));
const snapshotOf = (out: string) => ({ users: read(out, "exchangeuser.csv"), groups: read(out, "exchangegroups.csv") });

/** Commas, quotes, line breaks and non-ASCII; users without mail, a guest, a shared mailbox; empty and nested groups; contacts and devices. */
function trickyTenant(): DirectoryTenant {
  const user = (id: string, displayName: string, mail: string | null, proxyAddresses: string[], extra: Record<string, unknown> = {}) => ({
    id,
    displayName,
    mail,
    mailNickname: mail ? mail.split("@")[0]!.toLowerCase() : id,
    userPrincipalName: mail ? mail.toLowerCase() : `${id}@contoso.com`,
    proxyAddresses,
    userType: "Member",
    accountEnabled: true,
    ...extra,
  });
  const group = (id: string, displayName: string, mail: string | null, extra: Record<string, unknown> = {}) => ({
    id,
    displayName,
    mail,
    mailNickname: mail ? mail.split("@")[0] : null,
    proxyAddresses: mail ? [`SMTP:${mail}`] : [],
    mailEnabled: mail !== null,
    ...extra,
  });
  return directoryTenant({
    users: [
      user("u-1", 'Smith, "Jo"', "jo.smith@contoso.com", [
        "smtp:js@contoso.onmicrosoft.com",
        "SMTP:jo.smith@contoso.com",
        "X500:/o=ExchangeLabs/cn=Recipients/cn=abc",
      ]),
      user("u-2", "Zoë Ärger\nLine2", "zoe@contoso.com", ["SMTP:Zoe@contoso.com"]),
      user("u-3", "No Mail", null, []),
      user("u-4", "Guest Person", "guest@fabrikam.com", ["SMTP:guest@fabrikam.com"], { userType: "Guest" }),
      user("u-5", "Info (shared)", "info@contoso.com", ["SMTP:info@contoso.com"], { accountEnabled: false }),
      user("u-6", "Abby", "abby@contoso.com", []),
      user("u-7", "日本 太郎", "taro@contoso.com", ["SMTP:taro@contoso.com", "smtp:Taro.Yamada@contoso.com"]),
    ],
    groups: [
      group("g-1", "All Staff", "all@contoso.com"),
      group("g-2", "Sales, EMEA", "sales@contoso.com"),
      group("g-3", "Empty", "empty@contoso.com"),
      group("g-4", 'Project "X"', "projectx@contoso.com", { groupTypes: ["Unified"] }),
      group("g-5", "Security only", null),
    ],
    others: [
      { id: "c-1", "@odata.type": "#microsoft.graph.orgContact", mail: "partner@fabrikam.com" },
      { id: "d-1", "@odata.type": "#microsoft.graph.device", displayName: "Laptop" },
    ],
    members: new Map([
      ["g-1", ["u-1", "u-2", "u-3", "u-4", "c-1", "d-1", "g-2"]],
      ["g-2", ["u-5", "u-7"]],
      ["g-3", []],
      ["g-4", ["u-6", "g-3", "g-5"]],
      ["g-5", ["u-1"]],
    ]),
  });
}

const EXPECTED_USERS =
  '"DisplayName","Alias","PrimarySmtpAddress","UserPrincipalName","EmailAddresses","ExternalDirectoryObjectId"\r\n' +
  '"Abby","abby","abby@contoso.com","abby@contoso.com","","u-6"\r\n' +
  '"Info (shared)","info","info@contoso.com","info@contoso.com","SMTP:info@contoso.com","u-5"\r\n' +
  '"Smith, ""Jo""","jo.smith","jo.smith@contoso.com","jo.smith@contoso.com","SMTP:jo.smith@contoso.com;smtp:js@contoso.onmicrosoft.com;X500:/o=ExchangeLabs/cn=Recipients/cn=abc","u-1"\r\n' +
  '"日本 太郎","taro","taro@contoso.com","taro@contoso.com","smtp:Taro.Yamada@contoso.com;SMTP:taro@contoso.com","u-7"\r\n' +
  '"Zoë Ärger\nLine2","zoe","Zoe@contoso.com","zoe@contoso.com","SMTP:Zoe@contoso.com","u-2"\r\n';
const EXPECTED_GROUPS =
  '"DisplayName","Alias","PrimarySmtpAddress","ExternalDirectoryObjectId","Members"\r\n' +
  '"All Staff","all","all@contoso.com","g-1","jo.smith@contoso.com;sales@contoso.com;Zoe@contoso.com"\r\n' +
  '"Empty","empty","empty@contoso.com","g-3",""\r\n' +
  '"Project ""X""","projectx","projectx@contoso.com","g-4","abby@contoso.com;empty@contoso.com"\r\n' +
  '"Sales, EMEA","sales","sales@contoso.com","g-2","info@contoso.com;taro@contoso.com"\r\n';

describe("sync: the CSV contract, byte for byte", () => {
  beforeEach(() => {
    tenant = trickyTenant();
  });

  it("writes both files exactly as the contract says (quoting, CRLF, order, no BOM, mode 0640)", async () => {
    const out = newOut();
    const result = await sync(out, ["--json"]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(read(out, "exchangeuser.csv").toString("utf8"), EXPECTED_USERS);
    assert.equal(read(out, "exchangegroups.csv").toString("utf8"), EXPECTED_GROUPS);
    assert.notDeepEqual([...read(out, "exchangeuser.csv").subarray(0, 3)], [0xef, 0xbb, 0xbf]);
    for (const file of ["exchangeuser.csv", "exchangegroups.csv"]) assert.equal(statSync(path.join(out, file)).mode & 0o777, 0o640);
    const summary = JSON.parse(result.stdout) as { users: number; groups: number; memberships: number };
    assert.deepEqual([summary.users, summary.groups, summary.memberships], [5, 4, 7]);
  });

  it("--transitive lists the members of nested groups too", async () => {
    const out = newOut();
    const result = await sync(out, ["--transitive"]);
    assert.equal(result.code, 0, result.stderr);
    const rows = parseContractCsv(read(out, "exchangegroups.csv").toString("utf8"));
    assert.deepEqual(
      rows.map((r) => [r[2], r[4]]),
      [
        ["PrimarySmtpAddress", "Members"],
        ["all@contoso.com", "info@contoso.com;jo.smith@contoso.com;sales@contoso.com;taro@contoso.com;Zoe@contoso.com"],
        ["empty@contoso.com", ""],
        ["projectx@contoso.com", "abby@contoso.com;empty@contoso.com;jo.smith@contoso.com"],
        ["sales@contoso.com", "info@contoso.com;taro@contoso.com"],
      ],
    );
  });

  it("writes the same bytes when Graph pages every answer (users, groups and members in batches)", async () => {
    tenant.maxPageSize = 2;
    const out = newOut();
    const result = await sync(out);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(read(out, "exchangeuser.csv").toString("utf8"), EXPECTED_USERS);
    assert.equal(read(out, "exchangegroups.csv").toString("utf8"), EXPECTED_GROUPS);
    assert.match(result.stdout, /^synced 5 users and 4 groups \(7 memberships\) into .+ in \d+\.\d s \(full read\)\n$/);
  });
});

describe("sync: faults leave correct files or the previous ones", () => {
  let out: string;
  let previous: { users: Buffer; groups: Buffer };
  beforeEach(async () => {
    tenant = trickyTenant();
    emulator.injected.length = 0;
    out = newOut();
    const first = await sync(out);
    assert.equal(first.code, 0, first.stderr);
    previous = snapshotOf(out);
    // A changed directory, so a completed run is told apart from an untouched one.
    (tenant.users[0] as Record<string, unknown>).displayName = "Jo Smith";
  });
  const completed = () => {
    assert.match(read(out, "exchangeuser.csv").toString("utf8"), /"Jo Smith"/);
    assert.equal(read(out, "exchangegroups.csv").toString("utf8"), EXPECTED_GROUPS);
  };
  const untouched = () => assert.deepEqual(snapshotOf(out), previous);

  const recoverable: [string, () => void][] = [
    [
      "a 429 storm with Retry-After",
      () =>
        emulator.injected.push(
          ...Array.from({ length: 3 }, () => ({ ...graphError(429, "TooManyRequests", "Too many requests."), headers: { "retry-after": "1" } })),
        ),
    ],
    [
      "429s on $batch sub-requests",
      () =>
        tenant.subRequestFaults.push(
          ...Array.from({ length: 3 }, () => ({ ...graphError(429, "TooManyRequests", "Too many requests."), headers: { "retry-after": "1" } })),
        ),
    ],
    [
      "503 then 500",
      () =>
        emulator.injected.push(
          { ...graphError(503, "ServiceUnavailable", "x"), headers: { "retry-after": "0" } },
          { ...graphError(500, "InternalServerError", "x"), headers: { "retry-after": "0" } },
        ),
    ],
    ["a connection reset mid-body", () => emulator.injected.push({ status: 200, body: { value: [{ id: "x" }, { id: "y" }] }, fault: "reset" })],
    ["truncated JSON", () => emulator.injected.push({ status: 200, body: { value: [{ id: "x" }, { id: "y" }] }, fault: "truncate" })],
    ["a response slower than --timeout", () => emulator.injected.push({ status: 200, body: { value: [] }, delayMs: 2500 })],
  ];
  for (const [fault, inject] of recoverable) {
    it(`recovers from ${fault}`, async () => {
      inject();
      // Waits (backoff, the pacer's Retry-After) are recorded, not slept; --timeout's clock is real.
      const { value: result } = await withRecordedWaits(() => sync(out, ["--full", "--timeout", "1"]));
      assert.equal(result.code, 0, result.stderr);
      completed();
    });
  }

  it("gives up on a service that stays down: exit 4, files untouched", async () => {
    emulator.injected.push(
      ...Array.from({ length: 12 }, () => ({ ...graphError(503, "ServiceUnavailable", "Service unavailable"), headers: { "retry-after": "0" } })),
    );
    const result = await sync(out, ["--full"]);
    assert.equal(result.code, 4, result.stderr);
    assert.match(
      result.stderr,
      /^retain-m365: (reading (users|groups) from Graph|starting the (users|groups) delta) failed with HTTP 503: ServiceUnavailable: Service unavailable\n$/,
    );
    untouched();
  });

  it("stops on missing permissions: exit 3, files untouched", async () => {
    tenant.forbiddenUntil = Date.now() + 60_000;
    const result = await sync(out);
    assert.equal(result.code, 3);
    assert.match(result.stderr, /was refused \(authentication or permission\): Authorization_RequestDenied/);
    untouched();
  });

  it("stops on a rejected client secret: exit 3, the secret not repeated", async () => {
    const result = await sync(out, [], { RETAIN_SYNC_CLIENT_SECRET: "a-wrong-secret-value" });
    assert.equal(result.code, 3, result.stderr);
    assert.ok(!result.stderr.includes("a-wrong-secret-value") && !result.stdout.includes("a-wrong-secret-value"));
    untouched();
  });

  it("refuses an empty result: exit 5, files untouched; --force writes it", async () => {
    for (const user of [...tenant.users]) removeUser(tenant, user.id);
    const refused = await sync(out);
    assert.equal(refused.code, 5);
    assert.match(refused.stderr, /no mail-enabled users; refusing to write empty files .*; the previous files are left untouched/);
    untouched();
    const forced = await sync(out, ["--force"]);
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(read(out, "exchangeuser.csv").toString("utf8"), EXPECTED_USERS.split("\r\n")[0] + "\r\n");
  });

  it("refuses a user count that shrank more than --max-shrink-percent: exit 5", async () => {
    removeUser(tenant, "u-1");
    removeUser(tenant, "u-2");
    const refused = await sync(out);
    assert.equal(refused.code, 5);
    assert.match(refused.stderr, /the user count would drop from 5 to 3 \(40\.0% > --max-shrink-percent 20\)/);
    untouched();
    assert.equal((await sync(out, ["--max-shrink-percent", "50"])).code, 0);
  });
});

describe("sync: incremental runs (Graph delta)", () => {
  const user = (id: string, name: string, mail: string) => ({
    id,
    displayName: name,
    mail,
    mailNickname: name.toLowerCase(),
    userPrincipalName: mail,
    proxyAddresses: [`SMTP:${mail}`],
    userType: "Member",
    accountEnabled: true,
  });
  const group = (id: string, name: string, mail: string) => ({
    id,
    displayName: name,
    mail,
    mailNickname: name.toLowerCase(),
    proxyAddresses: [`SMTP:${mail}`],
    mailEnabled: true,
  });

  it("after adds, removals, renames and membership changes, writes exactly the bytes a full run writes", async () => {
    tenant = trickyTenant();
    tenant.maxPageSize = 2;
    const out = newOut();
    assert.equal((await sync(out)).code, 0);

    putUser(tenant, user("u-8", "Newcomer", "new@contoso.com"));
    removeUser(tenant, "u-6");
    putUser(tenant, {
      ...tenant.users.find((u) => u.id === "u-7")!,
      displayName: "Taro Yamada",
      proxyAddresses: ["SMTP:taro.yamada@contoso.com", "smtp:taro@contoso.com"],
    });
    setMember(tenant, "g-2", "u-8", true);
    setMember(tenant, "g-1", "u-1", false);
    putGroup(tenant, { ...tenant.groups.find((g) => g.id === "g-2")!, displayName: "Sales, Europe" });
    putGroup(tenant, group("g-6", "Newsletter", "news@contoso.com"));
    setMember(tenant, "g-6", "u-2", true);
    setMember(tenant, "g-6", "u-5", true);
    putGroup(tenant, {
      ...tenant.groups.find((g) => g.id === "g-5")!,
      mail: "secure@contoso.com",
      mailNickname: "secure",
      proxyAddresses: ["SMTP:secure@contoso.com"],
      mailEnabled: true,
    });
    removeGroup(tenant, "g-3");

    const incremental = await sync(out, ["--json"]);
    assert.equal(incremental.code, 0, incremental.stderr);
    assert.equal((JSON.parse(incremental.stdout) as { mode: string }).mode, "delta");
    const reference = newOut();
    assert.equal((await sync(reference, ["--full"])).code, 0);
    assert.deepEqual(snapshotOf(out), snapshotOf(reference));
    assert.match(read(out, "exchangegroups.csv").toString("utf8"), /"Newsletter","newsletter","news@contoso.com","g-6","info@contoso.com;Zoe@contoso.com"/);
  });

  it("an unchanged directory costs a handful of requests and leaves the files alone", async () => {
    tenant = trickyTenant();
    const out = newOut();
    assert.equal((await sync(out)).code, 0);
    const before = tenant.counters.requests;
    const again = await sync(out, ["--json"]);
    assert.equal(again.code, 0, again.stderr);
    const summary = JSON.parse(again.stdout) as { mode: string; unchanged: boolean };
    assert.deepEqual([summary.mode, summary.unchanged], ["delta", true]);
    assert.ok(tenant.counters.requests - before <= 6, `${tenant.counters.requests - before} requests`);
    assert.ok(!existsSync(path.join(out, "backup")) || readdirSync(path.join(out, "backup")).every((name) => name === "state"), "no backup of identical files");
  });

  it("falls back to a full run when Graph has expired the delta state", async () => {
    tenant = trickyTenant();
    const out = newOut();
    assert.equal((await sync(out)).code, 0);
    putUser(tenant, user("u-9", "Late", "late@contoso.com"));
    tenant.oldestValidToken = tenant.seq + 1;
    const result = await sync(out, ["--json"]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal((JSON.parse(result.stdout) as { mode: string }).mode, "full");
    assert.match(read(out, "exchangeuser.csv").toString("utf8"), /"late@contoso.com"/);
  });

  it("a damaged delta state file (cut short) makes the next run a full one with correct files", async () => {
    tenant = trickyTenant();
    const out = newOut();
    assert.equal((await sync(out)).code, 0);
    const state = path.join(out, "backup", "state", "delta.json");
    const text = readFileSync(state, "utf8");
    writeFileSync(state, text.slice(0, Math.floor(text.length / 2)));
    putUser(tenant, user("u-9", "Late", "late@contoso.com"));
    const result = await sync(out, ["--json"]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal((JSON.parse(result.stdout) as { mode: string }).mode, "full");
    assert.match(read(out, "exchangeuser.csv").toString("utf8"), /"late@contoso.com"/);
    const next = await sync(out, ["--json"]);
    assert.equal((JSON.parse(next.stdout) as { mode: string }).mode, "delta", "the full run saved a fresh state");
  });

  it("a refused run does not advance the delta state: the changes are applied once allowed", async () => {
    tenant = trickyTenant();
    const out = newOut();
    assert.equal((await sync(out)).code, 0);
    removeUser(tenant, "u-1");
    removeUser(tenant, "u-2");
    assert.equal((await sync(out)).code, 5);
    const allowed = await sync(out, ["--json", "--max-shrink-percent", "50"]);
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.equal((JSON.parse(allowed.stdout) as { mode: string; users: number }).users, 3);
  });
});

describe("sync: generations of the previous files", () => {
  it("keeps the newest --backups generations of the previous files", async (t) => {
    tenant = trickyTenant();
    const out = newOut();
    // Distinct UTC second stamps: the clock moves on between runs, as it does between nights, without waiting.
    t.mock.timers.enable({ apis: ["Date"], now: Date.now() });
    for (let run = 0; run < 4; run++) {
      putUser(tenant, { ...tenant.users.find((u) => u.id === "u-6")!, displayName: `Abby ${run}` });
      assert.equal((await sync(out, ["--backups", "2"])).code, 0);
      t.mock.timers.tick(1100);
    }
    const generations = readdirSync(path.join(out, "backup"))
      .filter((name) => name !== "state")
      .sort();
    assert.equal(generations.length, 2);
    const newest = path.join(out, "backup", generations[1]!);
    assert.match(readFileSync(path.join(newest, "exchangeuser.csv"), "utf8"), /"Abby 2"/);
    assert.ok(existsSync(path.join(newest, "exchangegroups.csv")));
  });
});

describe("sync: what an existing installation may hold", () => {
  beforeEach(() => {
    tenant = trickyTenant();
  });

  it("counts the users of a file the old sync365.ps1 wrote (BOM, #TYPE line, LF), so the shrink guard holds", async () => {
    const out = newOut();
    const rows = Array.from({ length: 100 }, (_, i) => `User ${i},user${i},user${i}@contoso.com`).join("\n");
    writeFileSync(
      path.join(out, "exchangeuser.csv"),
      `\uFEFF#TYPE Selected.Microsoft.Exchange.Data.Directory.Management.Mailbox\nDisplayName,Alias,PrimarySmtpAddress\n${rows}\n`,
    );
    const result = await sync(out);
    assert.equal(result.code, 5);
    assert.match(result.stderr, /the user count would drop from 100 to 5/);
  });

  it("refuses to replace a users file it cannot count, unless --force", async () => {
    const out = newOut();
    writeFileSync(path.join(out, "exchangeuser.csv"), '"unterminated\n');
    const refused = await sync(out);
    assert.equal(refused.code, 5);
    assert.match(refused.stderr, /is not a CSV this tool can count/);
    assert.equal((await sync(out, ["--force"])).code, 0);
  });

  it("writes mode 0640 files under a restrictive umask (077)", async () => {
    const out = newOut();
    const previous = process.umask(0o077);
    let result: MainResult;
    try {
      result = await sync(out);
    } finally {
      process.umask(previous);
    }
    assert.equal(result.code, 0, result.stderr);
    assert.equal(statSync(path.join(out, "exchangeuser.csv")).mode & 0o777, 0o640);
  });

  it("clears a lock left by a process that is gone, and respects one held by a live process", async () => {
    const out = newOut();
    const lock = path.join(out, ".retain-m365-sync.lock");
    writeFileSync(lock, JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname(), started: "2026-01-01T00:00:00.000Z" }));
    assert.equal((await sync(out)).code, 0);
    assert.ok(!existsSync(lock));
    writeFileSync(lock, JSON.stringify({ pid: process.pid, host: hostname(), started: "2026-01-01T00:00:00.000Z" }));
    const refused = await sync(out);
    assert.equal(refused.code, 5);
    assert.match(refused.stderr, new RegExp(`another sync \\(process ${process.pid}, started 2026-01-01T00:00:00.000Z\\) is writing`));
  });
});

describe("sync: input, secrets and help", () => {
  before(() => {
    tenant = trickyTenant();
  });

  it("never takes the secret as a flag, and never prints it", async () => {
    const out = newOut();
    const flag = await sync(out, ["--client-secret", SECRET]);
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /unknown option '--client-secret'/);
    const ok = await sync(out, ["--json"]);
    assert.equal(ok.code, 0);
    for (const text of [ok.stdout, ok.stderr, flag.stdout]) assert.ok(!text.includes(SECRET));
    for (const name of readdirSync(out, { recursive: true }) as string[]) {
      const file = path.join(out, name);
      if (statSync(file).isFile()) assert.ok(!readFileSync(file, "utf8").includes(SECRET), `${name} holds the secret`);
    }
  });

  it("exits 2 without a credential or with malformed ids", async () => {
    const out = newOut();
    const none = await sync(out, [], { RETAIN_SYNC_CLIENT_SECRET: "" });
    assert.equal(none.code, 2);
    assert.match(none.stderr, /a credential is required: --certificate <pem\|dir>, --client-secret-file <file>, or the secret in RETAIN_SYNC_CLIENT_SECRET/);
    const bad = await runMain(["sync", "--tenant-id", "contoso", "--client-id", APP, "--out", out]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--tenant-id must be a GUID \(got "contoso"\)/);
    const missingOut = await runMain(["sync", "--tenant-id", TENANT, "--client-id", APP]);
    assert.equal(missingOut.code, 2);
  });

  it("--stack takes the tenant from the stack file and the client id from `pulumi stack output`", async () => {
    const bin = mkdtempSync(path.join(tmpdir(), "fake-pulumi-"));
    writeFileSync(path.join(bin, "pulumi"), `#!/bin/sh\necho "$@" > "${bin}/args"\necho '{"applicationClientId":"${APP}","adminPassword":"[secret]"}'\n`, {
      mode: 0o755,
    });
    const out = newOut();
    const result = await runMain(["sync", "--stack", "example", "--out", out, "--graph-endpoint", emulator.url, "--authority-host", emulator.url, "--json"], {
      env: { RETAIN_SYNC_CLIENT_SECRET: SECRET, PATH: `${bin}:${process.env.PATH ?? ""}` },
    });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(readFileSync(path.join(bin, "args"), "utf8").trim(), "stack output --json --stack example");
    assert.equal(read(out, "exchangeuser.csv").toString("utf8"), EXPECTED_USERS);
  });

  it("--stack without --out writes into the stack's directorySync.outputDir; without --stack, --out is asked for (exit 2)", async () => {
    const stacksDir = mkdtempSync(path.join(tmpdir(), "retain-stacks-"));
    const out = newOut();
    const config = { ...validRawValues(), "azuread:tenantId": TENANT, "retain-m365:directorySync": { outputDir: out } };
    writeFileSync(path.join(stacksDir, "Pulumi.nightly.yaml"), stringify({ config }));
    const result = await runMain(
      [
        "sync",
        "--stack",
        "nightly",
        "--stacks-dir",
        stacksDir,
        "--client-id",
        APP,
        "--graph-endpoint",
        emulator.url,
        "--authority-host",
        emulator.url,
        "--json",
      ],
      { env: { RETAIN_SYNC_CLIENT_SECRET: SECRET } },
    );
    assert.equal(result.code, 0, result.stderr);
    assert.equal((JSON.parse(result.stdout) as { outDir: string }).outDir, out);
    assert.equal(read(out, "exchangeuser.csv").toString("utf8"), EXPECTED_USERS);
    const withoutOut = await runMain(["sync", "--tenant-id", TENANT, "--client-id", APP], { env: { RETAIN_SYNC_CLIENT_SECRET: SECRET } });
    assert.equal(withoutOut.code, 2);
    assert.equal(withoutOut.stderr, "retain-m365: --out <dir> (or --stack) is required\n");
  });

  it("names every missing value at once, in one sentence, exit 2", async () => {
    const nothing = await runMain(["sync"], { env: { RETAIN_SYNC_CLIENT_SECRET: "" } });
    assert.equal(nothing.code, 2);
    assert.equal(
      nothing.stderr,
      "retain-m365: --tenant-id (or --stack) is required; --client-id is required; --out <dir> (or --stack) is required; " +
        "a credential is required: --certificate <pem|dir>, --client-secret-file <file>, or the secret in RETAIN_SYNC_CLIENT_SECRET\n",
    );
  });

  it("--stack without the Pulumi CLI or --client-id says what to do (exit 2); --stack excludes --tenant-id", async () => {
    const empty = mkdtempSync(path.join(tmpdir(), "no-pulumi-"));
    const result = await runMain(["sync", "--stack", "example", "--out", newOut()], { env: { RETAIN_SYNC_CLIENT_SECRET: SECRET, PATH: empty } });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--stack example: cannot read the output applicationClientId \(the Pulumi CLI is not on PATH\); pass --client-id instead/);
    const both = await runMain(["sync", "--stack", "example", "--tenant-id", TENANT, "--out", newOut()]);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /cannot be used with/);
  });

  it("documents every option of the contract in --help", async () => {
    const help = await runMain(["sync", "--help"]);
    assert.equal(help.code, 0);
    for (const option of [
      "--stack",
      "--tenant-id",
      "--client-id",
      "--out",
      "--certificate",
      "--cloud",
      "--graph-endpoint",
      "--authority-host",
      "--backups",
      "--max-shrink-percent",
      "--force",
      "--transitive",
      "--json",
      "RETAIN_SYNC_CLIENT_SECRET",
    ]) {
      assert.ok(help.stdout.includes(option), `--help lacks ${option}`);
    }
  });

  it("replaces the empty files a failed PowerShell sync left behind", async () => {
    const out = newOut();
    writeFileSync(path.join(out, "exchangeuser.csv"), "");
    writeFileSync(path.join(out, "exchangegroups.csv"), "");
    const result = await sync(out);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(read(out, "exchangeuser.csv").toString("utf8"), EXPECTED_USERS);
  });
});

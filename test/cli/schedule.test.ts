import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { stringify } from "yaml";
import { REPO_ROOT } from "../support/cli";
import { validRawValues } from "../support/configs";
import { runMain } from "../support/contract";
import { packageInstallation, REPOSITORY_INSTALLATION } from "../../cli/installation";
import { jobCommand } from "../../job/command";

// `schedule` in-process; schedule.system.test.ts holds the units to systemd-analyze and runs the job they start.

const TENANT = "00000000-0000-4000-8000-0000000000aa";
const APP = "00000000-0000-4000-8000-0000000000bb";
const ids = ["--tenant-id", TENANT, "--client-id", APP];
/** A launcher outside /root and /home (where this checkout may live), as the Retain-server package's is. */
const LAUNCHER = path.join(mkdtempSync(path.join(tmpdir(), "retain-package-")), "retain-m365");
writeFileSync(LAUNCHER, `#!/bin/sh\nexec '${process.execPath}' '${path.join(REPO_ROOT, "bin", "retain-m365.js")}' "$@"\n`, { mode: 0o755 });
const launcher = ["--launcher", LAUNCHER];

describe("schedule --windows", () => {
  it("prints well-formed Task Scheduler XML with the sync command and a daily trigger", async () => {
    const result = await runMain(["schedule", "--windows", ...ids, "--at", "01:05", "--random-delay", "45"]);
    assert.equal(result.code, 0, result.stderr);
    const text = result.stdout.replace(/^# ---- retain-m365-sync\.xml ----\n/, "");
    assert.equal(XMLValidator.validate(text), true);
    const task = (new XMLParser().parse(text) as { Task: Record<string, Record<string, unknown>> }).Task;
    const trigger = (task.Triggers as { CalendarTrigger: Record<string, unknown> }).CalendarTrigger;
    assert.equal(trigger.StartBoundary, "2026-01-01T01:05:00");
    assert.equal(trigger.RandomDelay, "PT45M");
    assert.deepEqual(trigger.ScheduleByDay, { DaysInterval: 1 });
    const exec = (task.Actions as { Exec: { Command: string; Arguments: string } }).Exec;
    assert.equal(exec.Command, "C:\\Program Files\\retain-m365-sync\\retain-m365.cmd");
    assert.equal(
      exec.Arguments,
      `sync --tenant-id ${TENANT} --client-id ${APP} --authority-host https://login.microsoftonline.com --out "C:\\Program Files\\Beginfinite\\Retain\\RetainServer\\WEB-INF\\cfg" --client-secret-file C:\\ProgramData\\retain-m365\\client-secret`,
    );
    assert.equal((task.Settings as Record<string, unknown>).MultipleInstancesPolicy, "IgnoreNew");
    assert.deepEqual(
      task.Principals,
      { Principal: { UserId: "retain-m365", LogonType: "Password", RunLevel: "LeastPrivilege" } },
      "its own account, which runs whether or not anyone is logged on",
    );
  });

  it("runs as a gMSA when asked to", async () => {
    const result = await runMain(["schedule", "--windows", ...ids, "--user", "CONTOSO\\retain-m365$"]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /<UserId>CONTOSO\\retain-m365\$<\/UserId>\s*<LogonType>Password<\/LogonType>/);
  });
});

describe("schedule: the job never runs as an account the whole system shares", () => {
  for (const [flag, user] of [
    ["--windows", "S-1-5-20"],
    ["--windows", "NT AUTHORITY\\NETWORK SERVICE"],
    ["--windows", "SYSTEM"],
    ["--windows", "S-1-5-19"],
    ["--systemd", "root"],
    ["--systemd", "0"],
    ["--systemd", "nobody"],
  ] as const) {
    it(`refuses ${flag} --user ${user} with exit 2`, async () => {
      const result = await runMain(["schedule", flag, ...ids, "--user", user]);
      assert.equal(result.code, 2);
      assert.equal(result.stdout, "");
      assert.match(result.stderr, /^retain-m365: --user .* is an account the whole system shares: run the job as an account of its own/);
    });
  }
});

describe("schedule: a value systemd would not read", () => {
  // systemd ignores a unit's line holding a Unicode noncharacter ("String is not UTF-8 clean"): the
  // job would have no ExecStart= or no User=.
  for (const [flag, value] of [
    ["--out", "/srv/retain/cfg\uFFFE"],
    ["--out", "/srv/retain/\uFDD0cfg"],
    ["--user", "retain\u{1FFFF}"],
  ] as const) {
    it(`refuses ${flag} ${value.replace(/[^\x20-\x7e]/gu, (c) => `U+${c.codePointAt(0)!.toString(16).toUpperCase()}`)} with exit 2, naming the flag`, async () => {
      const result = await runMain(["schedule", "--systemd", ...ids, "--out", "/srv/retain/cfg", flag, value]);
      assert.equal(result.code, 2, result.stderr);
      assert.equal(result.stdout, "");
      assert.match(
        result.stderr,
        new RegExp(`^retain-m365: ${flag} must not contain control characters such as line breaks, tabs or NUL, nor Unicode noncharacters`),
      );
    });
  }
});

describe("schedule --stack: the output folder is the stack's directorySync.outputDir unless --out is given", () => {
  const stacksDir = mkdtempSync(path.join(tmpdir(), "retain-stacks-"));
  const stackWithOutput = (name: string, outputDir: string) =>
    writeFileSync(
      path.join(stacksDir, `Pulumi.${name}.yaml`),
      stringify({ config: { ...validRawValues(), "azuread:tenantId": TENANT, "retain-m365:directorySync": { outputDir } } }),
    );
  const taskArguments = (stdout: string) =>
    (new XMLParser().parse(stdout.replace(/^# ---- retain-m365-sync\.xml ----\n/, "")) as { Task: { Actions: { Exec: { Arguments: string } } } }).Task.Actions
      .Exec.Arguments;

  it("--windows puts the stack's folder into the Task Scheduler XML; --out overrides it", async () => {
    stackWithOutput("windows", "D:\\Retain\\RetainServer\\WEB-INF\\cfg");
    const fromStack = await runMain(["schedule", "--windows", "--stack", "windows", "--stacks-dir", stacksDir, "--client-id", APP]);
    assert.equal(fromStack.code, 0, fromStack.stderr);
    assert.equal(
      taskArguments(fromStack.stdout),
      `sync --tenant-id ${TENANT} --client-id ${APP} --authority-host https://login.microsoftonline.com --out D:\\Retain\\RetainServer\\WEB-INF\\cfg --client-secret-file C:\\ProgramData\\retain-m365\\client-secret`,
    );
    const overridden = await runMain(["schedule", "--windows", "--stack", "windows", "--stacks-dir", stacksDir, "--client-id", APP, "--out", "E:\\cfg"]);
    assert.equal(overridden.code, 0, overridden.stderr);
    assert.match(taskArguments(overridden.stdout), / --out E:\\cfg /);
  });

  it("--systemd writes into the stack's folder", async () => {
    stackWithOutput("linux", "/srv/retain/cfg");
    const result = await runMain(["schedule", "--systemd", ...launcher, "--stack", "linux", "--stacks-dir", stacksDir, "--client-id", APP]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^ReadWritePaths=\/srv\/retain\/cfg$/m);
    assert.match(result.stdout, / --out \/srv\/retain\/cfg /);
  });

  it("passes the stack's backups and shrink limit to the nightly sync, fractions included", async () => {
    writeFileSync(
      path.join(stacksDir, "Pulumi.guarded.yaml"),
      stringify({
        config: {
          ...validRawValues(),
          "azuread:tenantId": TENANT,
          "retain-m365:directorySync": { outputDir: "/srv/retain/cfg", backups: 30, maxShrinkPercent: 12.5 },
        },
      }),
    );
    const result = await runMain(["schedule", "--systemd", ...launcher, "--stack", "guarded", "--stacks-dir", stacksDir, "--client-id", APP]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, / --out \/srv\/retain\/cfg --backups 30 --max-shrink-percent 12\.5 /);
  });

  it("refuses a stack folder of the other system (exit 2), which the job could not write to", async () => {
    stackWithOutput("linux-only", "/srv/retain/cfg");
    const result = await runMain(["schedule", "--windows", "--stack", "linux-only", "--stacks-dir", stacksDir, "--client-id", APP]);
    assert.equal(result.code, 2);
    assert.equal(
      result.stderr,
      "retain-m365: --stack linux-only: its directorySync.outputDir /srv/retain/cfg is not a Windows folder; set one there or give --out <dir>\n",
    );
  });
});

describe("schedule --stack: the client secret's end date from the stack output applicationSecretExpires", () => {
  const stacksDir = mkdtempSync(path.join(tmpdir(), "retain-stacks-"));
  writeFileSync(
    path.join(stacksDir, "Pulumi.dated.yaml"),
    stringify({ config: { ...validRawValues(), "azuread:tenantId": TENANT, "retain-m365:directorySync": { outputDir: "/srv/retain/cfg" } } }),
  );
  /** A `pulumi` on PATH that answers `stack output --json` with these outputs. */
  const withOutputs = (outputs: Record<string, unknown>) => {
    const bin = mkdtempSync(path.join(tmpdir(), "retain-pulumi-"));
    writeFileSync(path.join(bin, "pulumi"), `#!/bin/sh\necho '${JSON.stringify({ applicationClientId: APP, ...outputs })}'\n`, { mode: 0o755 });
    return { PATH: `${bin}:${process.env.PATH}` };
  };
  const schedule = async (outputs: Record<string, unknown>, ...extra: string[]) => {
    const result = await runMain(["schedule", "--systemd", ...launcher, "--stack", "dated", "--stacks-dir", stacksDir, ...extra], {
      env: withOutputs(outputs),
    });
    assert.equal(result.code, 0, result.stderr);
    return /^ExecStart=(.*)$/m.exec(result.stdout)?.[1] ?? "";
  };

  it("fills --secret-expires into the nightly job when the stack has the output", async () => {
    assert.match(
      await schedule({ applicationSecretExpires: "2027-05-31T04:00:00Z" }),
      / --out \/srv\/retain\/cfg --secret-expires 2027-05-31T04:00:00Z --client-secret-file %d\/client-secret$/,
    );
  });

  it("writes no --secret-expires without the output, or when the job signs in with a certificate", async () => {
    assert.doesNotMatch(await schedule({}), /--secret-expires/);
    assert.doesNotMatch(await schedule({ applicationSecretExpires: "2027-05-31T04:00:00Z" }, "--certificate", "/etc/retain-m365/app.pem"), /--secret-expires/);
  });

  it("takes --secret-expires over the output, and refuses a value that is not an ISO date (exit 2)", async () => {
    assert.match(await schedule({ applicationSecretExpires: "2027-05-31T04:00:00Z" }, "--secret-expires", "2027-06-01"), / --secret-expires 2027-06-01 /);
    const bad = await runMain(["schedule", "--systemd", ...launcher, ...ids, "--secret-expires", "31.05.2027"]);
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr, 'retain-m365: --secret-expires must be an ISO date such as 2027-05-31 or 2027-05-31T12:00:00Z (got "31.05.2027")\n');
  });
});

describe("schedule: input", () => {
  it("exits 2 without --systemd or --windows, with both, or with a bad time", async () => {
    assert.match((await runMain(["schedule", ...ids])).stderr, /schedule needs --systemd or --windows/);
    assert.equal((await runMain(["schedule", "--systemd", "--windows", ...ids])).code, 2);
    const bad = await runMain(["schedule", "--systemd", ...launcher, ...ids, "--at", "25:00"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--at must be a time as HH:MM \(got "25:00"\)/);
  });

  it("documents its options", async () => {
    const help = await runMain(["schedule", "--help"]);
    for (const option of [
      "--systemd",
      "--windows",
      "--stack",
      "--tenant-id",
      "--client-id",
      "--out",
      "--at",
      "--random-delay",
      "--user",
      "--secret-file",
      "--certificate",
      "--write-to",
    ]) {
      assert.ok(help.stdout.includes(option), `--help lacks ${option}`);
    }
  });
});

describe("schedule: what the job starts", () => {
  it("from a checkout: this Node with this checkout's bin/retain-m365.js; from the package: the package's own launcher", () => {
    assert.deepEqual(jobCommand({}, REPOSITORY_INSTALLATION).words, [process.execPath, path.join(REPO_ROOT, "bin", "retain-m365.js")]);
    const unpacked = packageInstallation("/opt/retain-m365-sync/lib/retain-m365-sync.cjs", "linux");
    assert.deepEqual(jobCommand({}, unpacked).words, ["/opt/retain-m365-sync/bin/retain-m365"]);
    assert.deepEqual(packageInstallation("D:\\Tools\\retain-m365-sync\\lib\\retain-m365-sync.cjs", "win32"), {
      packageLauncher: "D:\\Tools\\retain-m365-sync\\retain-m365.cmd",
    });
    // A Windows job made on a Linux machine runs the package where README installs it.
    assert.deepEqual(jobCommand({ windows: true }, unpacked).words, ["C:\\Program Files\\retain-m365-sync\\retain-m365.cmd"]);
  });

  it("--windows with --node/--cli runs a checkout: Node as the command, the script as the first argument", async () => {
    const result = await runMain(["schedule", "--windows", ...ids, "--node", "C:\\Node 22\\node.exe", "--cli", "D:\\retain-m365\\bin\\retain-m365.js"]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /<Command>C:\\Node 22\\node\.exe<\/Command>/);
    assert.match(result.stdout, /<Arguments>D:\\retain-m365\\bin\\retain-m365\.js sync --tenant-id /);
  });

  it("refuses (exit 2) a systemd job that would start something under /root or /home, which ProtectHome=yes hides", async () => {
    const underRoot = await runMain(["schedule", "--systemd", ...ids, "--launcher", "/root/retain-m365-sync/bin/retain-m365"]);
    assert.equal(underRoot.code, 2);
    assert.equal(
      underRoot.stderr,
      "retain-m365: --launcher: the job would start /root/retain-m365-sync/bin/retain-m365, which lies under /root, and the unit's ProtectHome=yes hides that folder from the job " +
        "(it would fail with 203/EXEC); unpack the Retain-server package to /opt/retain-m365-sync and give --launcher, or put the checkout outside /root and /home\n",
    );
    const checkout = await runMain(["schedule", "--systemd", ...ids, "--node", "/usr/bin/node", "--cli", "/home/alice/retain-m365/bin/retain-m365.js"]);
    assert.equal(checkout.code, 2);
    assert.match(
      checkout.stderr,
      /^retain-m365: --node\/--cli: the job would start \/home\/alice\/retain-m365\/bin\/retain-m365\.js, which lies under \/home,/,
    );
    assert.match((await runMain(["schedule", "--systemd", ...ids, "--launcher", "retain-m365-sync/bin/retain-m365"])).stderr, /systemd needs an absolute path/);
    assert.equal((await runMain(["schedule", "--systemd", ...ids, ...launcher, "--node", "/usr/bin/node"])).code, 2);
  });

  it("refuses (exit 2) a folder to write under /home; warns when something lies under /tmp, which PrivateTmp=yes replaces", async () => {
    const home = await runMain(["schedule", "--systemd", ...ids, ...launcher, "--out", "/home/retain/cfg"]);
    assert.equal(home.code, 2);
    assert.equal(
      home.stderr,
      "retain-m365: --out: the job would write to /home/retain/cfg, which lies under /home, and the unit's ProtectHome=yes hides that folder from the job; choose a folder elsewhere\n",
    );
    assert.equal((await runMain(["schedule", "--systemd", ...ids, ...launcher, "--out", "/srv/cfg", "--metrics-file", "/root/metrics/retain.prom"])).code, 2);
    const tmp = await runMain(["schedule", "--systemd", ...ids, "--launcher", "/opt/retain-m365-sync/bin/retain-m365", "--out", "/var/tmp/cfg"]);
    assert.equal(tmp.code, 0, tmp.stderr);
    assert.equal(
      tmp.stderr,
      "warning: --out: /var/tmp/cfg lies under /var/tmp, which the unit's PrivateTmp=yes replaces with an empty folder for the job: the job will not see what is there now\n",
    );
    assert.equal((await runMain(["schedule", "--systemd", ...ids, "--launcher", "/opt/retain-m365-sync/bin/retain-m365", "--out", "/srv/cfg"])).stderr, "");
  });
});

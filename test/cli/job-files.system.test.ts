import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { describe, it } from "node:test";
import fc from "fast-check";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { directorySyncSchema } from "../../config/schema";
import { INSTALLED_LAUNCHER } from "../../core/server-package";
import { scheduleCommandLine } from "../../job/install-command";
import { runMain } from "../support/contract";

const TENANT = "00000000-0000-4000-8000-0000000000aa";
const APP = "00000000-0000-4000-8000-0000000000bb";
const ids = ["--tenant-id", TENANT, "--client-id", APP];
const RUNS = {
  numRuns: Number(process.env.PROPERTY_RUNS ?? 120),
  interruptAfterTimeLimit: Number(process.env.PROPERTY_TIME_MS ?? 6000),
  markInterruptAsFailure: false,
};

/** What an attacker would write into a value: line breaks, quotes, specifiers, variables, separators, markup, NUL. */
const NASTY = [
  "\n",
  "\r",
  "\0",
  "\t",
  '"',
  "'",
  "%",
  "%n",
  "$",
  "${X}",
  ";",
  "&",
  "<",
  ">",
  "\\",
  " ",
  "\nExecStartPre=+/bin/sh -c id",
  "</Arguments><Exec>",
  "&&",
  "|",
  "^",
  "!",
  "\u2028",
  // Unicode noncharacters: systemd ignores a line holding one ("String is not UTF-8 clean").
  "\uFFFE",
  "\uFDD0",
  "\u{10FFFF}",
];
const nastyText = fc
  .array(fc.oneof(fc.constantFrom(...NASTY), fc.string({ maxLength: 6 }), fc.string({ unit: "binary", maxLength: 3 })), { minLength: 1, maxLength: 5 })
  .map((parts) => parts.join(""));
const nastyPosixPath = nastyText.map((text) => `/srv/${text}`);
const nastyWindowsPath = nastyText.map((text) => `C:\\Retain ${text}`);

/** A unit file as systemd reads the lines this generator writes: sections, comments, key=value; nothing else. */
function unitDirectives(unit: string): Map<string, string[]> {
  const directives = new Map<string, string[]>();
  let section = "";
  for (const line of unit.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const header = /^\[(\w+)\]$/.exec(line);
    if (header) {
      section = header[1]!;
      continue;
    }
    const setting = /^([A-Za-z]+)=(.*)$/.exec(line);
    assert.ok(setting && section, `a line systemd would not read as one setting: ${JSON.stringify(line)}`);
    assert.ok(!line.endsWith("\\"), `a continued line: ${JSON.stringify(line)}`);
    const key = `${section}.${setting[1]}`;
    directives.set(key, [...(directives.get(key) ?? []), setting[2]!]);
  }
  return directives;
}

/** systemd's word splitting with its unquoting and escapes (systemd.syntax(7)), then specifiers and $$ undone. */
function systemdWords(value: string, variables: boolean): string[] {
  const words: string[] = [];
  const pattern = /"((?:[^"\\]|\\.)*)"|((?:[^\s"\\]|\\.)+)/g;
  for (let match = pattern.exec(value); match; match = pattern.exec(value)) {
    const raw = (match[1] ?? match[2]!).replace(/\\(.)/g, "$1").replace(/%%/g, "%");
    words.push(variables ? raw.replace(/\$\$/g, "$") : raw);
  }
  return words;
}

/** CommandLineToArgvW for what the generator writes (no embedded quotes): quoted words, 2n backslashes before a closing quote are n. */
function windowsArguments(line: string): string[] {
  const words: string[] = [];
  const pattern = /"((?:[^"\\]|\\(?!\\*"$)|\\+(?="))*)"|(\S+)/g;
  for (let match = pattern.exec(line); match; match = pattern.exec(line)) {
    words.push(match[1] !== undefined ? match[1].replace(/(\\+)$/, (slashes) => slashes.slice(slashes.length / 2)) : match[2]!);
  }
  return words;
}

const SERVICE_KEYS = [
  "Unit.Description",
  "Unit.Wants",
  "Unit.After",
  "Service.Type",
  "Service.User",
  "Service.ExecStart",
  "Service.LoadCredential",
  "Service.UMask",
  "Service.ProtectSystem",
  "Service.ReadWritePaths",
];

describe("schedule --systemd writes only the intended directives, whatever the values", () => {
  it("a value with a line break, quote, %, $, ;, &, <, NUL or a Unicode noncharacter is written so systemd reads it back as itself, or refused naming its flag", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "retain-generated-units-"));
    const launcher = path.join(dir, "retain-m365");
    writeFileSync(launcher, "#!/bin/sh\n", { mode: 0o755 });
    const accepted: string[] = [];
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          user: fc.option(nastyText, { nil: undefined }),
          out: nastyPosixPath,
          metrics: fc.option(nastyPosixPath, { nil: undefined }),
          secretFile: nastyPosixPath,
          launcher: fc.option(nastyPosixPath, { nil: undefined }),
        }),
        async (values) => {
          const args = ["schedule", "--systemd", ...ids, "--launcher", values.launcher ?? launcher, "--out", values.out, "--secret-file", values.secretFile];
          if (values.user !== undefined) args.push("--user", values.user);
          if (values.metrics !== undefined) args.push("--metrics-file", values.metrics);
          const result = await runMain(args);
          if (result.code === 2) {
            assert.match(result.stderr, /^retain-m365: (--user|--out|--secret-file|--metrics-file|--launcher):? /, result.stderr);
            return;
          }
          assert.equal(result.code, 0, result.stderr);
          const service = result.stdout.split("# ---- retain-m365-sync.timer ----")[0]!.replace("# ---- retain-m365-sync.service ----\n", "");
          const directives = unitDirectives(service);
          for (const key of SERVICE_KEYS) assert.ok(directives.has(key), key);
          assert.deepEqual(directives.get("Service.ExecStart")?.length, 1);
          assert.ok([...directives.keys()].every((key) => key.startsWith("Unit.") || key.startsWith("Service.")));
          assert.ok(!directives.has("Service.ExecStartPre") && !directives.has("Service.ExecStartPost"));
          // User= is the whole value, specifiers expanded.
          assert.equal(directives.get("Service.User")![0]!.replace(/%%/g, "%"), values.user ?? "retain-m365");
          const expected = [
            values.launcher ?? launcher,
            "sync",
            ...ids,
            "--authority-host",
            "https://login.microsoftonline.com",
            "--out",
            values.out,
            ...(values.metrics ? ["--metrics-file", values.metrics] : []),
            "--client-secret-file",
            "%d/client-secret",
          ];
          assert.deepEqual(systemdWords(directives.get("Service.ExecStart")![0]!, true), expected);
          const writable = directives.get("Service.ReadWritePaths")!.flatMap((line) => systemdWords(line, false));
          assert.deepEqual(writable, [values.out, ...(values.metrics ? [path.posix.dirname(values.metrics)] : [])]);
          assert.equal(directives.get("Service.LoadCredential")![0]!.replace(/%%/g, "%"), `client-secret:${values.secretFile}`);
          if (accepted.length < 4 && values.launcher === undefined) accepted.push(service);
        },
      ),
      RUNS,
    );
    assert.ok(accepted.length > 0, "some generated values are accepted");
    for (const [index, service] of accepted.entries()) {
      const unitDir = path.join(dir, String(index));
      mkdirSync(unitDir);
      writeFileSync(path.join(unitDir, "retain-m365-sync.service"), service);
      const verify = await promisify(execFile)("systemd-analyze", ["verify", path.join(unitDir, "retain-m365-sync.service")], { encoding: "utf8" });
      // A user name outside systemd's strict rules is accepted with this notice; nothing else may be remarked.
      const remarks = (verify.stdout + verify.stderr)
        .split("\n")
        .filter((line) => line !== "" && !/^Accepting user\/group name .*, which does not match strict user\/group name rules\.$/.test(line));
      assert.deepEqual(remarks, [], service);
    }
  });

  it("refuses each of the issue's examples with exit 2 naming the flag", async () => {
    for (const [flag, value] of [
      ["--user", "retain\nExecStartPre=+/bin/sh -c id"],
      ["--out", "/srv/cfg\nExecStartPre=+/bin/sh"],
      ["--secret-file", "/etc/x\0y"],
      ["--user", "a:b"],
    ] as const) {
      const result = await runMain(["schedule", "--systemd", ...ids, "--launcher", INSTALLED_LAUNCHER.linux, flag, value]);
      assert.equal(result.code, 2, `${flag} ${JSON.stringify(value)}`);
      assert.match(result.stderr, new RegExp(`^retain-m365: ${flag} `));
    }
  });

  it("a unit written from values with spaces, quotes, %, $ and ; passes systemd-analyze verify", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "retain-hostile-units-"));
    const launcher = path.join(dir, "retain-m365");
    writeFileSync(launcher, "#!/bin/sh\n", { mode: 0o755 });
    const result = await runMain([
      "schedule",
      "--systemd",
      ...ids,
      "--launcher",
      launcher,
      "--out",
      '/srv/100% "cfg" $HOME; a&b <c>',
      "--metrics-file",
      "/var/lib/node exporter/$x%n.prom",
      "--write-to",
      dir,
    ]);
    assert.equal(result.code, 0, result.stderr);
    const verify = await promisify(execFile)(
      "systemd-analyze",
      ["verify", path.join(dir, "retain-m365-sync.service"), path.join(dir, "retain-m365-sync.timer")],
      { encoding: "utf8" },
    );
    assert.equal(verify.stdout + verify.stderr, "");
  });
});

describe("schedule --windows writes only the intended elements, whatever the values", () => {
  const elementsOf = (node: unknown, prefix = ""): string[] =>
    node !== null && typeof node === "object"
      ? Object.entries(node).flatMap(([key, value]) =>
          key.startsWith("@_") || key === "#text" ? [] : [`${prefix}${key}`, ...elementsOf(value, `${prefix}${key}/`)],
        )
      : [];
  let expectedElements: string[] | undefined;

  it("a value with a quote, %, &, < or a line break parses back as itself in the task XML, or is refused naming its flag", async () => {
    const parser = new XMLParser({ ignoreAttributes: false, parseTagValue: false, trimValues: false });
    await fc.assert(
      fc.asyncProperty(
        fc.record({ user: fc.option(nastyText, { nil: undefined }), out: nastyWindowsPath, certificate: fc.option(nastyWindowsPath, { nil: undefined }) }),
        async (values) => {
          const args = ["schedule", "--windows", ...ids, "--out", values.out];
          if (values.user !== undefined) args.push("--user", values.user);
          if (values.certificate !== undefined) args.push("--certificate", values.certificate);
          const result = await runMain(args);
          if (result.code === 2) {
            assert.match(result.stderr, /^retain-m365: (--user|--out|--certificate) /, result.stderr);
            return;
          }
          assert.equal(result.code, 0, result.stderr);
          const xml = result.stdout.replace(/^# ---- .*\n/, "");
          assert.equal(XMLValidator.validate(xml), true);
          const task = parser.parse(xml) as {
            Task: { Principals: { Principal: { UserId: string } }; Actions: { Exec: { Command: string; Arguments: string } } };
          };
          const elements = elementsOf(task).sort();
          expectedElements ??= elements;
          assert.deepEqual(elements, expectedElements);
          assert.equal(task.Task.Principals.Principal.UserId, values.user ?? "retain-m365");
          const secret = values.certificate ? ["--certificate", values.certificate] : ["--client-secret-file", "C:\\ProgramData\\retain-m365\\client-secret"];
          assert.deepEqual(windowsArguments(task.Task.Actions.Exec.Arguments), [
            "sync",
            ...ids,
            "--authority-host",
            "https://login.microsoftonline.com",
            "--out",
            values.out,
            ...secret,
          ]);
        },
      ),
      RUNS,
    );
  });
});

describe("the stack output nightlySyncInstallCommand", () => {
  it("passes every folder the schema accepts to schedule as one word, and nothing runs but schedule", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "retain-install-"));
    const printer = path.join(dir, "print-arguments");
    writeFileSync(printer, "#!/bin/sh\nprintf '%s\\0' \"$@\"\n", { mode: 0o755 });
    fc.assert(
      fc.property(nastyPosixPath, (outputDir) => {
        if (!directorySyncSchema.safeParse({ outputDir }).success) return;
        const line = scheduleCommandLine({ tenantId: TENANT, clientId: APP, outputDir, secretExpires: "2027-05-31T00:00:00Z" });
        assert.ok(line.startsWith(`${INSTALLED_LAUNCHER.linux} `));
        const printed = execFileSync("sh", ["-c", printer + line.slice(INSTALLED_LAUNCHER.linux.length)], { encoding: "utf8", cwd: dir });
        assert.deepEqual(printed.split("\0").slice(0, -1), [
          "schedule",
          "--systemd",
          ...ids,
          "--out",
          outputDir,
          "--secret-expires",
          "2027-05-31T00:00:00Z",
          "--write-to",
          "/etc/systemd/system",
        ]);
      }),
      { numRuns: 40, interruptAfterTimeLimit: 5000 },
    );
  });

  it("refuses an outputDir with a line break in the stack file, naming the key", () => {
    const result = directorySyncSchema.safeParse({ outputDir: "/srv/cfg\nExecStartPre=+/bin/sh" });
    assert.equal(result.success, false);
    assert.match(JSON.stringify(result.error?.issues), /control characters/);
  });
});

import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import type { Command } from "commander";
import { buildCli } from "../../cli/main";
import { SECRET_ENVIRONMENT_VARIABLE } from "../../cli/sync";
import { assertContract, exitCodeTable, runMain } from "../support/contract";

const SECRET = "0ffe1abc-secret-MARKER-never-printed";
const silent = { stdout: () => undefined, stderr: () => undefined };

/** Every subcommand (`credential new` as one) and its options, read from the CLI itself. */
function subcommands(): { name: string; words: string[]; options: { flag: string; takesValue: boolean; path: boolean }[] }[] {
  const leaves: { command: Command; words: string[] }[] = [];
  const walk = (command: Command, words: string[]) => {
    if (command.commands.length === 0) leaves.push({ command, words });
    for (const child of command.commands) walk(child, [...words, child.name()]);
  };
  walk(buildCli(silent), []);
  return leaves.map(({ command, words }) => ({
    name: words[0]!,
    words,
    options: command.options.map((option) => ({
      flag: option.long!,
      takesValue: option.required || option.optional,
      path: /<(dir|path|file|pem|file\|dir)>/.test(option.flags),
    })),
  }));
}

describe("any arguments: an exit code of the contract, never 1, no stack trace, no secret echoed", () => {
  const cwd = process.cwd();
  const work = mkdtempSync(path.join(tmpdir(), "retain-argv-"));
  const fixtures = {
    garbage: path.join(work, "garbage.pem"),
    keyOnly: path.join(work, "key-only.pem"),
    empty: path.join(work, "empty"),
    folder: path.join(work, "folder"),
    stacks: path.join(work, "stacks"),
    missing: path.join(work, "missing", "deeper"),
    underFile: path.join(work, "garbage.pem", "child"),
  };
  const saved = { secret: process.env[SECRET_ENVIRONMENT_VARIABLE], cloudflare: process.env.CLOUDFLARE_API_TOKEN, authority: process.env.AZURE_AUTHORITY_HOST };
  // Whatever the arguments, every service is a closed loopback port: nothing generated here leaves this machine.
  const CLOSED = "https://127.0.0.1:9";
  const offlineFor: Record<string, string[]> = {
    verify: ["--resolver", "127.0.0.1:9", "--autodiscover-url", CLOSED],
    sync: ["--graph-endpoint", CLOSED, "--authority-host", CLOSED],
    adopt: [
      "--cloudflare-endpoint",
      CLOSED,
      "--exchange-endpoint",
      CLOSED,
      "--compliance-endpoint",
      CLOSED,
      "--graph-endpoint",
      CLOSED,
      "--authority-host",
      CLOSED,
    ],
  };

  before(() => {
    writeFileSync(fixtures.garbage, "not a certificate\n");
    writeFileSync(fixtures.keyOnly, `-----BEGIN PRIVATE KEY-----\n${SECRET}\n-----END PRIVATE KEY-----\n`);
    writeFileSync(fixtures.empty, "");
    mkdirSync(fixtures.folder);
    mkdirSync(fixtures.stacks);
    writeFileSync(path.join(fixtures.stacks, "Pulumi.broken.yaml"), `config:\n  cloudflare:apiToken: ${SECRET}\n  retain-m365:domains: [{name: "a b"}]\n`);
    writeFileSync(
      path.join(fixtures.stacks, "Pulumi.bomb.yaml"),
      "config:\n  a: &a [x, x, x, x, x, x, x, x, x]\n  b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n  c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n  d: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n",
    );
    // Relative paths land here; the repository's own stacks stay out of reach, so nothing is planned or deployed.
    process.chdir(work);
    delete process.env[SECRET_ENVIRONMENT_VARIABLE];
    process.env.CLOUDFLARE_API_TOKEN = SECRET;
    process.env.AZURE_AUTHORITY_HOST = CLOSED;
  });
  after(() => {
    process.chdir(cwd);
    const restore = (name: string, value: string | undefined) => (value === undefined ? delete process.env[name] : (process.env[name] = value));
    restore(SECRET_ENVIRONMENT_VARIABLE, saved.secret);
    restore("CLOUDFLARE_API_TOKEN", saved.cloudflare);
    restore("AZURE_AUTHORITY_HOST", saved.authority);
  });

  const hostile = fc.constantFrom(
    "",
    " ",
    "-",
    "--",
    "-x",
    "x\ny",
    "a\0b",
    "\r\n",
    "%n",
    "$HOME",
    "a;b",
    "a&b",
    "<x>",
    '"',
    "'",
    "..",
    "C:\\x\\",
    "\\\\",
    "über",
    "9".repeat(300),
    "1e999",
    "-1",
    "0",
    "101",
    "3651",
    "00000000-0000-4000-8000-0000000000aa",
    "2027-13-45",
    "2027-05-31",
    "25:61",
    "02:30",
    "::1",
    "[::1]:99999",
    "127.0.0.1:0",
    "http://",
    "file:///etc/passwd",
    "ftp://x",
    "ExecStartPre=/bin/sh",
    "bad domain!",
    "example.com",
    "a@b",
    "broken",
    "bomb",
    "../x",
    "global",
    "usgov",
    "china",
    "\u2028",
    "--output=/tmp/x",
    "HEAD~1",
  );
  const pathValue = fc.oneof(
    fc.constantFrom(...Object.values(fixtures)),
    // Relative to the scratch folder, never above it.
    fc.string({ maxLength: 12 }).map((text) => text.replace(/^[/\\]+/, "").replace(/\.\./g, "_")),
    fc.constantFrom("a\nb", "x\0y", "100% $x"),
  );

  it("holds for generated argument lists of every subcommand", async () => {
    const commands = subcommands();
    assert.deepEqual([...new Set(commands.map((c) => c.name))].sort(), [...exitCodeTable().keys()].sort(), "README's exit-code table names every subcommand");
    const argv = fc.constantFrom(...commands).chain((command) =>
      fc
        .array(
          fc.oneof(
            {
              weight: 8,
              arbitrary: fc
                .constantFrom(...command.options.filter((o) => o.flag !== "--debug"))
                .chain((option) =>
                  option.takesValue
                    ? (option.path ? pathValue : fc.oneof(hostile, fc.string({ maxLength: 10 }))).map((value): string[] => [option.flag, value])
                    : fc.constant<string[]>([option.flag]),
                ),
            },
            { weight: 1, arbitrary: fc.oneof(hostile, fc.constantFrom("--nope", "-z", "extra")).map((word): string[] => [word]) },
          ),
          { maxLength: 6 },
        )
        .map((pairs) => ({ command, args: [...command.words, ...pairs.flat()] })),
    );
    await fc.assert(
      fc.asyncProperty(argv, async ({ command, args }) => {
        const result = await runMain([...args, ...(offlineFor[command.name] ?? [])]);
        assertContract(command.name, result, [SECRET], args);
      }),
      {
        numRuns: Number(process.env.PROPERTY_RUNS ?? 300),
        interruptAfterTimeLimit: Number(process.env.PROPERTY_TIME_MS ?? 10_000),
        markInterruptAsFailure: false,
      },
    );
  });

  it("the issue's examples are exit 2 with a sentence naming the flag or file", async () => {
    const ids = ["--tenant-id", "00000000-0000-4000-8000-0000000000aa", "--client-id", "00000000-0000-4000-8000-0000000000bb"];
    const examples: [string[], RegExp][] = [
      [["plan", "--stack", "bomb", "--stacks-dir", fixtures.stacks], /Pulumi\.bomb\.yaml is not valid YAML/],
      [["sync", ...ids, "--out", fixtures.garbage, "--certificate", fixtures.folder], /--out .*garbage\.pem is a file, not a folder/],
      [["verify", "--domain", "bad domain!"], /--domain "bad domain!" is not a DNS domain name/],
      [["verify", "--domain", "example.com", "--resolver", "not-an-ip"], /--resolver must be an IP address/],
      [["sync", ...ids, "--out", fixtures.folder, "--certificate", fixtures.garbage], /--certificate .*garbage\.pem: is not a PEM certificate/],
      [["stacks", "--changed-since", "--output=/tmp/x"], /--changed-since must be a commit or ref/],
    ];
    for (const [args, reason] of examples) {
      const result = await runMain(args);
      assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
      assert.match(result.stderr.split("\n")[0]!, reason);
    }
  });
});

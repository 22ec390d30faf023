import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import fc from "fast-check";
import { stringify } from "yaml";
import { INSTALLED_LAUNCHER } from "../../core/server-package";
import { validRawValues } from "../support/configs";
import { assertContract, runMain } from "../support/contract";

const SECRET = "cf-token-MARKER-never-printed-0123456789";
const CLIENT = "00000000-0000-4000-8000-0000000000bb";
const RUNS = {
  numRuns: Number(process.env.PROPERTY_RUNS ?? 150),
  interruptAfterTimeLimit: Number(process.env.PROPERTY_TIME_MS ?? 8000),
  markInterruptAsFailure: false,
};

const hostileScalar = fc.oneof(
  fc.constantFrom(
    "",
    "\n",
    "a\nb",
    "x\0y",
    "%n",
    "$X",
    "<a>",
    "&",
    '"',
    "'",
    ";",
    "/srv/cfg\nExecStartPre=+/bin/sh",
    "C:\\Retain\\100%",
    "/srv/a b/c",
    "/",
    "//x",
    "/x/../y",
    0,
    -1,
    1e308,
    Number.NaN,
    true,
    null,
    [],
    {},
    { secure: "AAAA" },
  ),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: "binary", maxLength: 6 }),
  fc.integer(),
  fc.double(),
);

/** A valid stack's values with one leaf replaced: every key and nested field is a target. */
const mutatedStack = fc.tuple(fc.nat(), fc.nat(), hostileScalar).map(([keyIndex, fieldIndex, value]) => {
  const values = validRawValues();
  const keys = Object.keys(values);
  const key = keys[keyIndex % keys.length]!;
  const current = values[key];
  if (current !== null && typeof current === "object" && !Array.isArray(current)) {
    const fields = [...Object.keys(current), "unknownField"];
    (current as Record<string, unknown>)[fields[fieldIndex % fields.length]!] = value;
  } else if (Array.isArray(current)) {
    const first = current[0] as Record<string, unknown>;
    const fields = Object.keys(first);
    first[fields[fieldIndex % fields.length]!] = value;
  } else {
    values[key] = value;
  }
  return stringify({ config: { ...values, "cloudflare:apiToken": SECRET } });
});

/** Text no one meant as a stack file: parser guards, tags, anchors, deep nesting, duplicates. */
const hostileYaml = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.nat({ max: 12 }).map(
    (depth) =>
      `config:\n  a: &a [x, x, x, x, x, x, x, x, x, x]\n${Array.from(
        { length: depth },
        (_, i) =>
          `  a${i + 1}: &a${i + 1} [${Array(10)
            .fill(i === 0 ? "*a" : `*a${i}`)
            .join(", ")}]`,
      ).join("\n")}\n`,
  ),
  fc.constantFrom(
    "config: *nope\n",
    "config:\n  a: 1\n  a: 2\n",
    "config: !!binary AAAA\n",
    "config:\n  x: !!js/function 'function(){}'\n",
    "config: [",
    "- a\n- b\n",
    "config:\n  __proto__: {polluted: true}\n",
    `config:\n  cloudflare:apiToken: ${SECRET}\n  retain-m365:directorySync: {outputDir: "/srv/x\\nExecStartPre=/bin/sh"}\n`,
    "\uFEFFconfig: {}\n",
    "config: " + "[".repeat(2000),
  ),
);

describe("any stack file: an exit code of the contract, never 1, no stack trace, no secret echoed", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "retain-stack-files-"));
  const file = path.join(dir, "Pulumi.generated.yaml");
  const stackArgs = ["--stack", "generated", "--stacks-dir", dir];

  it("schedule --stack: a valid stack gives a job whose folder is the stack's, anything else exit 2", async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(mutatedStack, hostileYaml), fc.boolean(), async (text, windows) => {
        writeFileSync(file, text);
        const args = [
          "schedule",
          windows ? "--windows" : "--systemd",
          ...stackArgs,
          "--client-id",
          CLIENT,
          "--launcher",
          windows ? INSTALLED_LAUNCHER.windows : INSTALLED_LAUNCHER.linux,
        ];
        const result = await runMain(args);
        assertContract("schedule", result, [SECRET], text);
        if (result.code === 0) assert.ok(!/ExecStartPre|ExecStartPost|<Exec>[\s\S]*<Exec>/.test(result.stdout), result.stdout);
      }),
      RUNS,
    );
  });

  it("verify --stack reads the same files the same way (offline: a closed loopback resolver)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(mutatedStack, hostileYaml), async (text) => {
        writeFileSync(file, text);
        const result = await runMain(["verify", ...stackArgs, "--resolver", "127.0.0.1:9", "--autodiscover-url", "https://127.0.0.1:9"]);
        assertContract("verify", result, [SECRET], text);
      }),
      { ...RUNS, numRuns: Math.ceil(RUNS.numRuns / 3) },
    );
  });

  it("an alias bomb is exit 2 naming the file", async () => {
    writeFileSync(
      file,
      `config:\n  a: &a [x, x, x, x, x, x, x, x, x]\n  b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n  c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n  d: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n`,
    );
    const result = await runMain(["plan", ...stackArgs]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /Pulumi\.generated\.yaml is not valid YAML/);
  });
});

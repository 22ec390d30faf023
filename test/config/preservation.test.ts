import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { stringify } from "yaml";
import { validateConfig } from "../../config/validate";
import { STATIC_SCOPE_SENTENCE, STATIC_SCOPE_SOURCE } from "../../m365/compliance-facts";
import { runMain } from "../support/contract";
import { toRaw, validRawValues } from "../support/configs";

// retain-m365:preservation: optional, off when absent; retainDays 1–3650 or "unlimited"; mailboxes
// all (scopeGroup refused: Microsoft expands a group in a retention policy once).

const withPreservation = (value: unknown) => ({ ...validRawValues(), "retain-m365:preservation": value });
const validated = (value: unknown) => validateConfig(toRaw(withPreservation(value)));
function errorsOf(value: unknown): string[] {
  const result = validated(value);
  assert.equal(result.ok, false, `expected ${JSON.stringify(value)} to be refused`);
  return result.ok ? [] : result.errors;
}

describe("config: retain-m365:preservation", () => {
  it("is off (null) when absent", () => {
    const result = validateConfig(toRaw(validRawValues()));
    assert.ok(result.ok, JSON.stringify(result));
    assert.equal(result.config.preservation, null);
  });

  it("takes days or unlimited, mailboxes all by default; days as pulumi config set --path may store them (digits)", () => {
    for (const [value, expected] of [
      [{ retainDays: 90 }, { retainDays: 90, mailboxes: "all" }],
      [
        { retainDays: 1, mailboxes: "all" },
        { retainDays: 1, mailboxes: "all" },
      ],
      [{ retainDays: 3650 }, { retainDays: 3650, mailboxes: "all" }],
      [{ retainDays: "unlimited" }, { retainDays: "unlimited", mailboxes: "all" }],
      [{ retainDays: "90" }, { retainDays: 90, mailboxes: "all" }],
    ] as const) {
      const result = validated(value);
      assert.ok(result.ok, JSON.stringify(result));
      assert.deepEqual(result.config.preservation, expected);
    }
  });

  it("refuses other days, naming retain-m365:preservation.retainDays", () => {
    for (const retainDays of [0, 3651, -5, 1.5, "Unlimited", "forever", true, null]) {
      assert.deepEqual(
        errorsOf({ retainDays }),
        ['retain-m365:preservation.retainDays: must be a whole number of days from 1 to 3650, or "unlimited"'],
        String(retainDays),
      );
    }
    assert.deepEqual(errorsOf({}), ["retain-m365:preservation.retainDays: is required"]);
    assert.deepEqual(errorsOf({ retainDays: 90, days: 90 }), ["retain-m365:preservation.days: unknown key"]);
  });

  it("refuses mailboxes: scopeGroup with Microsoft's sentence and its source", () => {
    const [error, ...rest] = errorsOf({ retainDays: 90, mailboxes: "scopeGroup" });
    assert.deepEqual(rest, []);
    assert.match(error ?? "", /^retain-m365:preservation\.mailboxes: scopeGroup is not supported/);
    assert.ok(error?.includes(STATIC_SCOPE_SENTENCE) && error.includes(STATIC_SCOPE_SOURCE), error);
    assert.deepEqual(errorsOf({ retainDays: 90, mailboxes: "some" }), ["retain-m365:preservation.mailboxes: must be all"]);
  });

  it("a bad retainDays makes the CLI exit 2 naming the key, before anything connects", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "retain-preservation-"));
    const file = path.join(dir, "Pulumi.contoso.yaml");
    writeFileSync(file, stringify({ config: withPreservation({ retainDays: 0 }) }));
    const closed = "https://127.0.0.1:9";
    for (const command of ["readiness", "adopt"]) {
      const extra = command === "adopt" ? ["--cloudflare-endpoint", closed] : [];
      const { code, stderr } = await runMain(
        [
          command,
          "--config-file",
          file,
          "--exchange-endpoint",
          closed,
          "--compliance-endpoint",
          closed,
          "--graph-endpoint",
          closed,
          "--authority-host",
          closed,
          ...extra,
        ],
        { env: { CLOUDFLARE_API_TOKEN: "x".repeat(40) } },
      );
      assert.equal(code, 2, stderr);
      assert.match(stderr, /retain-m365:preservation\.retainDays: must be a whole number of days from 1 to 3650/);
    }
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { validateConfig } from "../../config/validate";
import { nearestName } from "../../core/suggest";
import { toRaw, validRawValues } from "../support/configs";

/** The stack's values with `key` renamed to `typo`: the errors validation gives. */
function errorsWithKeyRenamed(key: string, typo: string): string[] {
  const values = structuredClone(validRawValues()) as Record<string, unknown>;
  values[typo] = values[key];
  delete values[key];
  const result = validateConfig(toRaw(values as ReturnType<typeof validRawValues>));
  assert.ok(!result.ok);
  return result.errors;
}

describe("config validation: did you mean", () => {
  it("names the key a near miss meant: a letter missing, one too many, two swapped, another letter case", () => {
    for (const [key, typo] of [
      ["retain-m365:workerUser", "retain-m365:workerUsr"],
      ["retain-m365:directorySync", "retain-m365:directorySynch"],
      ["retain-m365:exchangeAccess", "retain-m365:exchangeAcess"],
      ["retain-m365:adminUser", "retain-m365:adminUesr"],
      ["retain-m365:directorySync", "retain-m365:directorysync"],
    ]) {
      const errors = errorsWithKeyRenamed(key as string, typo as string);
      assert.ok(errors.includes(`${typo}: unknown key (did you mean ${key}?)`), errors.join("\n"));
    }
  });

  it("lists the known keys where nothing is close", () => {
    const errors = errorsWithKeyRenamed("retain-m365:workerUser", "retain-m365:mailboxOwner");
    assert.match(
      errors.find((e) => e.startsWith("retain-m365:mailboxOwner:")) ?? "",
      /unknown key \(known keys: retain-m365:domains, .*retain-m365:workerUser/,
    );
  });

  it("nearestName: the closest candidate within a few edits, none past that", () => {
    assert.equal(nearestName("--tenant-idd", ["--tenant-id", "--client-id"]), "--tenant-id");
    assert.equal(nearestName("retain-m365:passwordRotaton", ["retain-m365:passwordRotation", "retain-m365:protectUsers"]), "retain-m365:passwordRotation");
    assert.equal(nearestName("retain-m365:zone", ["retain-m365:domains", "retain-m365:adminUser"]), undefined);
    assert.equal(nearestName("", ["retain-m365:domains"]), undefined);
  });
});

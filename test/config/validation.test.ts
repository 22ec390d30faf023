import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { readFileSync } from "node:fs";
import path from "node:path";
import { validateConfig, validatedOrThrow } from "../../config/validate";
import { ExitCode, type ConfigError } from "../../core/errors";
import { manualRawValues, toRaw, validRawValues } from "../support/configs";

type Values = Record<string, unknown>;
const clone = (): Values => structuredClone(validRawValues());
const certificateFixture = (n: number) => readFileSync(path.join(__dirname, "..", "fixtures", "certificates", `app-${n}.pem`), "utf8");
const [PEM_1, PEM_2] = [certificateFixture(1), certificateFixture(2)];
const edit = (key: string, change: (value: Record<string, unknown>) => void) => () => {
  const values = clone();
  change(values[key] as Record<string, unknown>);
  return values;
};
const domainsEdit = (change: (domains: Record<string, unknown>[]) => void) => () => {
  const values = clone();
  change(values["retain-m365:domains"] as Record<string, unknown>[]);
  return values;
};

function errorsOf(values: Values, secrets?: Record<string, unknown>): string[] {
  const result = validateConfig(toRaw(values, secrets));
  assert.equal(result.ok, false, "expected the configuration to be rejected");
  return result.ok ? [] : result.errors;
}

describe("config validation: a valid stack", () => {
  it("accepts a list of certificates beside the single certificate of earlier stacks (rotation)", () => {
    const values = clone();
    values["retain-m365:application"] = { credential: { type: "certificate", certificate: PEM_1, certificates: [PEM_2] } };
    const result = validateConfig(toRaw(values));
    assert.ok(result.ok, JSON.stringify(result));
    assert.deepEqual(result.config.application.credential, { type: "certificate", certificate: PEM_1, certificates: [PEM_2] });
  });

  it("accepts the example configuration and fills in documented defaults", () => {
    const result = validateConfig(toRaw(validRawValues()));
    assert.ok(result.ok, JSON.stringify(result));
    const { config } = result;
    assert.equal(config.adminUser.displayName, "Retain Directory Sync");
    assert.equal(config.adminUser.directoryRole, "Global Reader");
    assert.equal(config.adminUser.signIn, false, "the sync admin is created with sign-in blocked unless asked otherwise");
    assert.equal(config.workerUser.displayName, "RetainWorker", "worker display name defaults to the logon name");
    assert.deepEqual(config.exchangeAccess.roles, ["Application EWS.AccessAsApp"]);
    assert.equal(config.domains[1]?.microsoft365Records, false);
    assert.deepEqual(config.directorySync, {
      outputDir: "/opt/beginfinite/retain/RetainServer/WEB-INF/cfg",
      runAfterFirstDeploy: true,
      backups: 7,
      maxShrinkPercent: 20,
    });
    assert.equal(config.protectUsers, true, "users are protected unless asked otherwise");
    assert.deepEqual(config.application.credential, { type: "secret", lifetimeDays: 180 });
    assert.equal(config.application.displayName, "Retain Archiving");
  });

  it("accepts a Windows output folder and keys without the namespace prefix are not needed", () => {
    const values = clone();
    values["retain-m365:directorySync"] = { outputDir: "C:\\Program Files\\Beginfinite\\Retain\\RetainServer\\WEB-INF\\cfg" };
    assert.ok(validateConfig(toRaw(values)).ok);
  });

  it("warns, but does not fail, when the Cloudflare token is left to the environment", () => {
    const result = validateConfig(toRaw(validRawValues(), {}));
    assert.ok(result.ok);
    assert.match(result.warnings.join("\n"), /cloudflare:apiToken: not set.*CLOUDFLARE_API_TOKEN/);
  });

  it("takes a domain kept by hand (provider: manual) without a zone id, and a stack of them needs no Cloudflare token", () => {
    const result = validateConfig(toRaw(manualRawValues(), {}));
    assert.ok(result.ok, JSON.stringify(result));
    assert.deepEqual(
      result.config.domains.map((d) => [d.name, d.provider, "zoneId" in d]),
      [
        ["example.com", "manual", false],
        ["example.net", "manual", false],
      ],
    );
    assert.deepEqual(result.warnings, []);
    const mixed = clone();
    (mixed["retain-m365:domains"] as Record<string, unknown>[])[1] = { name: "example.net", provider: "manual" };
    const both = validateConfig(toRaw(mixed, {}));
    assert.ok(both.ok, JSON.stringify(both));
    assert.deepEqual(
      both.config.domains.map((d) => d.provider),
      ["cloudflare", "manual"],
      "cloudflare is the default",
    );
    assert.match(both.warnings.join("\n"), /cloudflare:apiToken: not set/, "a Cloudflare domain still needs the token");
  });

  it("reads the decisions about records a zone already has: none needed by default, SPF merged", () => {
    const withDecisions = (onExisting: unknown) => {
      const values = clone();
      (values["retain-m365:domains"] as Record<string, unknown>[])[0]!.onExisting = onExisting;
      const result = validateConfig(toRaw(values));
      assert.ok(result.ok, JSON.stringify(result));
      return result.config.domains[0]?.onExisting;
    };
    assert.deepEqual(withDecisions(undefined), { spf: "merge" });
    assert.deepEqual(withDecisions({ autodiscover: "leave", mx: "keep", spf: "leave", microsoft365: "replace" }), {
      autodiscover: "leave",
      mx: "keep",
      spf: "leave",
      microsoft365: "replace",
    });
  });

  it("reads the EWS allow list decision: off, add where in force, or put in force with other apps to keep", () => {
    const withList = (ewsAllowList: unknown) => {
      const values = clone();
      values["retain-m365:exchangeAccess"] = { scopeGroup: "Retain Archived Users", ewsAllowList };
      const result = validateConfig(toRaw(values));
      assert.ok(result.ok, JSON.stringify(result));
      return result.config.exchangeAccess.ewsAllowList;
    };
    assert.equal(withList(undefined), false);
    assert.equal(withList(false), false);
    assert.deepEqual(withList(true), { enforce: false, alsoAllow: [] });
    const teams = "CC15FD57-2c6c-4117-a88c-83b1d56b4bbe";
    assert.deepEqual(withList({ enforce: true, alsoAllow: [teams] }), { enforce: true, alsoAllow: [teams] }, "app ids in any letter case");
  });

  it("takes the admin's decision that Retain's app reaches every mailbox, allMailboxes: true, instead of a scope group", () => {
    const values = clone();
    values["retain-m365:exchangeAccess"] = { allMailboxes: true };
    const result = validateConfig(toRaw(values));
    assert.ok(result.ok, JSON.stringify(result));
    assert.equal(result.config.exchangeAccess.allMailboxes, true);
    assert.equal(result.config.exchangeAccess.scopeGroup, undefined);
    const scoped = validateConfig(toRaw(clone()));
    assert.ok(scoped.ok);
    assert.equal(scoped.config.exchangeAccess.allMailboxes, false);
  });

  it("takes the read-only roles of a Graph-based archiver, scoped like EWS.AccessAsApp (RBAC for Applications' MailboxFolder.Read, MailboxItem.Read, MailboxItem.Export)", () => {
    const roles = ["Application EWS.AccessAsApp", "Application MailboxFolder.Read", "Application MailboxItem.Read", "Application MailboxItem.Export"];
    const result = validateConfig(toRaw(edit("retain-m365:exchangeAccess", (a) => (a.roles = roles))()));
    assert.ok(result.ok, JSON.stringify(result));
    assert.deepEqual(result.config.exchangeAccess.roles, roles);
    assert.equal(result.config.exchangeAccess.scopeGroup, "Retain Archived Users");
  });

  it("lets the sync admin sign in only when adminUser.signIn is true", () => {
    const values = clone();
    (values["retain-m365:adminUser"] as Record<string, unknown>).signIn = true;
    const result = validateConfig(toRaw(values));
    assert.ok(result.ok, JSON.stringify(result));
    assert.equal(result.config.adminUser.signIn, true);
  });

  it("warns that legacy impersonation is refused by Exchange Online", () => {
    const values = clone();
    values["retain-m365:exchangeAccess"] = { mode: "application-impersonation" };
    const result = validateConfig(toRaw(values));
    assert.ok(result.ok);
    assert.deepEqual(result.config.exchangeAccess.roles, []);
    assert.match(result.warnings.join("\n"), /exchangeAccess\.mode: .*removed in February 2025.*application-rbac/);
  });
});

/** [what is wrong, how to make it, the error expected (key path first)] */
const invalid: [string, () => Values, RegExp][] = [
  ["no domains key", () => ({ ...clone(), "retain-m365:domains": undefined }), /^retain-m365:domains: is required$/],
  ["empty domain list", () => ({ ...clone(), "retain-m365:domains": [] }), /^retain-m365:domains: must list at least one domain$/],
  ["domains not a list", () => ({ ...clone(), "retain-m365:domains": "example.com" }), /^retain-m365:domains: must be a list of domains/],
  ["upper-case domain", domainsEdit((d) => (d[0]!.name = "Example.com")), /^retain-m365:domains\[0\]\.name: must be lower-case \(write "example\.com"\)$/],
  ["single-label domain", domainsEdit((d) => (d[1]!.name = "localhost")), /^retain-m365:domains\[1\]\.name: "localhost" is not a DNS domain name/],
  [
    "label ending in a dash",
    domainsEdit((d) => (d[1]!.name = "bad-.example.net")),
    /^retain-m365:domains\[1\]\.name: "bad-\.example\.net" is not a DNS domain name/,
  ],
  [
    "short zone id",
    domainsEdit((d) => (d[0]!.zoneId = "0123abc")),
    /^retain-m365:domains\[0\]\.zoneId: must be a Cloudflare zone id: 32 lower-case hex characters$/,
  ],
  [
    "upper-case zone id",
    domainsEdit((d) => (d[1]!.zoneId = "FEDCBA9876543210FEDCBA9876543210")),
    /^retain-m365:domains\[1\]\.zoneId: must be a Cloudflare zone id/,
  ],
  [
    "Cloudflare domain without a zone id",
    domainsEdit((d) => delete d[0]!.zoneId),
    /^retain-m365:domains\[0\]\.zoneId: is required with provider cloudflare \(the default\); or set provider: manual to create example\.com's records by hand at the DNS host that keeps them$/,
  ],
  [
    "manual domain with a zone id",
    domainsEdit((d) => (d[1]!.provider = "manual")),
    /^retain-m365:domains\[1\]\.zoneId: applies only with provider cloudflare, not manual: nothing is written to DNS for a manual domain, whose records the admin creates by hand; remove zoneId, or set provider: cloudflare$/,
  ],
  ["unknown DNS provider", domainsEdit((d) => (d[0]!.provider = "route53")), /^retain-m365:domains\[0\]\.provider: must be one of: cloudflare, manual$/],
  [
    "microsoft365Records not a boolean",
    domainsEdit((d) => (d[0]!.microsoft365Records = "yes")),
    /^retain-m365:domains\[0\]\.microsoft365Records: must be a boolean \(got a string\)$/,
  ],
  ["duplicate domain", domainsEdit((d) => (d[1]!.name = "example.com")), /^retain-m365:domains\[1\]\.name: "example\.com" is already listed as domains\[0\]$/],
  ["unknown MX decision", domainsEdit((d) => (d[0]!.onExisting = { mx: "delete" })), /^retain-m365:domains\[0\]\.onExisting\.mx: must be keep or replace$/],
  [
    "MX decision without Microsoft's records",
    domainsEdit((d) => (d[1]!.onExisting = { mx: "keep" })),
    /^retain-m365:domains\[1\]\.onExisting\.mx: applies only with microsoft365Records: true$/,
  ],
  [
    "Skype for Business records without Microsoft's records",
    domainsEdit((d) => (d[1]!.skypeForBusinessRecords = true)),
    /^retain-m365:domains\[1\]\.skypeForBusinessRecords: applies only with microsoft365Records: true$/,
  ],
  ["unknown key inside a domain", domainsEdit((d) => (d[0]!.zone = "x")), /^retain-m365:domains\[0\]\.zone: unknown key$/],
  [
    "admin UPN without @",
    edit("retain-m365:adminUser", (u) => (u.userPrincipalName = "retain-sync")),
    /^retain-m365:adminUser\.userPrincipalName: "retain-sync" is not a user principal name/,
  ],
  [
    "admin UPN outside the domains",
    edit("retain-m365:adminUser", (u) => (u.userPrincipalName = "retain-sync@contoso.com")),
    /^retain-m365:adminUser\.userPrincipalName: domain "contoso\.com" is not one of the configured domains \(example\.com, example\.net\)$/,
  ],
  [
    "admin role that can write",
    edit("retain-m365:adminUser", (u) => (u.directoryRole = "Global Administrator")),
    /^retain-m365:adminUser\.directoryRole: must be one of the read-only roles: Global Reader, Directory Readers/,
  ],
  ["empty admin display name", edit("retain-m365:adminUser", (u) => (u.displayName = "  ")), /^retain-m365:adminUser\.displayName: must not be empty$/],
  [
    "worker without userPrincipalName",
    edit("retain-m365:workerUser", (u) => delete u.userPrincipalName),
    /^retain-m365:workerUser\.userPrincipalName: is required$/,
  ],
  [
    "worker UPN outside the domains",
    edit("retain-m365:workerUser", (u) => (u.userPrincipalName = "RetainWorker@example.org")),
    /^retain-m365:workerUser\.userPrincipalName: domain "example\.org" is not one of the configured domains/,
  ],
  [
    "worker same as admin",
    edit("retain-m365:workerUser", (u) => (u.userPrincipalName = "Retain-Sync@example.com")),
    /^retain-m365:workerUser\.userPrincipalName: must differ from retain-m365:adminUser\.userPrincipalName/,
  ],
  [
    "lower-case usage location",
    edit("retain-m365:workerUser", (u) => (u.usageLocation = "us")),
    /^retain-m365:workerUser\.usageLocation: must be an ISO 3166 alpha-2 country code/,
  ],
  [
    "not a country",
    edit("retain-m365:workerUser", (u) => (u.usageLocation = "XX")),
    /^retain-m365:workerUser\.usageLocation: must be an ISO 3166 alpha-2 country code/,
  ],
  [
    "licence SKU with spaces",
    edit("retain-m365:workerUser", (u) => (u.licenseSku = "Exchange Online Plan 1")),
    /^retain-m365:workerUser\.licenseSku: must be a licence SKU part number/,
  ],
  [
    "misspelt key inside workerUser",
    edit("retain-m365:workerUser", (u) => (u.licenceSku = "EXCHANGESTANDARD")),
    /^retain-m365:workerUser\.licenceSku: unknown key$/,
  ],
  [
    "unknown exchange mode",
    edit("retain-m365:exchangeAccess", (a) => (a.mode = "impersonation")),
    /^retain-m365:exchangeAccess\.mode: must be one of: application-rbac, application-impersonation$/,
  ],
  [
    "write role for the archiver",
    edit("retain-m365:exchangeAccess", (a) => (a.roles = ["Application Mail.ReadWrite"])),
    /^retain-m365:exchangeAccess\.roles\[0\]: must be one of the application roles an archiver may hold/,
  ],
  [
    "no scope decision (neither scopeGroup nor allMailboxes)",
    edit("retain-m365:exchangeAccess", (a) => delete a.scopeGroup),
    /^retain-m365:exchangeAccess\.scopeGroup: is required with mode application-rbac: .*full access to every mailbox in reach: read, change and send.*retain-m365:exchangeAccess\.allMailboxes: true/,
  ],
  [
    "no exchangeAccess key at all",
    () => ({ ...clone(), "retain-m365:exchangeAccess": undefined }),
    /^retain-m365:exchangeAccess\.scopeGroup: is required with mode application-rbac/,
  ],
  [
    "allMailboxes false without a scope group",
    edit("retain-m365:exchangeAccess", (a) => Object.assign(a, { scopeGroup: undefined, allMailboxes: false })),
    /^retain-m365:exchangeAccess\.scopeGroup: is required with mode application-rbac/,
  ],
  [
    "allMailboxes beside a scope group",
    edit("retain-m365:exchangeAccess", (a) => (a.allMailboxes = true)),
    /^retain-m365:exchangeAccess\.allMailboxes: contradicts scopeGroup/,
  ],
  [
    "allMailboxes as a word",
    edit("retain-m365:exchangeAccess", (a) => Object.assign(a, { scopeGroup: undefined, allMailboxes: "yes" })),
    /^retain-m365:exchangeAccess\.allMailboxes: must be true or false$/,
  ],
  [
    "allMailboxes with legacy mode",
    edit("retain-m365:exchangeAccess", (a) => Object.assign(a, { mode: "application-impersonation", scopeGroup: undefined, allMailboxes: true })),
    /^retain-m365:exchangeAccess\.allMailboxes: applies only to mode application-rbac/,
  ],
  ["admin signIn as a word", edit("retain-m365:adminUser", (u) => (u.signIn = "no")), /^retain-m365:adminUser\.signIn: must be true or false$/],
  ["empty role list", edit("retain-m365:exchangeAccess", (a) => (a.roles = [])), /^retain-m365:exchangeAccess\.roles: must name at least one role$/],
  [
    "role listed twice",
    edit("retain-m365:exchangeAccess", (a) => (a.roles = ["Application Mail.Read", "Application Mail.Read"])),
    /^retain-m365:exchangeAccess\.roles: must not list a role twice$/,
  ],
  [
    "roles with legacy mode",
    edit("retain-m365:exchangeAccess", (a) => Object.assign(a, { mode: "application-impersonation", roles: ["Application Mail.Read"], scopeGroup: undefined })),
    /^retain-m365:exchangeAccess\.roles: applies only to mode application-rbac/,
  ],
  [
    "scope group with legacy mode",
    edit("retain-m365:exchangeAccess", (a) => (a.mode = "application-impersonation")),
    /^retain-m365:exchangeAccess\.scopeGroup: applies only to mode application-rbac/,
  ],
  [
    "EWS allow list as a word",
    edit("retain-m365:exchangeAccess", (a) => (a.ewsAllowList = "enforce")),
    /^retain-m365:exchangeAccess\.ewsAllowList: must be true, false, or \{enforce: true\|false, alsoAllow: \[application ids\]\}$/,
  ],
  [
    "EWS allow list with a name for an app id",
    edit("retain-m365:exchangeAccess", (a) => (a.ewsAllowList = { enforce: true, alsoAllow: ["Teams"] })),
    /^retain-m365:exchangeAccess\.ewsAllowList\.alsoAllow\[0\]: must be an application \(client\) id, a GUID$/,
  ],
  [
    "EWS allow list listing an app twice",
    edit(
      "retain-m365:exchangeAccess",
      (a) => (a.ewsAllowList = { alsoAllow: ["cc15fd57-2c6c-4117-a88c-83b1d56b4bbe", "CC15FD57-2C6C-4117-A88C-83B1D56B4BBE"] }),
    ),
    /^retain-m365:exchangeAccess\.ewsAllowList\.alsoAllow: must not list an application twice$/,
  ],
  [
    "EWS allow list with an unknown key",
    edit("retain-m365:exchangeAccess", (a) => (a.ewsAllowList = { enforced: true })),
    /^retain-m365:exchangeAccess\.ewsAllowList\.enforced: unknown key$/,
  ],
  [
    "relative output folder",
    edit("retain-m365:directorySync", (s) => (s.outputDir = "cfg")),
    /^retain-m365:directorySync\.outputDir: must be an absolute path \(got "cfg"\)$/,
  ],
  [
    "output folder with trailing separator",
    edit("retain-m365:directorySync", (s) => (s.outputDir = "/opt/retain/cfg/")),
    /^retain-m365:directorySync\.outputDir: must not end with a path separator \(write "\/opt\/retain\/cfg"\)$/,
  ],
  [
    "Windows output folder with trailing backslash",
    edit("retain-m365:directorySync", (s) => (s.outputDir = "C:\\Retain\\cfg\\")),
    /^retain-m365:directorySync\.outputDir: must not end with a path separator/,
  ],
  [
    "output folder with ..",
    edit("retain-m365:directorySync", (s) => (s.outputDir = "/opt/../etc")),
    /^retain-m365:directorySync\.outputDir: must not contain "\." or "\.\." segments/,
  ],
  ["fractional backups", edit("retain-m365:directorySync", (s) => (s.backups = 2.5)), /^retain-m365:directorySync\.backups: must be a whole number$/],
  ["negative backups", edit("retain-m365:directorySync", (s) => (s.backups = -1)), /^retain-m365:directorySync\.backups: must be 0 or more$/],
  [
    "shrink guard above 100",
    edit("retain-m365:directorySync", (s) => (s.maxShrinkPercent = 150)),
    /^retain-m365:directorySync\.maxShrinkPercent: must be between 0 and 100$/,
  ],
  [
    "runAfterFirstDeploy as text",
    edit("retain-m365:directorySync", (s) => (s.runAfterFirstDeploy = "true")),
    /^retain-m365:directorySync\.runAfterFirstDeploy: must be a boolean \(got a string\)$/,
  ],
  ["empty rotation key", () => ({ ...clone(), "retain-m365:passwordRotation": " " }), /^retain-m365:passwordRotation: must not be empty$/],
  ["tenant id not a GUID", () => ({ ...clone(), "azuread:tenantId": "contoso.onmicrosoft.com" }), /^azuread:tenantId: must be the tenant id, a GUID$/],
  ["no tenant id", () => ({ ...clone(), "azuread:tenantId": undefined }), /^azuread:tenantId: is required$/],
  [
    "misspelt top-level key",
    () => ({ ...clone(), "retain-m365:directorysync": {} }),
    /^retain-m365:directorysync: unknown key \(did you mean retain-m365:directorySync\?\)$/,
  ],
  [
    "unknown app credential type",
    edit("retain-m365:application", (a) => (a.credential = { type: "password" })),
    /^retain-m365:application\.credential\.type: must be secret or certificate$/,
  ],
  [
    "secret lifetime of zero days",
    edit("retain-m365:application", (a) => (a.credential = { type: "secret", lifetimeDays: 0 })),
    /^retain-m365:application\.credential\.lifetimeDays: must be at least 1$/,
  ],
  [
    "certificate that is not PEM",
    edit("retain-m365:application", (a) => (a.credential = { type: "certificate", certificate: "MIIB..." })),
    /^retain-m365:application\.credential\.certificate: must be a PEM certificate/,
  ],
  [
    "certificate list entry that is not X.509",
    edit("retain-m365:application", (a) => (a.credential = { type: "certificate", certificates: [PEM_1, PEM_1.replace(/MII/, "XXX")] })),
    /^retain-m365:application\.credential\.certificates\[1\]: must be a PEM certificate .*readable as X\.509$/,
  ],
  [
    "certificate listed twice",
    edit("retain-m365:application", (a) => (a.credential = { type: "certificate", certificates: [PEM_1, PEM_2, PEM_1] })),
    /^retain-m365:application\.credential\.certificates\[2\]: is the same certificate as certificates\[0\]; list each certificate once$/,
  ],
  [
    "no certificate at all",
    edit("retain-m365:application", (a) => (a.credential = { type: "certificate", certificates: [] })),
    /^retain-m365:application\.credential\.certificates: must list at least one certificate$/,
  ],
  ["protectUsers as a word", () => ({ ...clone(), "retain-m365:protectUsers": "yes" }), /^retain-m365:protectUsers: must be true or false$/],
  [
    "adminUser not a mapping",
    () => ({ ...clone(), "retain-m365:adminUser": "retain-sync@example.com" }),
    /^retain-m365:adminUser: must be a mapping of keys \(got a string\)$/,
  ],
];

describe("config validation: each mistake is named by its key path", () => {
  it(`covers at least 20 distinct invalid configurations (has ${invalid.length})`, () => {
    assert.ok(invalid.length >= 20);
    assert.equal(new Set(invalid.map(([name]) => name)).size, invalid.length);
  });
  for (const [name, make, expected] of invalid) {
    it(`rejects ${name}`, () => {
      const errors = errorsOf(make());
      assert.ok(
        errors.some((e) => expected.test(e)),
        `expected an error matching ${String(expected)}, got:\n${errors.join("\n")}`,
      );
    });
  }
});

describe("config validation: exchangeAccess.roles outside the archiving roles", () => {
  it("refuses Application MailboxItem.ImportExport (it writes) and a misspelt role, exit 2 naming retain-m365:exchangeAccess.roles", () => {
    const values = edit(
      "retain-m365:exchangeAccess",
      (a) => (a.roles = ["Application MailboxItem.Read", "Application MailboxItem.ImportExport", "Application MailboxItems.Read"]),
    )();
    const error = (() => {
      try {
        validatedOrThrow(toRaw(values), "stack example");
      } catch (thrown) {
        return thrown as ConfigError;
      }
      assert.fail("expected the configuration to be rejected");
    })();
    assert.equal(error.exitCode, ExitCode.invalidInput);
    assert.equal(error.problems.length, 2, error.problems.join("\n"));
    assert.match(
      error.problems[0] ?? "",
      /^retain-m365:exchangeAccess\.roles\[1\]: must be one of the application roles an archiver may hold: .*Application MailboxItem\.Export$/,
    );
    assert.match(error.problems[1] ?? "", /^retain-m365:exchangeAccess\.roles\[2\]: must be one of the application roles an archiver may hold/);
    assert.doesNotMatch(error.problems[0] ?? "", /ImportExport/, "the list offered leaves out the role that writes");
  });
});

describe("config validation: reporting", () => {
  it("reports every problem at once, not just the first", () => {
    const values = clone();
    (values["retain-m365:domains"] as Record<string, unknown>[])[0]!.zoneId = "nope";
    (values["retain-m365:workerUser"] as Record<string, unknown>).usageLocation = "usa";
    (values["retain-m365:directorySync"] as Record<string, unknown>).outputDir = "relative/dir";
    values["azuread:tenantId"] = "x";
    const errors = errorsOf(values);
    for (const key of ["retain-m365:domains[0].zoneId", "retain-m365:workerUser.usageLocation", "retain-m365:directorySync.outputDir", "azuread:tenantId"]) {
      assert.ok(
        errors.some((e) => e.startsWith(`${key}: `)),
        `missing ${key} in:\n${errors.join("\n")}`,
      );
    }
  });

  it("still checks user domains when another key is broken", () => {
    const values = clone();
    values["azuread:tenantId"] = "x";
    (values["retain-m365:adminUser"] as Record<string, unknown>).userPrincipalName = "a@elsewhere.org";
    const errors = errorsOf(values);
    assert.equal(errors.length, 2, errors.join("\n"));
  });

  it("refuses a plain-text Cloudflare token without repeating it", () => {
    const token = "cf-plain-token-0123456789";
    const raw = toRaw({ ...validRawValues(), "cloudflare:apiToken": token }, {});
    const result = validateConfig(raw);
    assert.equal(result.ok, false);
    const text = result.ok ? "" : result.errors.join("\n");
    assert.match(text, /^cloudflare:apiToken: is stored in plain text; store it encrypted with "pulumi config set --secret cloudflare:apiToken"$/m);
    assert.ok(!text.includes(token));
  });

  it("never repeats a value stored as a secret in an error (under pulumi up secrets arrive decrypted)", () => {
    const raw = toRaw(validRawValues());
    raw["retain-m365:workerUser"] = { value: { userPrincipalName: "hidden-worker-name", usageLocation: "US", licenseSku: "EXCHANGESTANDARD" }, secret: true };
    const result = validateConfig(raw);
    assert.equal(result.ok, false);
    const text = result.ok ? "" : result.errors.join("\n");
    assert.match(text, /^retain-m365:workerUser\.userPrincipalName: "\[secret\]" is not a user principal name/m);
    assert.ok(!text.includes("hidden-worker-name"));
  });

  it("refuses project settings stored as unreadable secrets", () => {
    const errors = errorsOf(validRawValues(), { "cloudflare:apiToken": undefined, "retain-m365:passwordRotation": undefined });
    assert.ok(
      errors.some((e) => /^retain-m365:passwordRotation: is stored as a secret/.test(e)),
      errors.join("\n"),
    );
  });
});

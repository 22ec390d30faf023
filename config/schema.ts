import { z } from "zod";
import { isPemCertificate, pemCertificateFacts } from "../core/certificates";
import { isWritable, UNWRITABLE_REASON } from "../core/writable-text";
import { GUID } from "../m365/ids";
import { ALL_MAILBOXES_SETTING, DEFAULT_OUTPUT_DIR, DIRECTORY_SYNC_DEFAULTS, isWindowsFolder, NAMESPACE, SCOPE_GROUP_SETTING } from "./defaults";
import { READ_ONLY_DIRECTORY_ROLES, type DirectoryRoleName } from "../m365/entra";
import { ARCHIVING_APPLICATION_ROLES, EWS_ACCESS_ROLE, type ArchivingApplicationRole } from "../m365/exchange-facts";
import { MAX_RETAIN_DAYS, STATIC_SCOPE_SENTENCE, STATIC_SCOPE_SOURCE } from "../m365/compliance-facts";
import { domainSchema } from "./domain-schema";

export { DEFAULT_DNS_PROVIDER, DNS_PROVIDERS, domainSchema, type DnsProviderName, type DnsProviderSettings } from "./domain-schema";

export { ALL_MAILBOXES_SETTING, DEFAULT_OUTPUT_DIR, DIRECTORY_SYNC_DEFAULTS, GUID, isWindowsFolder, NAMESPACE, SCOPE_GROUP_SETTING };

export const EXCHANGE_ACCESS_MODES = ["application-rbac", "application-impersonation"] as const;

const UPN_LOCAL_PART = /^[A-Za-z0-9'._!#^~-]{1,64}$/;
const SKU_PART_NUMBER = /^[A-Za-z0-9_.()+-]{2,64}$/;
// Made on first use: Intl's region data is paged in from ICU only when a stack names a usageLocation.
let regionNames: Intl.DisplayNames | undefined;
const regionName = (code: string) => (regionNames ??= new Intl.DisplayNames(["en"], { type: "region", fallback: "none" })).of(code);

const userPrincipalName = z.string().superRefine((value, ctx) => {
  const at = value.lastIndexOf("@");
  const local = value.slice(0, at);
  const domain = value.slice(at + 1);
  if (at < 1 || !UPN_LOCAL_PART.test(local) || local.startsWith(".") || local.endsWith(".") || !domain) {
    ctx.addIssue({ code: "custom", message: `"${value}" is not a user principal name (name@domain)` });
  }
});

const displayName = z.string().trim().min(1, "must not be empty").max(256, "must be at most 256 characters");

/** An absolute Windows folder (`C:\…`); the other absolute folders the configuration takes start with "/". */
const absoluteFolder = z.string().superRefine((value, ctx) => {
  if (!isWritable(value)) {
    ctx.addIssue({ code: "custom", message: `${UNWRITABLE_REASON} (got ${JSON.stringify(value)})` });
    return;
  }
  const posix = value.startsWith("/");
  const windows = isWindowsFolder(value);
  if (!posix && !windows) {
    ctx.addIssue({ code: "custom", message: `must be an absolute path (got "${value}")` });
    return;
  }
  if (/[/\\]$/.test(value)) {
    ctx.addIssue({ code: "custom", message: `must not end with a path separator (write "${value.replace(/[/\\]+$/, "")}")` });
  }
  if (value.split(/[/\\]/).some((part) => part === "." || part === "..")) {
    ctx.addIssue({ code: "custom", message: `must not contain "." or ".." segments (got "${value}")` });
  }
});

/**
 * The sync admin: the account the manual procedure's sync365.ps1 signs in with. The product's own
 * sync never uses it (it signs in as Retain's app), so it is created with sign-in blocked unless
 * `signIn: true` says Retain's PowerShell sync still needs it.
 */
export const adminUserSchema = z.strictObject({
  userPrincipalName,
  displayName: displayName.default("Retain Directory Sync"),
  directoryRole: z
    .enum(Object.keys(READ_ONLY_DIRECTORY_ROLES) as [DirectoryRoleName, ...DirectoryRoleName[]], {
      error: `must be one of the read-only roles: ${Object.keys(READ_ONLY_DIRECTORY_ROLES).join(", ")}`,
    })
    .default("Global Reader"),
  signIn: z.boolean("must be true or false").default(false),
});

/** The worker's display name defaults to its logon name, the part of the UPN before the "@". */
export const workerUserSchema = z
  .strictObject({
    userPrincipalName,
    displayName: displayName.optional(),
    usageLocation: z.string().refine((code) => /^[A-Z]{2}$/.test(code) && regionName(code) !== undefined, {
      error: "must be an ISO 3166 alpha-2 country code in upper case, such as US or DE",
    }),
    licenseSku: z.string().regex(SKU_PART_NUMBER, "must be a licence SKU part number such as EXCHANGESTANDARD or SPE_E3"),
  })
  .transform(({ displayName, ...worker }) => ({
    ...worker,
    displayName: displayName ?? worker.userPrincipalName.slice(0, worker.userPrincipalName.lastIndexOf("@")),
  }));

const applicationIds = z
  .array(z.string().regex(GUID, "must be an application (client) id, a GUID"))
  .refine((ids) => new Set(ids.map((id) => id.toLowerCase())).size === ids.length, "must not list an application twice");

/**
 * The organization's EWS app-id allow list: `true` adds Retain's app where the list is already in
 * force; `{enforce: true, alsoAllow: [...]}` is the admin's decision to put it in force (only listed
 * applications reach EWS from then on), with the other applications that must stay listed.
 */
const ewsAllowListSchema = z
  .union([z.boolean(), z.strictObject({ enforce: z.boolean().default(false), alsoAllow: applicationIds.default([]) })], {
    error: "must be true, false, or {enforce: true|false, alsoAllow: [application ids]}",
  })
  .transform((value): EwsAllowListConfig => (value === true ? { enforce: false, alsoAllow: [] } : value));

/** `false`, or what to do with the organization's EWS app-id allow list. */
export type EwsAllowListConfig = false | { enforce: boolean; alsoAllow: string[] };

/** The configuration key that records the decision to put the EWS allow list in force. */
export const EWS_ENFORCE_SETTING = `${NAMESPACE}:exchangeAccess.ewsAllowList.enforce`;

/**
 * How Retain's app reaches mailboxes. Under application-rbac it holds `roles` (EWS.AccessAsApp
 * unless listed), which give full access to the mailboxes in reach (EWS.AccessAsApp: read, change
 * and send, Microsoft says); so the reach is a decision the stack records: `scopeGroup` (only that
 * group's members, through a management scope) or `allMailboxes: true` (every mailbox of the
 * organization). Legacy impersonation takes none of these.
 */
export const exchangeAccessSchema = z
  .strictObject({
    mode: z.enum(EXCHANGE_ACCESS_MODES, { error: `must be one of: ${EXCHANGE_ACCESS_MODES.join(", ")}` }).default("application-rbac"),
    roles: z
      .array(
        z.enum(ARCHIVING_APPLICATION_ROLES, {
          error: `must be one of the application roles an archiver may hold: ${ARCHIVING_APPLICATION_ROLES.join(", ")}`,
        }),
      )
      .min(1, "must name at least one role")
      .refine((roles) => new Set(roles).size === roles.length, "must not list a role twice")
      .optional(),
    scopeGroup: displayName.optional(),
    allMailboxes: z.boolean("must be true or false").optional(),
    ewsAllowList: ewsAllowListSchema.default(false),
  })
  .superRefine((access, ctx) => {
    if (access.mode !== "application-rbac") {
      for (const key of ["roles", "scopeGroup", "allMailboxes"] as const) {
        if (access[key] !== undefined)
          ctx.addIssue({ code: "custom", path: [key], message: "applies only to mode application-rbac; remove it or change the mode" });
      }
      return;
    }
    if (access.scopeGroup !== undefined && access.allMailboxes === true) {
      ctx.addIssue({
        code: "custom",
        path: ["allMailboxes"],
        message: "contradicts scopeGroup: keep scopeGroup to limit Retain's app to that group's members, or remove it to let the app reach every mailbox",
      });
    } else if (access.scopeGroup === undefined && access.allMailboxes !== true) {
      ctx.addIssue({
        code: "custom",
        path: ["scopeGroup"],
        message:
          "is required with mode application-rbac: name the mail-enabled security group whose members Retain archives, so that Retain's app reaches only their mailboxes " +
          `(its role gives full access to every mailbox in reach: read, change and send); or set ${ALL_MAILBOXES_SETTING}: true to record the decision that it reaches every mailbox`,
      });
    }
  })
  .transform((access) => ({
    ...access,
    allMailboxes: access.mode === "application-rbac" && access.allMailboxes === true,
    roles: access.mode === "application-rbac" ? (access.roles ?? [EWS_ACCESS_ROLE]) : ([] as ArchivingApplicationRole[]),
  }));

export const directorySyncSchema = z.strictObject({
  outputDir: absoluteFolder.default(DIRECTORY_SYNC_DEFAULTS.outputDir),
  runAfterFirstDeploy: z.boolean().default(DIRECTORY_SYNC_DEFAULTS.runAfterFirstDeploy),
  backups: z.int("must be a whole number").min(0, "must be 0 or more").max(365, "must be at most 365").default(DIRECTORY_SYNC_DEFAULTS.backups),
  maxShrinkPercent: z
    .number("must be a number")
    .min(0, "must be between 0 and 100")
    .max(100, "must be between 0 and 100")
    .default(DIRECTORY_SYNC_DEFAULTS.maxShrinkPercent),
});

export const PRESERVATION_MAILBOXES = ["all", "scopeGroup"] as const;
const RETAIN_DAYS = `must be a whole number of days from 1 to ${MAX_RETAIN_DAYS}, or "unlimited"`;

/**
 * A Microsoft Purview retention policy that keeps mailbox items (deleted and purged ones too) until
 * Retain archives again: Retain's own advice ("Preventing the Deletion of Unarchived Messages").
 * Absent: none. `mailboxes` is `all`: a retention policy's Exchange location follows the
 * organization only as All; a group in it is expanded once, so later members would be left out.
 */
export const preservationSchema = z
  .strictObject({
    // A whole number, also as `pulumi config set --path` may store it (a string of digits).
    retainDays: z.preprocess(
      (value) => (typeof value === "string" && /^\d{1,9}$/.test(value) ? Number(value) : value),
      z.union([z.int().min(1, RETAIN_DAYS).max(MAX_RETAIN_DAYS, RETAIN_DAYS), z.literal("unlimited")], {
        error: (issue) => (issue.input === undefined ? "is required" : RETAIN_DAYS),
      }),
    ),
    mailboxes: z.enum(PRESERVATION_MAILBOXES, { error: "must be all" }).default("all"),
  })
  .superRefine((preservation, ctx) => {
    if (preservation.mailboxes === "scopeGroup") {
      ctx.addIssue({
        code: "custom",
        path: ["mailboxes"],
        message:
          `scopeGroup is not supported: Microsoft expands a group in a retention policy's Exchange location once, so members added later are not kept ("${STATIC_SCOPE_SENTENCE}", ${STATIC_SCOPE_SOURCE}); ` +
          "use all (every mailbox, those created later too)",
      });
    }
  })
  .transform((preservation) => ({ retainDays: preservation.retainDays, mailboxes: "all" as const }));

/** `retain-m365:preservation` as validated: null when the stack has none. */
export type PreservationConfig = z.output<typeof preservationSchema> | null;

/** A free-form value whose change rotates a credential. */
const rotationKey = z
  .union([z.string(), z.number()], { error: 'must be a string such as "2026-11"' })
  .transform(String)
  .refine((value) => value.trim().length > 0, "must not be empty")
  .default("initial");

const PEM_CERTIFICATE_ONLY = "must be a PEM certificate (-----BEGIN CERTIFICATE----- …), the public part only";

/**
 * Certificates registered on Retain's app: `certificates` (each named by its thumbprint, so adding one
 * and later removing another never replaces a certificate in use); `certificate`, the single one of
 * earlier stacks, stays registered as it was until it is removed.
 */
const certificateCredentialSchema = z
  .strictObject({
    type: z.literal("certificate"),
    certificate: z.string(PEM_CERTIFICATE_ONLY).refine(isPemCertificate, PEM_CERTIFICATE_ONLY).optional(),
    certificates: z
      .array(
        z.string(PEM_CERTIFICATE_ONLY).refine((pem) => pemCertificateFacts(pem) !== undefined, `${PEM_CERTIFICATE_ONLY}, readable as X.509`),
        "must be a list of PEM certificates",
      )
      .optional(),
  })
  .superRefine((credential, ctx) => {
    const all = [...(credential.certificate === undefined ? [] : [credential.certificate]), ...(credential.certificates ?? [])];
    if (all.length === 0) ctx.addIssue({ code: "custom", path: ["certificates"], message: "must list at least one certificate" });
    const seen = new Map<string, string>();
    if (credential.certificate !== undefined) seen.set(pemCertificateFacts(credential.certificate)?.thumbprint ?? credential.certificate.trim(), "certificate");
    (credential.certificates ?? []).forEach((pem, index) => {
      const key = pemCertificateFacts(pem)?.thumbprint;
      if (key === undefined) return;
      const earlier = seen.get(key);
      if (earlier)
        ctx.addIssue({ code: "custom", path: ["certificates", index], message: `is the same certificate as ${earlier}; list each certificate once` });
      else seen.set(key, `certificates[${index}]`);
    });
  });

export const applicationSchema = z.strictObject({
  displayName: displayName.default("Retain Archiving"),
  credential: z
    .discriminatedUnion(
      "type",
      [
        z.strictObject({
          type: z.literal("secret"),
          lifetimeDays: z.int("must be a whole number").min(1, "must be at least 1").max(730, "must be at most 730 (two years)").default(180),
        }),
        certificateCredentialSchema,
      ],
      { error: (issue) => (issue.input === undefined ? "is required" : "must be secret or certificate") },
    )
    .prefault({ type: "secret" }),
  credentialRotation: rotationKey,
});

/** One schema per configuration key, each validated on its own so every problem is reported. */
export const keySchemas = {
  [`${NAMESPACE}:domains`]: z
    .array(domainSchema, { error: (issue) => (issue.input === undefined ? "is required" : "must be a list of domains") })
    .min(1, "must list at least one domain"),
  [`${NAMESPACE}:adminUser`]: adminUserSchema,
  [`${NAMESPACE}:workerUser`]: workerUserSchema,
  [`${NAMESPACE}:exchangeAccess`]: exchangeAccessSchema.prefault({}),
  [`${NAMESPACE}:directorySync`]: directorySyncSchema.prefault({}),
  [`${NAMESPACE}:passwordRotation`]: rotationKey,
  [`${NAMESPACE}:application`]: applicationSchema.prefault({}),
  /** Optional: null when absent (no retention policy). */
  [`${NAMESPACE}:preservation`]: preservationSchema.nullable().default(null),
  /** Protect both users from deletion by `pulumi destroy` or a removed stack entry. */
  [`${NAMESPACE}:protectUsers`]: z
    .union([z.boolean(), z.enum(["true", "false"])], { error: "must be true or false" })
    .transform((value) => value === true || value === "true")
    .default(true),
  "azuread:tenantId": z.string().regex(GUID, "must be the tenant id, a GUID"),
} as const;

type KeyName = keyof typeof keySchemas;
/** `domains` for `retain-m365:domains`, `tenantId` for `azuread:tenantId`. */
export type FieldOf<K extends string> = K extends `${string}:${infer Field}` ? Field : never;

/** A validated tenant stack: each configuration key's value under its name without the namespace, every default filled in. */
export type TenantConfig = { [K in KeyName as FieldOf<K>]: z.output<(typeof keySchemas)[K]> };
export type DomainConfig = TenantConfig["domains"][number];

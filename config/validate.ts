import { nearestName } from "../core/suggest";
import type { z } from "zod";
import { ConfigError } from "../core/errors";
import { LEGACY_IMPERSONATION_ROLE } from "../m365/exchange-facts";
import { NAMESPACE } from "./defaults";
import type * as SchemaModule from "./schema";
import type { FieldOf, TenantConfig } from "./schema";

// The schemas (zod) load on first use, so commands that never validate a stack, the nightly sync above all, do not pay for them.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const schemas = () => (require("./schema") as typeof SchemaModule).keySchemas;

/** One configuration value as Pulumi holds it; `secret` values from a stack file may be unreadable offline. */
export interface RawConfigValue {
  value: unknown;
  secret: boolean;
}
/** Full configuration keys (`namespace:key`) → values, as read from a stack file or the Pulumi runtime. */
export type RawConfig = Record<string, RawConfigValue>;

export type ValidationResult = { ok: true; config: TenantConfig; warnings: string[] } | { ok: false; errors: string[]; warnings: string[] };

type KeyName = keyof typeof SchemaModule.keySchemas;
type Parsed = { [K in KeyName]?: z.output<(typeof SchemaModule.keySchemas)[K]> };

const CLOUDFLARE_TOKEN_KEY = "cloudflare:apiToken";

/**
 * Validates a tenant stack's configuration before any resource is declared. Reports every
 * problem at once, each starting with its full key path; never echoes secret values.
 */
export function validateConfig(raw: RawConfig): ValidationResult {
  const errors: string[] = [];
  const warnings: string[] = [];
  const parsed: Parsed = {};

  for (const key of Object.keys(raw)) {
    if (key.startsWith(`${NAMESPACE}:`) && !(key in schemas())) {
      errors.push(`${key}: unknown key${suggestKey(key)}`);
    }
  }

  for (const key of Object.keys(schemas()) as KeyName[]) {
    const entry = raw[key];
    if (entry?.secret && entry.value === undefined) {
      errors.push(`${key}: is stored as a secret, but it is not sensitive and must be readable offline; store it in plain text`);
      continue;
    }
    const result = schemas()[key].safeParse(entry?.value, { error: describeIssue });
    if (result.success) {
      (parsed as Record<string, unknown>)[key] = result.data;
    } else {
      const messages = result.error.issues.flatMap((issue) => formatIssue(key, issue));
      errors.push(...(entry?.secret ? messages.map((m) => redact(m, entry.value)) : messages));
    }
  }

  const token = raw[CLOUDFLARE_TOKEN_KEY];
  // A stack whose domains are all `manual` writes nothing to Cloudflare and needs no token.
  const usesCloudflare = parsed[`${NAMESPACE}:domains`]?.some((domain) => domain.provider === "cloudflare") ?? true;
  if (token === undefined && usesCloudflare) {
    warnings.push(`${CLOUDFLARE_TOKEN_KEY}: not set; the Cloudflare provider will read CLOUDFLARE_API_TOKEN from the environment at deploy time`);
  } else if (token !== undefined && !token.secret) {
    errors.push(`${CLOUDFLARE_TOKEN_KEY}: is stored in plain text; store it encrypted with "pulumi config set --secret ${CLOUDFLARE_TOKEN_KEY}"`);
  }

  errors.push(...crossFieldProblems(parsed, warnings));

  if (errors.length > 0) return { ok: false, errors, warnings };
  return { ok: true, config: assemble(parsed), warnings };
}

/**
 * The valid configuration, or a ConfigError listing every problem, introduced as `source`'s.
 * Warnings go to `warn` first, whether the configuration is valid or not.
 */
export function validatedOrThrow(raw: RawConfig, source: string, warn: (warning: string) => void = () => {}): { config: TenantConfig; warnings: string[] } {
  const validation = validateConfig(raw);
  validation.warnings.forEach((warning) => warn(warning));
  if (!validation.ok) throw new ConfigError(validation.errors, source);
  return { config: validation.config, warnings: validation.warnings };
}

function crossFieldProblems(parsed: Parsed, warnings: string[]): string[] {
  const problems: string[] = [];
  const domains = parsed[`${NAMESPACE}:domains`];
  const admin = parsed[`${NAMESPACE}:adminUser`];
  const worker = parsed[`${NAMESPACE}:workerUser`];
  const access = parsed[`${NAMESPACE}:exchangeAccess`];

  if (domains) {
    const seen = new Map<string, number>();
    domains.forEach((domain, index) => {
      const first = seen.get(domain.name);
      if (first === undefined) seen.set(domain.name, index);
      else problems.push(`${NAMESPACE}:domains[${index}].name: "${domain.name}" is already listed as domains[${first}]`);
    });
    const names = domains.map((d) => d.name);
    for (const [key, user] of [
      [`${NAMESPACE}:adminUser`, admin],
      [`${NAMESPACE}:workerUser`, worker],
    ] as const) {
      if (!user) continue;
      const domain = user.userPrincipalName.slice(user.userPrincipalName.lastIndexOf("@") + 1).toLowerCase();
      if (!names.includes(domain)) {
        problems.push(`${key}.userPrincipalName: domain "${domain}" is not one of the configured domains (${names.join(", ")})`);
      }
    }
  }
  if (admin && worker && admin.userPrincipalName.toLowerCase() === worker.userPrincipalName.toLowerCase()) {
    problems.push(`${NAMESPACE}:workerUser.userPrincipalName: must differ from ${NAMESPACE}:adminUser.userPrincipalName (two separate accounts are needed)`);
  }
  if (access?.mode === "application-impersonation") {
    warnings.push(
      `${NAMESPACE}:exchangeAccess.mode: application-impersonation assigns the ${LEGACY_IMPERSONATION_ROLE} role, which Exchange Online removed in February 2025; the deployment will be refused there. Use application-rbac.`,
    );
  }
  return problems;
}

const fieldOf = <K extends KeyName>(key: K) => key.slice(key.indexOf(":") + 1) as FieldOf<K>;

/** Each key's value under its field name; the schemas have filled in every default. */
function assemble(parsed: Parsed): TenantConfig {
  const config: Record<string, unknown> = {};
  for (const key of Object.keys(schemas()) as KeyName[]) {
    if (parsed[key] === undefined) throw new Error(`internal: ${key} missing after successful validation`);
    config[fieldOf(key)] = parsed[key];
  }
  return config as TenantConfig;
}

/** A message about a value stored as a secret, with every piece of that value replaced by [secret]. */
function redact(message: string, value: unknown): string {
  const leaves: string[] = [];
  const collect = (v: unknown): void => {
    if (typeof v === "string" || typeof v === "number") leaves.push(String(v));
    else if (v !== null && typeof v === "object") Object.values(v).forEach(collect);
  };
  collect(value);
  return leaves
    .filter((leaf) => leaf.length >= 3)
    .sort((a, b) => b.length - a.length)
    .reduce((text, leaf) => text.split(leaf).join("[secret]"), message);
}

function describeIssue(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.code === "invalid_type") {
    if (issue.input === undefined) return "is required";
    const expected = issue.expected === "array" ? "a list" : issue.expected === "object" ? "a mapping of keys" : `a ${issue.expected}`;
    return `must be ${expected} (got ${describeType(issue.input)})`;
  }
  if (issue.code === "invalid_value") return `must be one of: ${issue.values.map(String).join(", ")}`;
  return undefined;
}

function describeType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  return typeof value === "object" ? "a mapping" : `a ${typeof value}`;
}

function formatIssue(key: string, issue: z.core.$ZodIssue): string[] {
  const at = key + issue.path.map((segment) => (typeof segment === "number" ? `[${segment}]` : `.${String(segment)}`)).join("");
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((name) => `${at}.${name}: unknown key`);
  }
  return [`${at}: ${issue.message}`];
}

function suggestKey(key: string): string {
  const known = Object.keys(schemas()).filter((k) => k.startsWith(`${NAMESPACE}:`));
  const match = nearestName(key, known);
  return match ? ` (did you mean ${match}?)` : ` (known keys: ${known.join(", ")})`;
}

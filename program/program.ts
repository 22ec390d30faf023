import * as pulumi from "@pulumi/pulumi";
import { RetainTenant } from "./tenant";
import { retainSettings } from "./retain-settings";
import { readRuntimeConfig } from "./runtime-config";
import type { TenantConfig } from "../config/schema";
import { validatedOrThrow } from "../config/validate";
import { CLOUDS } from "../m365/clouds";
import { mailboxEwsWarning } from "../m365/mailbox-ews";
import type { ServiceConfigurationRecord, ServiceConfigurationRecordSource } from "../m365/microsoft-dns-records/records";
import { requirePulumiCli } from "./pulumi-cli";
import { existingResources, type Discovery } from "../components/discovery";
import { ExitCode, UserFacingError } from "../core/errors";
import { nightlySyncInstallCommand } from "../job/install-command";

export interface ProgramDependencies {
  /** Where Microsoft's DNS record set comes from; asked only when a domain has `microsoft365Records` on. */
  recordSource: (config: TenantConfig) => ServiceConfigurationRecordSource;
  /** A configuration the caller has validated already (the offline plan); else it is read from the engine. */
  config?: TenantConfig;
  /** Checks of the live tenant whose findings are warnings, never failures (none in the offline plan). */
  tenantWarnings?: (config: TenantConfig) => Promise<string[]>;
  /**
   * What the tenant and its zones already hold, read as `retain-m365 adopt` reads it, with resource
   * names as urns (none in the offline plan, which plans a tenant where nothing exists yet).
   */
  discover?: (config: TenantConfig, stack: string) => Promise<Discovery>;
}

/** What a deployment checks in the tenant and reports as warnings: today the worker mailbox's own EWS setting. */
export async function tenantWarnings(config: TenantConfig): Promise<string[]> {
  const target = { tenantId: config.tenantId, exchangeEndpoint: CLOUDS.global.exchange };
  const worker = await mailboxEwsWarning(target, config.workerUser.userPrincipalName);
  return worker ? [worker] : [];
}

/**
 * The Pulumi program of one tenant stack: check the Pulumi CLI and validate the configuration
 * before declaring anything, read what must be read, declare the tenant, return the stack outputs.
 */
export async function deployTenant(deps: ProgramDependencies): Promise<Record<string, unknown>> {
  // A CLI older than MINIMUM_PULUMI_CLI (the version check itself, and the first sync's resource hook) is refused before anything is declared.
  await requirePulumiCli();
  const config = deps.config ?? validatedOrThrow(readRuntimeConfig(), `stack ${pulumi.getStack()}`, (warning) => void pulumi.log.warn(warning)).config;

  const stack = pulumi.getStack();
  const [microsoft365Records, warnings, discovered] = await Promise.all([
    readMicrosoft365Records(config, deps),
    deps.tenantWarnings?.(config) ?? [],
    deps.discover?.(config, stack) ?? { findings: [], notices: [] },
  ]);
  for (const warning of [...warnings, ...discovered.notices]) void pulumi.log.warn(warning);
  refuseConflicts(discovered);
  const tenant = new RetainTenant(stack, { config, microsoft365Records, existing: existingResources(discovered) });

  const { accounts, application } = tenant;
  return {
    tenantId: config.tenantId,
    domains: config.domains.map((d) => d.name),
    dnsRecords: tenant.dns.flatMap((d) => d.recordNames),
    // The records the admin creates by hand at their own DNS host, where a domain's provider is manual.
    ...(tenant.manualRecords.length > 0 ? { manualDnsRecords: tenant.manualRecords } : {}),
    adminUserPrincipalName: accounts.admin.userPrincipalName,
    adminObjectId: accounts.admin.objectId,
    workerUserPrincipalName: accounts.worker.userPrincipalName,
    workerObjectId: accounts.worker.objectId,
    applicationClientId: application.clientId,
    // Secrets: shown only with `pulumi stack output --show-secrets`.
    adminPassword: accounts.adminPassword,
    workerPassword: accounts.workerPassword,
    ...(application.clientSecret ? { applicationClientSecret: application.clientSecret } : {}),
    ...credentialExpiryOutputs(application),
    // Every value Retain's Exchange module asks for, and where it comes from (README, "Finishing in Retain").
    retainSettings: retainSettings(config, tenant, microsoft365Records),
    // What a Retain admin runs on the Retain server (as root), with the Retain-server package unpacked where README says.
    nightlySyncInstallCommand: pulumi
      .all([application.clientId, application.clientSecretEndDate])
      .apply(([clientId, secretExpires]) =>
        nightlySyncInstallCommand({ tenantId: config.tenantId, clientId, outputDir: config.directorySync.outputDir, secretExpires }),
      ),
  };
}

/**
 * When Retain's app credential expires, for the nightly drift workflow and `schedule --stack`:
 * the secret's end date, or each certificate's notAfter; `applicationCredentialExpires` is the earliest.
 */
export function credentialExpiryOutputs(application: RetainTenant["application"]): Record<string, unknown> {
  if (application.clientSecretEndDate) {
    return { applicationSecretExpires: application.clientSecretEndDate, applicationCredentialExpires: application.clientSecretEndDate };
  }
  const certificates = application.certificates.map((c) => ({ thumbprint: c.thumbprint ?? null, expires: c.notAfter?.toISOString() ?? null }));
  const earliest = certificates
    .map((c) => c.expires)
    .filter((expires) => expires !== null)
    .sort()[0];
  return { applicationCertificates: certificates, ...(earliest ? { applicationCredentialExpires: earliest } : {}) };
}

/** A conflict stops the deploy before anything is declared, with the sentence and key `adopt` shows. */
function refuseConflicts(discovered: Discovery): void {
  const conflicts = discovered.findings.filter((finding) => finding.action === "conflict");
  if (conflicts.length === 0) return;
  throw new UserFacingError(
    `the tenant holds ${conflicts.length === 1 ? "something" : `${conflicts.length} things`} the stack would have to change, and nothing changes until a decision is made:\n` +
      conflicts.map((c) => `  - ${c.detail}${c.decide ? ` Decide with ${c.decide}.` : ""}`).join("\n"),
    ExitCode.safetyGuard,
    conflicts.map((c) => c.detail),
  );
}

async function readMicrosoft365Records(config: TenantConfig, deps: ProgramDependencies): Promise<Record<string, ServiceConfigurationRecord[]>> {
  const wanted = config.domains.filter((d) => d.microsoft365Records);
  if (wanted.length === 0) return {};
  const source = deps.recordSource(config);
  const entries = await Promise.all(wanted.map(async (d) => [d.name, await source.recordsFor(d.name)] as const));
  return Object.fromEntries(entries);
}

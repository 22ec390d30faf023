import * as pulumi from "@pulumi/pulumi";
import { EWS_ENFORCE_SETTING, type DnsProviderSettings, type DomainConfig, type TenantConfig } from "../config/schema";
import type { ServiceConfigurationRecord } from "../m365/microsoft-dns-records/records";
import { RetainAccounts, retainAccountsNames, type RetainAccountsArgs } from "../components/identity/accounts";
import { retainAccountsPermissions } from "../components/identity/accounts/permissions";
import { RetainApplication } from "../components/identity/application";
import { retainApplicationPermissions } from "../components/identity/application/permissions";
import { DomainDns, domainDnsPermissions, existingRecordsOf, type DomainDnsArgs } from "../components/dns/domain-dns";
import type { ManualDnsRecordInput } from "../components/dns/providers/manual";
import { firstSyncHook } from "./first-sync-hook";
import { importIdOf, type ExistingResources } from "../components/discovery";
import { ExchangeAccess, type ExchangeAccessArgs } from "../components/exchange";
import type { DeclaredExchangeAccess } from "../components/exchange/discovery";
import { EXCHANGE_ADMIN_API_PERMISSION } from "../components/exchange/access-rights";
import { exchangeAccessPermissions } from "../components/exchange/permissions";
import { combinePermissions, permissions } from "../components/permissions";
import { Preservation, preservationPermissions } from "../components/compliance";

export interface RetainTenantArgs {
  /** The validated stack configuration. */
  config: TenantConfig;
  /** Microsoft's record set per domain, for the domains with `microsoft365Records` on. */
  microsoft365Records: Readonly<Record<string, readonly ServiceConfigurationRecord[]>>;
  /** What exists already, by resource name: imported, or left undeclared (none: everything is created). */
  existing?: ExistingResources;
}

/** The program's own check of the tenant on every preview: the worker mailbox's EWS setting (`Get-CASMailbox`). */
const tenantWarningsPermissions = permissions({
  read: {
    exchange: [
      EXCHANGE_ADMIN_API_PERMISSION,
      "Entra role Global Reader or Exchange role group View-Only Organization Management, held by the previewing identity: the worker mailbox's EWS check runs Get-CASMailbox",
    ],
  },
});

/** What previewing and deploying a whole tenant needs: the union of its components' needs and the program's. */
export const retainTenantPermissions = combinePermissions(
  domainDnsPermissions,
  retainAccountsPermissions,
  retainApplicationPermissions,
  exchangeAccessPermissions,
  preservationPermissions,
  tenantWarningsPermissions,
);

/**
 * The names of the tenant's components, from the tenant's name (the stack's: program.ts): the
 * declaration below and the discovery (adopt/discovery-steps.ts) both take them from here, and
 * each component names its own resources from its name.
 */
export function tenantNames(name: string) {
  return {
    dns: (domain: string) => `${name}-dns-${domain}`,
    accounts: `${name}-accounts`,
    application: `${name}-app`,
    exchange: `${name}-exchange`,
    firstSync: `${name}-first-sync`,
    preservation: `${name}-preservation`,
  };
}

/** Everything one Microsoft 365 tenant needs for archiving with Retain (one per stack). */
export class RetainTenant extends pulumi.ComponentResource {
  readonly dns: DomainDns[];
  /** The records the admin creates by hand, of every `manual` domain (the stack output `manualDnsRecords`). */
  readonly manualRecords: ManualDnsRecordInput[];
  readonly accounts: RetainAccounts;
  readonly application: RetainApplication;
  readonly exchangeAccess: ExchangeAccess;
  /** The retention policy that keeps mail until Retain archives it, where the stack asks for one. */
  readonly preservation?: Preservation;

  constructor(name: string, args: RetainTenantArgs, opts?: pulumi.ComponentResourceOptions) {
    super("retain-m365:tenant:RetainTenant", name, {}, opts);
    const { config } = args;
    const names = tenantNames(name);

    this.dns = config.domains.map((domain) => {
      const records = args.microsoft365Records[domain.name];
      if (domain.microsoft365Records && records === undefined) {
        throw new Error(`RetainTenant ${name}: microsoft365Records is on for ${domain.name} but no record set was read`);
      }
      const dnsName = names.dns(domain.name);
      const dnsArgs = domainDnsArgs(domain, records);
      return new DomainDns(dnsName, { ...dnsArgs, existingRecords: existingRecordsOf(dnsName, dnsArgs, args.existing) }, { parent: this });
    });
    this.manualRecords = this.dns.flatMap((d) => d.manualRecords);

    this.accounts = new RetainAccounts(names.accounts, accountsArgs(config, names.accounts, args.existing), { parent: this });
    const sync = config.directorySync;
    const firstSync = sync.runAfterFirstDeploy && config.application.credential.type === "secret";
    if (sync.runAfterFirstDeploy && !firstSync) {
      void pulumi.log.warn(
        "directorySync.runAfterFirstDeploy: the app uses a certificate whose key the deployment never sees; run the first `retain-m365 sync --certificate …` by hand",
        this,
      );
    }
    this.application = new RetainApplication(
      names.application,
      {
        ...config.application,
        afterSecretCreated: firstSync
          ? [
              firstSyncHook(names.firstSync, {
                tenantId: config.tenantId,
                clientId: () => this.application.clientId,
                secretExpires: () => this.application.clientSecretEndDate,
                directorySync: sync,
              }),
            ]
          : [],
      },
      { parent: this },
    );
    this.exchangeAccess = new ExchangeAccess(names.exchange, exchangeAccessArgs(config, this.application, this.accounts.worker.userPrincipalName), {
      parent: this,
    });

    if (config.preservation) {
      this.preservation = new Preservation(names.preservation, { tenantId: config.tenantId, retainDays: config.preservation.retainDays }, { parent: this });
    }

    this.registerOutputs({
      dnsRecords: this.dns.flatMap((d) => d.recordNames),
      applicationClientId: this.application.clientId,
    });
  }
}

/** The two users as the configuration describes them, each taken over where it exists (by the name the component gives it). */
export function accountsArgs(config: TenantConfig, name: string, existing?: ExistingResources): RetainAccountsArgs {
  const names = retainAccountsNames(name);
  return {
    tenantId: config.tenantId,
    admin: { ...config.adminUser, importId: importIdOf(existing, names.admin), roleImportId: importIdOf(existing, names.adminRole) },
    worker: { ...config.workerUser, importId: importIdOf(existing, names.worker) },
    passwordRotation: config.passwordRotation,
    protect: config.protectUsers,
  };
}

/** The configuration's Exchange decisions, as ExchangeAccess takes them: one mapping for the deploy and for the discovery. */
function exchangeAccessSettings(config: TenantConfig) {
  const access = config.exchangeAccess;
  return {
    mode: access.mode,
    roles: access.roles,
    scopeGroup: access.scopeGroup,
    allMailboxes: access.allMailboxes,
    ewsAllowList: access.ewsAllowList === false ? undefined : access.ewsAllowList,
    ewsEnforceSetting: EWS_ENFORCE_SETTING,
  };
}

/** Exchange access for Retain's app, as the configuration decides it. */
function exchangeAccessArgs(config: TenantConfig, application: RetainApplication, workerUserPrincipalName: pulumi.Input<string>): ExchangeAccessArgs {
  return {
    ...exchangeAccessSettings(config),
    tenantId: config.tenantId,
    app: {
      clientId: application.clientId,
      servicePrincipalObjectId: application.servicePrincipal.objectId,
      displayName: config.application.displayName,
    },
    workerUserPrincipalName,
  };
}

/** ExchangeAccess's arguments with the values known before a deploy (for the discovery): the app's display name and the worker's name as configured. */
export function declaredExchangeAccess(config: TenantConfig): DeclaredExchangeAccess {
  return {
    ...exchangeAccessSettings(config),
    app: { displayName: config.application.displayName },
    workerUserPrincipalName: config.workerUser.userPrincipalName,
  };
}

/**
 * The domain's component arguments, as the tenant declares them (one mapping for the deploy and for
 * `adopt`): its provider with that provider's keys (`zoneId`, …) as the configuration gives them.
 */
export function domainDnsArgs(domain: DomainConfig, records: readonly ServiceConfigurationRecord[] | undefined): DomainDnsArgs {
  const provider = Object.fromEntries(Object.entries(domain).filter(([key]) => !DOMAIN_KEYS.has(key))) as DnsProviderSettings;
  return {
    domain: domain.name,
    ...provider,
    microsoft365Records: domain.microsoft365Records ? records : undefined,
    skypeForBusinessRecords: domain.skypeForBusinessRecords,
  };
}

/** A domain's keys that are not its provider's (`provider` and the provider's own keys, such as `zoneId`). */
const DOMAIN_KEYS = new Set(["name", "microsoft365Records", "skypeForBusinessRecords", "onExisting"]);

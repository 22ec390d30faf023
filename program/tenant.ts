import * as pulumi from "@pulumi/pulumi";
import { EWS_ENFORCE_SETTING, type DnsProviderSettings, type DomainConfig, type TenantConfig } from "../config/schema";
import type { ServiceConfigurationRecord } from "../m365/service-records";
import { RetainAccounts, retainAccountsPermissions, type RetainAccountsArgs } from "../components/identity/accounts";
import { RetainApplication, retainApplicationPermissions } from "../components/identity/application";
import { DomainDns, domainDnsPermissions, type DomainDnsArgs } from "../components/dns/domain-dns";
import type { ManualDnsRecordInput } from "../components/dns/providers/manual";
import { firstSyncHook } from "./first-sync-hook";
import type { ExistingResources } from "./adopt/findings";
import type { ExistingRecordAction } from "../components/dns/existing";
import { EXCHANGE_ADMIN_API_PERMISSION, ExchangeAccess, exchangeAccessPermissions, type ExchangeAccessArgs } from "../components/exchange/exchange-access";
import { combinePermissions, permissions } from "../components/permissions";

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
  tenantWarningsPermissions,
);

/** Everything one Microsoft 365 tenant needs for archiving with Retain (one per stack). */
export class RetainTenant extends pulumi.ComponentResource {
  readonly dns: DomainDns[];
  /** The records the admin creates by hand, of every `manual` domain (the stack output `manualDnsRecords`). */
  readonly manualRecords: ManualDnsRecordInput[];
  readonly accounts: RetainAccounts;
  readonly application: RetainApplication;
  readonly exchangeAccess: ExchangeAccess;

  constructor(name: string, args: RetainTenantArgs, opts?: pulumi.ComponentResourceOptions) {
    super("retain-m365:tenant:RetainTenant", name, {}, opts);
    const { config } = args;

    this.dns = config.domains.map((domain) => {
      const records = args.microsoft365Records[domain.name];
      if (domain.microsoft365Records && records === undefined) {
        throw new Error(`RetainTenant ${name}: microsoft365Records is on for ${domain.name} but no record set was read`);
      }
      const dnsName = `${name}-dns-${domain.name}`;
      const existingRecords = existingByRole(`${dnsName}-`, args.existing);
      return new DomainDns(dnsName, { ...domainDnsArgs(domain, records), existingRecords }, { parent: this });
    });
    this.manualRecords = this.dns.flatMap((d) => d.manualRecords);

    this.accounts = new RetainAccounts(`${name}-accounts`, accountsArgs(config, `${name}-accounts`, args.existing), { parent: this });
    const sync = config.directorySync;
    const firstSync = sync.runAfterFirstDeploy && config.application.credential.type === "secret";
    if (sync.runAfterFirstDeploy && !firstSync) {
      void pulumi.log.warn("directorySync.runAfterFirstDeploy: the app uses a certificate whose key the deployment never sees; run the first `retain-m365 sync --certificate …` by hand", this);
    }
    this.application = new RetainApplication(
      `${name}-app`,
      {
        ...config.application,
        afterSecretCreated: firstSync ? [firstSyncHook(`${name}-first-sync`, { tenantId: config.tenantId, clientId: () => this.application.clientId, directorySync: sync })] : [],
      },
      { parent: this },
    );
    this.exchangeAccess = new ExchangeAccess(
      `${name}-exchange`,
      exchangeAccessArgs(config, this.application, this.accounts.worker.userPrincipalName),
      { parent: this },
    );

    this.registerOutputs({
      dnsRecords: this.dns.flatMap((d) => d.recordNames),
      applicationClientId: this.application.clientId,
    });
  }
}

/** The two users as the configuration describes them, each taken over where it exists. */
function accountsArgs(config: TenantConfig, name: string, existing: ExistingResources | undefined): RetainAccountsArgs {
  return {
    tenantId: config.tenantId,
    admin: { ...config.adminUser, importId: existing?.imports[`${name}-admin`], roleImportId: existing?.imports[`${name}-admin-role`] },
    worker: { ...config.workerUser, importId: existing?.imports[`${name}-worker`] },
    passwordRotation: config.passwordRotation,
    protect: config.protectUsers,
  };
}

/** Exchange access for Retain's app, as the configuration decides it. */
function exchangeAccessArgs(config: TenantConfig, application: RetainApplication, workerUserPrincipalName: pulumi.Input<string>): ExchangeAccessArgs {
  const access = config.exchangeAccess;
  return {
    tenantId: config.tenantId,
    mode: access.mode,
    roles: access.roles,
    scopeGroup: access.scopeGroup,
    allMailboxes: access.allMailboxes,
    ewsAllowList: access.ewsAllowList === false ? undefined : access.ewsAllowList,
    app: {
      clientId: application.clientId,
      servicePrincipalObjectId: application.servicePrincipal.objectId,
      displayName: config.application.displayName,
    },
    workerUserPrincipalName,
    ewsEnforceSetting: EWS_ENFORCE_SETTING,
  };
}

/** A component's per-role actions from what exists, for the resources named `<prefix><role>`. */
function existingByRole(prefix: string, existing: ExistingResources | undefined): Record<string, ExistingRecordAction> {
  const actions: Record<string, ExistingRecordAction> = {};
  for (const [resource, importId] of Object.entries(existing?.imports ?? {})) if (resource.startsWith(prefix)) actions[resource.slice(prefix.length)] = { import: importId };
  for (const [resource, content] of Object.entries(existing?.contents ?? {})) if (resource.startsWith(prefix)) actions[resource.slice(prefix.length)] = { content };
  for (const resource of existing?.left ?? []) if (resource.startsWith(prefix)) actions[resource.slice(prefix.length)] = "leave";
  return actions;
}

/**
 * The domain's component arguments, as the tenant declares them (one mapping for the deploy and for
 * `adopt`): its provider with that provider's keys (`zoneId`, …) as the configuration gives them.
 */
export function domainDnsArgs(domain: DomainConfig, records: readonly ServiceConfigurationRecord[] | undefined): DomainDnsArgs {
  const provider = Object.fromEntries(Object.entries(domain).filter(([key]) => !DOMAIN_KEYS.has(key))) as DnsProviderSettings;
  return { domain: domain.name, ...provider, microsoft365Records: domain.microsoft365Records ? records : undefined, skypeForBusinessRecords: domain.skypeForBusinessRecords };
}

/** A domain's keys that are not its provider's (`provider` and the provider's own keys, such as `zoneId`). */
const DOMAIN_KEYS = new Set(["name", "microsoft365Records", "skypeForBusinessRecords", "onExisting"]);

import * as pulumi from "@pulumi/pulumi";
import { EWS_ENFORCE_SETTING, type TenantConfig } from "../config/schema";
import type { ServiceConfigurationRecord } from "../m365/service-records";
import { RetainAccounts, retainAccountsPermissions, type RetainAccountsArgs } from "../components/identity/accounts";
import { RetainApplication, retainApplicationPermissions } from "../components/identity/application";
import { DomainDns, domainDnsPermissions } from "../components/dns/domain-dns";
import { firstSyncHook } from "./first-sync-hook";
import { EXCHANGE_ADMIN_API_PERMISSION, ExchangeAccess, exchangeAccessPermissions, type ExchangeAccessArgs } from "../components/exchange/exchange-access";
import { combinePermissions, permissions } from "../components/permissions";

export interface RetainTenantArgs {
  /** The validated stack configuration. */
  config: TenantConfig;
  /** Microsoft's record set per domain, for the domains with `microsoft365Records` on. */
  microsoft365Records: Readonly<Record<string, readonly ServiceConfigurationRecord[]>>;
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
      return new DomainDns(
        `${name}-dns-${domain.name}`,
        { domain: domain.name, zoneId: domain.zoneId, microsoft365Records: domain.microsoft365Records ? records : undefined },
        { parent: this },
      );
    });

    this.accounts = new RetainAccounts(`${name}-accounts`, accountsArgs(config), { parent: this });
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

/** The two users as the configuration describes them. */
function accountsArgs(config: TenantConfig): RetainAccountsArgs {
  return {
    tenantId: config.tenantId,
    admin: config.adminUser,
    worker: config.workerUser,
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

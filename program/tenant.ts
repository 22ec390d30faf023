import * as pulumi from "@pulumi/pulumi";
import { EWS_ENFORCE_SETTING, type TenantConfig } from "../config/schema";
import type { ServiceConfigurationRecord } from "../m365/service-records";
import { RetainAccounts, retainAccountsPermissions } from "../components/identity/accounts";
import { RetainApplication, retainApplicationPermissions } from "../components/identity/application";
import { DomainDns, domainDnsPermissions } from "../components/dns/domain-dns";
import { firstSyncHook } from "./first-sync-hook";
import { ExchangeAccess, exchangeAccessPermissions } from "../components/exchange/exchange-access";
import { combinePermissions } from "../components/permissions";

export interface RetainTenantArgs {
  /** The validated stack configuration. */
  config: TenantConfig;
  /** Microsoft's record set per domain, for the domains with `microsoft365Records` on. */
  microsoft365Records: Readonly<Record<string, readonly ServiceConfigurationRecord[]>>;
}

/** What deploying a whole tenant needs: the union of its components' needs. */
export const retainTenantPermissions = combinePermissions(
  domainDnsPermissions,
  retainAccountsPermissions,
  retainApplicationPermissions,
  exchangeAccessPermissions,
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

    this.accounts = new RetainAccounts(
      `${name}-accounts`,
      {
        tenantId: config.tenantId,
        admin: config.adminUser,
        worker: config.workerUser,
        passwordRotation: config.passwordRotation,
        protect: config.protectUsers,
      },
      { parent: this },
    );
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
      {
        tenantId: config.tenantId,
        access: config.exchangeAccess,
        app: {
          clientId: this.application.clientId,
          servicePrincipalObjectId: this.application.servicePrincipal.objectId,
          displayName: config.application.displayName,
        },
        workerUserPrincipalName: this.accounts.worker.userPrincipalName,
        ewsEnforceSetting: EWS_ENFORCE_SETTING,
      },
      { parent: this },
    );

    this.registerOutputs({
      dnsRecords: this.dns.flatMap((d) => d.recordNames),
      applicationClientId: this.application.clientId,
    });
  }
}

import * as pulumi from "@pulumi/pulumi";
import type { TenantConfig } from "../config/schema";
import { ewsUrl } from "../m365/ews-client";
import type { ServiceConfigurationRecord } from "../m365/microsoft-dns-records/records";
import type { RetainTenant } from "./tenant";

/**
 * Every value Retain's Exchange (Office 365) module asks for, and where it comes from: the stack
 * output `retainSettings`, which README's "Finishing in Retain" walks through field by field.
 * Secrets are named by the output that holds them, never copied here.
 */
export interface RetainSettings {
  /** The tenant: Retain's "Tenant ID". */
  tenantId: string;
  /** Retain's app: its "Application (client) ID". */
  applicationClientId: pulumi.Output<string>;
  /** Where the app's credential is: a stack output holding the secret, or the certificate folder on the Retain server. */
  applicationCredential: string;
  /** The mailbox-enabled worker account Retain signs in as. */
  workerUserPrincipalName: pulumi.Output<string>;
  /** Where its password is: a secret stack output. */
  workerPassword: string;
  /** The EWS URL to enter instead of relying on autodiscover (Microsoft's RBAC for Applications FAQ). */
  ewsUrl: string;
  /** The SMTP host Retain sends notifications through: Microsoft's MX for the first domain whose record set the stack read; null when none is read. */
  smtpHost: pulumi.Output<string> | null;
  /** Retain's cfg folder, where the nightly job writes exchangeuser.csv and exchangegroups.csv. */
  addressBookFolder: string;
  /** Which mailboxes Retain's app reaches. */
  mailboxesInReach: string;
}

/** The stack's `retainSettings`, from its configuration, its tenant and Microsoft's record sets. */
export function retainSettings(
  config: TenantConfig,
  tenant: Pick<RetainTenant, "application" | "accounts">,
  microsoft365Records: Readonly<Record<string, readonly ServiceConfigurationRecord[]>>,
): RetainSettings {
  const mx = Object.values(microsoft365Records)
    .flat()
    .find((record): record is Extract<ServiceConfigurationRecord, { recordType: "Mx" }> => record.recordType === "Mx");
  const access = config.exchangeAccess;
  return {
    tenantId: config.tenantId,
    applicationClientId: tenant.application.clientId,
    applicationCredential:
      config.application.credential.type === "secret"
        ? "the stack output applicationClientSecret (pulumi stack output --show-secrets applicationClientSecret)"
        : "the certificate whose key `retain-m365 credential new` kept on the Retain server (the stack output applicationCertificates lists the thumbprints)",
    workerUserPrincipalName: tenant.accounts.worker.userPrincipalName,
    workerPassword: "the stack output workerPassword (pulumi stack output --show-secrets workerPassword)",
    ewsUrl: ewsUrl("global"),
    smtpHost: mx ? pulumi.output(mx.mailExchange) : null,
    addressBookFolder: config.directorySync.outputDir,
    mailboxesInReach:
      access.mode !== "application-rbac"
        ? "every mailbox the worker may impersonate (application-impersonation)"
        : access.allMailboxes
          ? "every mailbox of the organization (exchangeAccess.allMailboxes: true)"
          : `the members of the mail-enabled security group "${access.scopeGroup}"`,
  };
}

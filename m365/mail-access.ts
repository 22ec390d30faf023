import { MICROSOFT_GRAPH_APP_ID } from "./entra";
import { ARCHIVING_APPLICATION_ROLES, EWS_ACCESS_ROLE, EXCHANGE_ONLINE_APP_ID, type ArchivingApplicationRole } from "./exchange-facts";

// Entra application permissions that reach mailboxes. Constants and pure functions only.

/**
 * Application permissions (app role values) to mailbox content: Graph's Mail.*, MailboxSettings.*,
 * MailboxFolder.*, MailboxItem.*, Calendars.*, Contacts.* and Exchange Online's legacy ones of the
 * same names. Consented in Entra, such a permission reaches every mailbox of the organization:
 * permissions are additive, so Exchange's management scopes cannot narrow it (Microsoft's "Role
 * Based Access Control for Applications in Exchange Online").
 */
const MAILBOX_CONTENT = /^(Mail|MailboxSettings|MailboxFolder|MailboxItem|Calendars|Contacts)\./;

/** Exchange Online's permission to every mailbox through EWS, as any user (the original "full access"). */
export const EXCHANGE_FULL_ACCESS_AS_APP = "full_access_as_app";

/** The resources whose application permissions can reach mailboxes, by application id, with a readable name. */
export const MAILBOX_RESOURCES: Readonly<Record<string, string>> = {
  [MICROSOFT_GRAPH_APP_ID]: "Microsoft Graph",
  [EXCHANGE_ONLINE_APP_ID]: "Office 365 Exchange Online",
};

/** Whether an application permission of the resource `resourceAppId` reaches every mailbox, whatever Exchange scopes. */
export function reachesEveryMailbox(resourceAppId: string, permission: string): boolean {
  const resource = resourceAppId.toLowerCase();
  if (resource === EXCHANGE_ONLINE_APP_ID) return permission === EXCHANGE_FULL_ACCESS_AS_APP || MAILBOX_CONTENT.test(permission);
  return resource === MICROSOFT_GRAPH_APP_ID && MAILBOX_CONTENT.test(permission);
}

/**
 * An application permission consented in Entra that reaches every mailbox, and the Exchange
 * application role that grants the same within a management scope. `appRoleId` is the
 * permission's id, the same in every tenant: the policy pack, which cannot ask Graph, matches grants by
 * it; readiness resolves ids against the resource's `appRoles` instead.
 */
export interface ScopedEquivalent {
  /** The resource's application id (Microsoft Graph, or Office 365 Exchange Online). */
  resourceAppId: string;
  /** The app role's value, as Entra shows it ("MailboxItem.Read.All"). */
  permission: string;
  /** The app role's id. */
  appRoleId: string;
  /** The Exchange application role to list in `exchangeAccess.roles` instead. */
  scopedRole: string;
}

const graph = (permission: string, appRoleId: string, scopedRole: string): ScopedEquivalent => ({
  resourceAppId: MICROSOFT_GRAPH_APP_ID,
  permission,
  appRoleId,
  scopedRole,
});

/**
 * Every unscoped permission whose same rights an Exchange application role grants, scoped.
 *
 * Pairs: Microsoft's "Role Based Access Control for Applications in Exchange Online"
 * (learn.microsoft.com/exchange/permissions-exo/application-rbac), "Supported Application Roles":
 * each role's "Permissions List" names the Graph permission it stands for, and Microsoft says
 * these roles "have the same effect as the Graph permissions except for [...] granular resource
 * scoped access". Two pairs that table does not spell out: Graph's Mail.ReadBasic.All, whose name and
 * description in the Graph permissions reference are those of Mail.ReadBasic ("Read basic mail in
 * all mailboxes"), and Exchange's full_access_as_app ("Use Exchange Web Services with full access
 * to all mailboxes"), which the table's `Application EWS.AccessAsApp` describes in the same words.
 * The composite roles (Application Mail Full Access, Application Exchange Full Access) and those
 * outside mailbox content (SMTP.SendAsApp, MailboxConfigItem.*, MailTips.*, Mail-Advanced.*) are
 * left out.
 *
 * Ids: the Graph permissions reference (learn.microsoft.com/graph/permissions-reference), each
 * permission's application "Identifier". The ids are the same in every tenant; they were checked
 * against copies of Graph's own service principal (graphpermissions.merill.net, and a change log
 * of Graph's app roles that dates MailboxFolder.*, MailboxItem.Read.All and
 * MailboxItem.ImportExport.All to 2024-08-27). MailboxItem.ReadWrite.All and MailboxItem.Export.All,
 * newer, rest on one such copy each (docs/exchange.md lists them as assumptions). full_access_as_app:
 * Microsoft's "Authenticate an EWS application by using OAuth", the manifest's
 * `requiredResourceAccess` for Office 365 Exchange Online.
 */
export const SCOPED_EQUIVALENTS: readonly ScopedEquivalent[] = [
  graph("Mail.Read", "810c84a8-4a9e-49e6-bf7d-12d183f40d01", "Application Mail.Read"),
  graph("Mail.ReadBasic", "6be147d2-ea4f-4b5a-a3fa-3eab6f3c140a", "Application Mail.ReadBasic"),
  graph("Mail.ReadBasic.All", "693c5e45-0940-467d-9b8a-1022fb9d42ef", "Application Mail.ReadBasic"),
  graph("Mail.ReadWrite", "e2a3a72e-5f79-4c64-b1b1-878b674786c9", "Application Mail.ReadWrite"),
  graph("Mail.Send", "b633e1c5-b582-4048-a93e-9f11b44c7e96", "Application Mail.Send"),
  graph("MailboxSettings.Read", "40f97065-369a-49f4-947c-6a255697ae91", "Application MailboxSettings.Read"),
  graph("MailboxSettings.ReadWrite", "6931bccd-447a-43d1-b442-00a195474933", "Application MailboxSettings.ReadWrite"),
  graph("Calendars.Read", "798ee544-9d2d-430c-a058-570e29e34338", "Application Calendars.Read"),
  graph("Calendars.ReadWrite", "ef54d2bf-783f-4e0f-bca1-3210c0444d99", "Application Calendars.ReadWrite"),
  graph("Contacts.Read", "089fe4d0-434a-44c5-8827-41ba8a0b17f5", "Application Contacts.Read"),
  graph("Contacts.ReadWrite", "6918b873-d17a-4dc1-b314-35f528134491", "Application Contacts.ReadWrite"),
  graph("MailboxFolder.Read.All", "99280d24-a782-4793-93cc-0888549957f6", "Application MailboxFolder.Read"),
  graph("MailboxFolder.ReadWrite.All", "fef87b92-8391-4589-9da7-eb93dab7dc8a", "Application MailboxFolder.ReadWrite"),
  graph("MailboxItem.Read.All", "7d9f353d-a7bd-4fbb-822a-26d5dd39a3ce", "Application MailboxItem.Read"),
  graph("MailboxItem.ReadWrite.All", "1583d471-fede-4e7c-b062-57e9d60cfb49", "Application MailboxItem.ReadWrite"),
  graph("MailboxItem.Export.All", "937550e9-33a3-494b-88ae-d9cd394b1fbb", "Application MailboxItem.Export"),
  graph("MailboxItem.ImportExport.All", "76577085-e73d-4f1d-b26a-85fb33892327", "Application MailboxItem.ImportExport"),
  {
    resourceAppId: EXCHANGE_ONLINE_APP_ID,
    permission: EXCHANGE_FULL_ACCESS_AS_APP,
    appRoleId: "dc890d15-9560-4a4c-9b7f-a736ec74ec40",
    scopedRole: EWS_ACCESS_ROLE,
  },
];

/** The scoped Exchange role that grants what `permission` of `resourceAppId` grants; undefined when there is none (Exchange's legacy Mail.Read, say). */
export function scopedRoleFor(resourceAppId: string, permission: string): string | undefined {
  const resource = resourceAppId.toLowerCase();
  return SCOPED_EQUIVALENTS.find((e) => e.resourceAppId === resource && e.permission === permission)?.scopedRole;
}

/**
 * The unscoped permission an app role id stands for, by id alone (an app role assignment names no
 * resource by application id) or, given `resourceAppId`, of that resource only.
 */
export function scopedEquivalentOf(appRoleId: string, resourceAppId?: string): ScopedEquivalent | undefined {
  const id = appRoleId.toLowerCase();
  const resource = resourceAppId?.toLowerCase();
  return SCOPED_EQUIVALENTS.find((e) => e.appRoleId === id && (resource === undefined || e.resourceAppId === resource));
}

/** Whether `exchangeAccess.roles` takes `role`: an archiving role (ARCHIVING_APPLICATION_ROLES), not one that writes. */
export function isArchivingRole(role: string): role is ArchivingApplicationRole {
  return (ARCHIVING_APPLICATION_ROLES as readonly string[]).includes(role);
}

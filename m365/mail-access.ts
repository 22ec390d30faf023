import { MICROSOFT_GRAPH_APP_ID } from "./entra";
import { EXCHANGE_ONLINE_APP_ID } from "./exchange-facts";

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

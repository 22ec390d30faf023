// Exchange Online facts: the same in every tenant (docs/exchange.md). Used inside dynamic
// providers, which Pulumi serializes: constants only.

/** Office 365 Exchange Online's application id. */
export const EXCHANGE_ONLINE_APP_ID = "00000002-0000-0ff1-ce00-000000000000";

/** The application permission that lets an app call the Exchange admin API on its own. */
export const EXCHANGE_MANAGE_AS_APP = "Exchange.ManageAsApp";

/**
 * The role that lets an app reach mailboxes through EWS: all Retain needs to archive, and more:
 * Microsoft describes it as full access to every mailbox in reach through EWS (read, change,
 * send), which is why its reach is a decision the stack records (exchangeAccess.scopeGroup, or
 * allMailboxes: true).
 */
export const EWS_ACCESS_ROLE = "Application EWS.AccessAsApp";

/**
 * Exchange Online roles an archiver may hold
 * (docs/exchange.md, "RBAC for Applications"): EWS.AccessAsApp, which gives full mailbox access
 * through EWS, and Graph-style roles that read only. Roles that change or send through Graph
 * (Mail.ReadWrite, Mail.Send) are not offered: archiving does not need them, though
 * EWS.AccessAsApp can already do both.
 *
 * The last three are what a Graph-based archiver needs once EWS is gone (1 April 2027): folders
 * (`/admin/exchange/mailboxes/{id}/folders`), items and their delta, and the full-fidelity export
 * (`POST /admin/exchange/mailboxes/{id}/exportItems`, whose least privileged application permission
 * is MailboxItem.Export.All). `Application MailboxItem.ImportExport` is left out on purpose: it
 * also imports (`createImportSession`), that is, writes items into every mailbox in reach, which an
 * archiver never does (Microsoft's "Role Based Access Control for Applications in Exchange Online",
 * Supported Application Roles; Graph's "mailbox: exportItems" permissions table).
 */
export const ARCHIVING_APPLICATION_ROLES = [
  EWS_ACCESS_ROLE,
  "Application Mail.Read",
  "Application Mail.ReadBasic",
  "Application MailboxSettings.Read",
  "Application Calendars.Read",
  "Application Contacts.Read",
  "Application MailboxFolder.Read",
  "Application MailboxItem.Read",
  "Application MailboxItem.Export",
] as const;
export type ArchivingApplicationRole = (typeof ARCHIVING_APPLICATION_ROLES)[number];

/** The role of the original procedure, which Microsoft removed from Exchange Online in February 2025 (MC718754). */
export const LEGACY_IMPERSONATION_ROLE = "ApplicationImpersonation";

/** Microsoft Teams' application id: its calendar integration reaches mailboxes through EWS. */
export const TEAMS_APP_ID = "cc15fd57-2c6c-4117-a88c-83b1d56b4bbe";

/**
 * Exchange Online's Kiosk plan (EXCHANGE_S_DESKLESS), the only Exchange plan of the F1/F3 and
 * Exchange Online Kiosk licences ("Product names and service plan identifiers for licensing").
 * A mailbox whose only Exchange plan is a frontline one has had no EWS since 2026-10-01 (MC1191578).
 */
export const FRONTLINE_EXCHANGE_PLANS = ["4a82b400-a79f-41a4-b4e2-e94f5787b113"] as const;

/** Where EWS answers under an Exchange base URL (`https://outlook.office365.com` + this). */
export const EWS_SERVICE_PATH = "/EWS/Exchange.asmx";

/**
 * The two values of the `X-EWS-Policy-Reason` header of Exchange Online's HTTP 403 when its EWS
 * access controls block a request (Microsoft's "Control access to EWS in Exchange"): EWS off for
 * the organization or the mailbox, or an application policy (the app-id allow list, or a
 * user-agent list) leaving the caller out.
 */
export const EWS_POLICY_REASON = {
  disabled: "EWS is disabled for this user or tenant",
  blockedByPolicy: "EWS is blocked by policy for this user or tenant",
} as const;

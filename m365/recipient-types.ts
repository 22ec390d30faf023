// What kind of recipient Exchange Online says an object is (its RecipientTypeDetails). Constants
// and pure functions only.

/**
 * Mailbox subtypes an Exchange Online mailbox can have (Get-Mailbox -RecipientTypeDetails): a
 * member of one of these has a mailbox Retain can archive. GroupMailbox is a Microsoft 365 group's.
 */
const MAILBOX_TYPES = new Set(
  [
    "DiscoveryMailbox",
    "EquipmentMailbox",
    "LegacyMailbox",
    "LinkedMailbox",
    "LinkedRoomMailbox",
    "RoomMailbox",
    "SchedulingMailbox",
    "SharedMailbox",
    "TeamMailbox",
    "UserMailbox",
  ].map((t) => t.toLowerCase()),
);

/** The subtype `Get-Mailbox -RecipientTypeDetails` lists for the organization's people. */
export const USER_MAILBOX = "UserMailbox";

/** A recipient with an Exchange Online mailbox of its own (not a MailUser, guest, contact or group). */
export function isMailbox(recipientTypeDetails: string): boolean {
  return MAILBOX_TYPES.has(recipientTypeDetails.toLowerCase());
}

/** A group as a member of another: distribution, mail-enabled security, dynamic or Microsoft 365 group. */
export function isGroup(recipientTypeDetails: string): boolean {
  return /Group$/i.test(recipientTypeDetails) || /^GroupMailbox$/i.test(recipientTypeDetails);
}

import type { ExchangeObject } from "../../m365/exchange-admin-api";
import { isGroup, isMailbox, USER_MAILBOX } from "../../m365/recipient-types";
import type { ReadinessExchange } from "./exchange-reads";
import type { MailboxProblem } from "./report";

/** A recipient Retain's access should reach: a mailbox, or (in a scope group) a member without one. */
export interface InScope {
  /** User principal name where Exchange gives one, else the primary SMTP address. */
  name: string;
  smtp: string;
  objectId: string;
  type: string;
}

/** Who is in scope, and what is worth knowing about the scope group. */
export interface Population {
  members: InScope[];
  notices: string[];
  /** The scope group does not exist in Exchange. */
  missingGroup: boolean;
}

const FIELDS = ["UserPrincipalName", "PrimarySmtpAddress", "ExternalDirectoryObjectId", "RecipientTypeDetails", "Name"];

function inScope(recipient: ExchangeObject): InScope {
  const smtp = String(recipient.PrimarySmtpAddress ?? "");
  return {
    name: String(recipient.UserPrincipalName || smtp || recipient.Name),
    smtp: smtp.toLowerCase(),
    objectId: String(recipient.ExternalDirectoryObjectId ?? "").toLowerCase(),
    type: String(recipient.RecipientTypeDetails ?? ""),
  };
}

/**
 * The management scope's filter is `MemberOfGroup -eq '<group DN>'`, and MemberOfGroup is the
 * directory's `memberOf` (Microsoft's "Filterable properties for the Filter parameter"), which
 * holds direct memberships only ("Adding Members to Groups in a Domain"): the scope group's direct
 * members are in scope, a nested group's members are not. Without a scope group, every user mailbox.
 */
export async function population(exchange: ReadinessExchange, scopeGroup: string | undefined): Promise<Population> {
  if (!scopeGroup) {
    const mailboxes = await exchange.list("Get-Mailbox", { RecipientTypeDetails: USER_MAILBOX, ResultSize: "Unlimited" }, FIELDS);
    return { members: mailboxes.map(inScope), notices: [], missingGroup: false };
  }
  const members = await exchange.listOf("Get-DistributionGroupMember", { Identity: scopeGroup, ResultSize: "Unlimited" }, FIELDS);
  if (!members) return { members: [], notices: [], missingGroup: true };
  const groups = members.filter((m) => isGroup(String(m.RecipientTypeDetails ?? "")));
  return {
    members: members.filter((m) => !groups.includes(m)).map(inScope),
    notices: groups.map(
      (g) =>
        `"${scopeGroup}" has the group "${String(g.Name)}" as a member, but the management scope reaches direct members only (its filter MemberOfGroup matches direct membership), ` +
        `so Retain cannot reach that group's members: add them to "${scopeGroup}" themselves.`,
    ),
    missingGroup: false,
  };
}

/** The organization's mailboxes whose own EWS switch is off, by primary SMTP address: one filtered listing, not one call per mailbox. */
export async function ewsOffMailboxes(exchange: ReadinessExchange): Promise<Set<string>> {
  // "EwsEnabled -eq 0": the form Microsoft's filterable-properties page documents (0, 1 or $null).
  const off = await exchange.list("Get-CASMailbox", { Filter: "EwsEnabled -eq 0", ResultSize: "Unlimited" }, ["PrimarySmtpAddress", "EwsEnabled"]);
  return new Set(off.map((m) => String(m.PrimarySmtpAddress ?? "").toLowerCase()));
}

/** One reason for each in-scope recipient Retain cannot archive: no mailbox, a frontline-only licence, EWS off for the mailbox. */
export function mailboxProblems(
  members: readonly InScope[],
  ewsOff: ReadonlySet<string>,
  frontline: ReadonlyMap<string, string>,
  scopeGroup: string | undefined,
): MailboxProblem[] {
  const problems: MailboxProblem[] = [];
  for (const member of members) {
    if (!isMailbox(member.type)) {
      problems.push({
        mailbox: member.name,
        reason: "no-mailbox",
        detail: `It is a member of "${scopeGroup ?? ""}" but a ${member.type || "recipient"} without an Exchange Online mailbox, so Retain has nothing to archive there: take it out of the group, or give it a mailbox.`,
      });
    } else if (frontline.has(member.objectId)) {
      problems.push({
        mailbox: frontline.get(member.objectId) ?? member.name,
        reason: "frontline-licence",
        detail:
          "Its only Exchange Online plan is the frontline Kiosk plan (an F1, F3 or Exchange Online Kiosk licence), which has had no EWS since 2026-10-01 (MC1191578): " +
          `assign it a licence with Exchange Online Plan 1 or 2${scopeGroup ? `, or take it out of "${scopeGroup}"` : ""}.`,
      });
    } else if (ewsOff.has(member.smtp)) {
      problems.push({
        mailbox: member.name,
        reason: "mailbox-ews-off",
        detail: `EWS is turned off for this mailbox (Get-CASMailbox shows EwsEnabled False), so Exchange refuses Retain here whatever the organization allows: turn it on with Set-CASMailbox -Identity ${member.name} -EwsEnabled $true.`,
      });
    }
  }
  return problems.sort((a, b) => (a.mailbox.toLowerCase() < b.mailbox.toLowerCase() ? -1 : a.mailbox.toLowerCase() > b.mailbox.toLowerCase() ? 1 : 0));
}

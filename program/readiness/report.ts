/** Why an in-scope mailbox cannot be archived through EWS today. */
export type MailboxReason = "mailbox-ews-off" | "frontline-licence" | "no-mailbox";

export interface MailboxProblem {
  /** Its user principal name where Exchange or Graph gives one, else its primary SMTP address. */
  mailbox: string;
  reason: MailboxReason;
  /** One sentence: what is wrong and how to fix it. */
  detail: string;
}

export interface OrganizationReadiness {
  /** The organization's EwsEnabled: null when never set. */
  ewsEnabled: boolean | null;
  retainListed: boolean;
  allowListSize: number;
  /** One sentence per thing that keeps Retain's app out (or lets it past its scope), joined; null when none. */
  problem: string | null;
}

/** What `retain-m365 readiness --json` prints (docs/cli.md, "readiness"). */
export interface ReadinessReport {
  stack: string;
  ews: { shutdown: string | null; daysLeft: number | null; organization: OrganizationReadiness };
  mailboxes: { inScope: number; ready: number; notReady: number; preserved: number | null };
  problems: MailboxProblem[];
  notices: string[];
}

/** Retain can archive every mailbox it should: the organization lets its app through, and every mailbox in scope is ready. */
export function isReady(report: ReadinessReport): boolean {
  return report.ews.organization.problem === null && report.mailboxes.notReady === 0;
}

import { complianceReader, coversAll, preservesExchange, type RetentionPolicyReading } from "../../components/compliance/reads";
import { RETENTION_READ_ACCESS } from "../../components/compliance/retention-policy/permissions";
import type { ComplianceTarget } from "../../m365/compliance-api";
import { isMailbox } from "../../m365/recipient-types";
import type { InScope } from "./mailboxes";

/** What reading Purview for readiness needs, named when Security & Compliance refuses. */
export const READINESS_COMPLIANCE_ACCESS = `${RETENTION_READ_ACCESS}, for the identity running readiness`;

/** Whether a location entry names this recipient: its address, its name or its Entra object id (docs/compliance.md). */
const names = (entry: string, member: InScope) =>
  [member.smtp, member.name, member.objectId].some((id) => id !== "" && id.toLowerCase() === entry.toLowerCase());

/** Whether the policy keeps this mailbox's items: it preserves Exchange, covers All or names the mailbox, and does not except it. */
export function keeps(policy: RetentionPolicyReading, member: InScope): boolean {
  if (!preservesExchange(policy)) return false;
  if (policy.exchangeLocationException.some((entry) => names(entry, member))) return false;
  return coversAll(policy.exchangeLocation) || policy.exchangeLocation.some((entry) => names(entry, member));
}

/**
 * How many of the mailboxes in scope an enabled, enforced retention policy keeps (ExchangeLocation
 * All covers them all), and a notice when some are kept by none: what their users delete and purge
 * is lost while Retain cannot archive.
 */
export async function preservedMailboxes(target: ComplianceTarget, members: readonly InScope[]): Promise<{ preserved: number; notices: string[] }> {
  const policies = await complianceReader(target, READINESS_COMPLIANCE_ACCESS).retentionPolicies();
  const mailboxes = members.filter((member) => isMailbox(member.type));
  const preserved = mailboxes.filter((member) => policies.some((policy) => keeps(policy, member))).length;
  const missing = mailboxes.length - preserved;
  return {
    preserved,
    notices:
      missing > 0
        ? [
            `${missing} of ${mailboxes.length} mailboxes in scope ${missing === 1 ? "is" : "are"} kept by no enabled retention policy: what their users delete and purge is lost until Retain archives again (deploy the stack's preservation, or see that its policy is on).`,
          ]
        : [],
  };
}

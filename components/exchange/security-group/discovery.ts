import type { ExchangeObject } from "../../../m365/exchange-admin-api";
import type { Finding, UrnOf } from "../../discovery";
import type { ExchangeReader } from "../reads";

/** The group of `scopeGroup` as ExchangeAccess declares it. */
export interface PlannedSecurityGroup {
  resourceName: string;
  name: string;
}

/** What Exchange holds under the group's name: nothing, a group, and whether it is a mail-enabled security group. */
export interface SecurityGroupReading {
  existing?: ExchangeObject;
  /** The group, where it is security-enabled (a management scope can name its members). */
  securityGroup?: ExchangeObject;
  /** Whether that group has a member now: without one, Retain's app reaches no mailbox. */
  hasMembers?: boolean;
}

export async function readSecurityGroup(exchange: ExchangeReader, name: string): Promise<SecurityGroupReading> {
  const existing = await exchange.one("Get-DistributionGroup", name);
  const securityGroup = existing && /SecurityEnabled/i.test(String(existing.GroupType ?? "")) ? existing : undefined;
  if (!securityGroup) return { existing, securityGroup };
  // One member is enough to know (-ResultSize 1: Get-DistributionGroupMember's documented parameter).
  const members = await exchange.listOf("Get-DistributionGroupMember", { Identity: name, ResultSize: 1 }, ["PrimarySmtpAddress"]);
  return { existing, securityGroup, hasMembers: (members?.length ?? 0) > 0 };
}

/**
 * While the scope group has no member, Retain's app reaches no mailbox at all: a notice for `adopt`
 * and a warning on every deploy until members are added (README, "Finishing in Retain").
 */
export function emptyScopeGroupNotice(name: string, reading: SecurityGroupReading): string | undefined {
  if (reading.existing && reading.hasMembers !== false) return undefined;
  const state = reading.existing ? `The scope group "${name}" has no members` : `The scope group "${name}" does not exist yet, and the deploy creates it empty`;
  return `${state}: Retain's app reaches no mailbox until members are added (Add-DistributionGroupMember -Identity "${name}" -Member <user>, or the group's Members in the Exchange admin center).`;
}

/** The group: created where absent, taken over where it is a security group, a conflict (settled by `decide`) where it is another kind. */
export function securityGroupFinding(planned: PlannedSecurityGroup, reading: SecurityGroupReading, decide: string, urnOf: UrnOf): Finding {
  const urn = urnOf(planned.resourceName);
  const { existing, securityGroup } = reading;
  if (!existing) {
    return {
      urn,
      action: "create",
      detail: `No group "${planned.name}" exists: the deploy creates it as a mail-enabled security group, whose members are the mailboxes Retain may reach.`,
    };
  }
  if (!securityGroup) {
    return {
      urn,
      action: "conflict",
      decide,
      detail: `Exchange has a group "${planned.name}" that is not security-enabled (GroupType ${String(existing.GroupType)}); a management scope needs a mail-enabled security group, so the deploy would stop there. Name another group in ${decide}, or replace this one by hand.`,
    };
  }
  return {
    urn,
    action: "adopt",
    detail: `The mail-enabled security group "${planned.name}" exists: the deploy takes it over as it is (its provider adopts an existing group on create), so its members now are the mailboxes Retain may reach; a destroy leaves it in place.`,
  };
}

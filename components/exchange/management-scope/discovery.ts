import type { Finding, UrnOf } from "../../discovery";
import { differences } from "../objects";
import type { ExchangeReader } from "../reads";
import type { SecurityGroupReading } from "../security-group/discovery";
import { memberOfGroupFilter } from "./index";

/** The management scope as ExchangeAccess declares it: limited to the members of `group`. */
export interface PlannedManagementScope {
  resourceName: string;
  name: string;
}

/**
 * The scope: created where absent, taken over where its filter names the members of the group as
 * it is, a conflict (settled by `decide`) where it names anything else.
 */
export async function discoverManagementScope(
  exchange: ExchangeReader,
  planned: PlannedManagementScope,
  group: { name: string; reading: SecurityGroupReading },
  decide: string,
  urnOf: UrnOf,
): Promise<Finding> {
  const urn = urnOf(planned.resourceName);
  const existing = await exchange.one("Get-ManagementScope", planned.name);
  if (!existing) {
    return {
      urn,
      action: "create",
      detail: `The deploy creates the management scope "${planned.name}", limiting Retain's roles to the members of "${group.name}".`,
    };
  }
  const { securityGroup } = group.reading;
  const filter = String(existing.RecipientFilter ?? "");
  const differs = securityGroup ? differences(existing, { RecipientFilter: memberOfGroupFilter(String(securityGroup.DistinguishedName ?? "")) }) : [];
  return securityGroup && differs.length === 0
    ? {
        urn,
        action: "adopt",
        detail: `The management scope "${planned.name}" exists with the filter the deploy would give it (members of "${group.name}"): the deploy takes it over as it is (its provider adopts an existing scope on create); a destroy removes it.`,
      }
    : {
        urn,
        action: "conflict",
        decide,
        detail:
          `The management scope "${planned.name}" exists with the filter "${filter}", which ` +
          (securityGroup ? `is not the members of "${group.name}"` : `cannot name the group "${group.name}" the deploy would create`) +
          `, so the deploy would stop there. Name another group in ${decide}, or remove the scope by hand (Remove-ManagementScope -Identity "${planned.name}").`,
      };
}

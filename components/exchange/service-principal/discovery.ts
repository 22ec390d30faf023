import type { ExchangeObject } from "../../../m365/exchange-admin-api";
import type { Discovery, UrnOf } from "../../discovery";
import { referenceIds } from "../objects";
import type { ExchangeReader } from "../reads";

/** The Exchange service principal as ExchangeAccess declares it (application-rbac). */
export interface PlannedServicePrincipal {
  resourceName: string;
  displayName: string;
}

const same = (a: unknown, b: unknown) => String(a ?? "").toLowerCase() === String(b ?? "").toLowerCase();

/**
 * Retain's app as Exchange will know it: always created, since the deploy registers the app in
 * Entra first; service principals of another app carrying its display name are named in notices.
 */
export async function discoverServicePrincipal(
  exchange: ExchangeReader,
  planned: PlannedServicePrincipal,
  assignments: ExchangeObject[],
  urnOf: UrnOf,
): Promise<Discovery> {
  const { resourceName, displayName } = planned;
  return {
    findings: [
      {
        urn: urnOf(resourceName),
        action: "create",
        detail: `The deploy registers Retain's app in Entra, so Exchange cannot know it yet: the deploy makes its Exchange service principal "${displayName}" (New-ServicePrincipal).`,
      },
    ],
    notices: namesakeNotices(await exchange.list("Get-ServicePrincipal"), displayName, assignments),
  };
}

/** Service principals that carry Retain's app's display name but belong to another application (Retain's does not exist yet). */
function namesakeNotices(servicePrincipals: ExchangeObject[], displayName: string, assignments: ExchangeObject[]): string[] {
  return servicePrincipals
    .filter((sp) => same(sp.DisplayName, displayName))
    .map((sp) => {
      const ids = referenceIds(sp);
      const held = assignments.filter((a) => ids.some((id) => same(id, a.RoleAssignee))).map((a) => `"${String(a.Name)}" (${String(a.Role)})`);
      return (
        `Exchange already has a service principal named "${displayName}" for another application (AppId ${String(sp.AppId)})` +
        (held.length > 0 ? `, holding the role assignments ${held.join(", ")}` : "") +
        `: it is not the app the deploy registers, and the stack leaves it alone.`
      );
    });
}

import type { Client } from "@microsoft/microsoft-graph-client";
import { DEFAULT_RETRY } from "../../core/retry";
import { FRONTLINE_EXCHANGE_PLANS } from "../../m365/exchange-facts";
import { forEachPage } from "../../m365/graph-client";
import { graphRead } from "../../m365/app-registrations";

/** What reading users' licence plans asks of Graph. */
export const USER_READ_PERMISSION = "User.Read.All";

interface AssignedPlan {
  servicePlanId: string;
  service: string;
  capabilityStatus: string;
}

/** A plan the user can use: `Warning` is the grace period after a subscription lapses, still working. */
const IN_USE = new Set(["enabled", "warning"]);

const frontline = new Set<string>(FRONTLINE_EXCHANGE_PLANS.map((id) => id.toLowerCase()));

/** Whether a user's only Exchange plans in use are frontline ones (no EWS since 2026-10-01, MC1191578). */
export function onlyFrontlineExchange(plans: readonly AssignedPlan[]): boolean {
  const exchange = plans.filter((plan) => plan.service.toLowerCase() === "exchange" && IN_USE.has(plan.capabilityStatus.toLowerCase()));
  return exchange.length > 0 && exchange.every((plan) => frontline.has(plan.servicePlanId.toLowerCase()));
}

/**
 * The users whose only Exchange plan is a frontline one, by Entra object id → user principal name.
 * Graph filters on the plan (`assignedPlans/any(...)`, supported without advanced query parameters),
 * so only the holders of a frontline plan are read, a page of 999 at a time.
 */
export async function frontlineOnlyUsers(graph: Client): Promise<Map<string, string>> {
  const users = new Map<string, string>();
  for (const plan of frontline) {
    const path = `/users?$filter=assignedPlans/any(p:p/servicePlanId eq ${plan})&$select=id,userPrincipalName,assignedPlans&$top=999`;
    await graphRead("/users (their licence plans)", USER_READ_PERMISSION, () =>
      forEachPage<{ id: string; userPrincipalName: string; assignedPlans?: AssignedPlan[] }>(
        graph,
        path,
        "Microsoft Graph GET /users",
        DEFAULT_RETRY,
        (page) => {
          for (const user of page) if (onlyFrontlineExchange(user.assignedPlans ?? [])) users.set(user.id.toLowerCase(), user.userPrincipalName);
        },
      ),
    );
  }
  return users;
}

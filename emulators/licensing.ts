import { graphError, type Route } from "./graph";

export interface TenantSku {
  skuId: string;
  skuPartNumber: string;
  consumedUnits: number;
  prepaidUnits: { enabled: number; suspended: number; warning: number; lockedOut: number };
  /** The service plans the SKU includes, as Graph's subscribedSkus lists them. */
  servicePlans?: { servicePlanId: string; servicePlanName: string; provisioningStatus: string; appliesTo: string }[];
}
export interface TenantUser {
  id: string;
  usageLocation?: string;
  assignedLicenses: { skuId: string; disabledPlans: string[] }[];
}
export interface LicensingState {
  skus: TenantSku[];
  users: Map<string, TenantUser>;
}

export function sku(skuPartNumber: string, skuId: string, enabled: number, consumed: number): TenantSku {
  return { skuId, skuPartNumber, consumedUnits: consumed, prepaidUnits: { enabled, suspended: 0, warning: 0, lockedOut: 0 } };
}

/** Graph's licensing endpoints over a stateful tenant: subscribedSkus, users/{id}, assignLicense. */
export function licensingRoutes(state: LicensingState): Route {
  return (request) => {
    if (request.method === "GET" && request.path === "/subscribedSkus") {
      return { status: 200, body: { value: state.skus.map((s) => ({ ...s, capabilityStatus: "Enabled", appliesTo: "User" })) } };
    }
    const match = /^\/users\/([^/]+)(\/assignLicense)?$/.exec(request.path);
    if (!match) return undefined;
    const user = state.users.get(decodeURIComponent(match[1]!));
    if (!user) {
      return graphError(
        404,
        "Request_ResourceNotFound",
        `Resource '${match[1]}' does not exist or one of its queried reference-property objects are not present.`,
      );
    }
    if (request.method === "GET" && !match[2]) return { status: 200, body: { id: user.id, assignedLicenses: user.assignedLicenses } };
    if (request.method !== "POST" || !match[2]) return undefined;

    const body = request.body as { addLicenses?: { skuId: string }[]; removeLicenses?: string[] } | undefined;
    if (!body || !Array.isArray(body.addLicenses) || !Array.isArray(body.removeLicenses)) {
      return graphError(400, "Request_BadRequest", "Invalid value specified for property 'addLicenses' of resource 'User'.");
    }
    for (const { skuId } of body.addLicenses) {
      const target = state.skus.find((s) => s.skuId === skuId);
      if (!target) return graphError(400, "Request_BadRequest", `License ${skuId} does not correspond to a valid company License.`);
      if (!user.usageLocation) return graphError(400, "Request_BadRequest", "License assignment cannot be done for user with invalid usage location.");
      if (user.assignedLicenses.some((l) => l.skuId === skuId)) continue;
      if (target.consumedUnits >= target.prepaidUnits.enabled) {
        return graphError(400, "Request_BadRequest", `Subscription ${target.skuPartNumber} does not have any available licenses.`);
      }
      target.consumedUnits++;
      user.assignedLicenses.push({ skuId, disabledPlans: [] });
    }
    for (const skuId of body.removeLicenses) {
      const before = user.assignedLicenses.length;
      user.assignedLicenses = user.assignedLicenses.filter((l) => l.skuId !== skuId);
      const target = state.skus.find((s) => s.skuId === skuId);
      if (target && user.assignedLicenses.length < before) target.consumedUnits--;
    }
    return { status: 200, body: { id: user.id, assignedLicenses: user.assignedLicenses } };
  };
}

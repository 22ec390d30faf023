import type { Client } from "@microsoft/microsoft-graph-client";
import { ExitCode, UserFacingError } from "../../core/errors";
import { APPLICATION_READ_PERMISSION, applicationsNamed, graphRead, quoted, valuesOf } from "../../m365/app-registrations";
import { getAllPages } from "../../m365/graph-client";
import { MAILBOX_RESOURCES, reachesEveryMailbox, scopedRoleFor } from "../../m365/mail-access";

/** Retain's application in this tenant; `servicePrincipalId` null when it has no service principal (it cannot sign in). */
export interface RetainApp {
  appId: string;
  displayName: string;
  servicePrincipalId: string | null;
}

/** An application permission of Retain's app that reaches every mailbox, whatever Exchange's scopes say. */
export interface UnscopedGrant {
  permission: string;
  resource: string;
  /** The Exchange application role that grants the same within the management scope; null when none does. */
  scopedRole: string | null;
}

/**
 * Retain's app: by `appId` (the stack output applicationClientId) when given, else the one app
 * registration carrying the stack's display name. None or several: exit 2, asking for --app-id.
 */
export async function findRetainApp(graph: Client, displayName: string, appId?: string): Promise<RetainApp> {
  let app: { appId: string; displayName: string } | undefined;
  if (!appId) {
    const named = await applicationsNamed(graph, displayName);
    if (named.length !== 1) {
      const found =
        named.length === 0
          ? `no application is registered as "${displayName}"`
          : `${named.length} applications are registered as "${displayName}" (${named.map((a) => a.appId).join(", ")})`;
      throw new UserFacingError(`${found} in this tenant: name Retain's with --app-id <guid> (the stack output applicationClientId)`, ExitCode.invalidInput);
    }
    app = named[0];
  }
  const wanted = appId ?? app!.appId;
  const [servicePrincipal] = await graphRead("/servicePrincipals", APPLICATION_READ_PERMISSION, () =>
    valuesOf<{ id: string; appId: string; displayName: string }>(
      graph
        .api("/servicePrincipals")
        .filter(`appId eq ${quoted(wanted)}`)
        .select(["id", "appId", "displayName"])
        .get(),
    ),
  );
  if (!servicePrincipal && appId) {
    throw new UserFacingError(
      `no application with the id ${appId} has a service principal in this tenant: check --app-id (the stack output applicationClientId)`,
      ExitCode.invalidInput,
    );
  }
  return { appId: wanted, displayName: app?.displayName ?? servicePrincipal!.displayName, servicePrincipalId: servicePrincipal?.id ?? null };
}

/**
 * The application permissions granted to Retain's service principal that reach every mailbox
 * (Graph's Mail.Read, Exchange's full_access_as_app, …). Each grant's `appRoleId` is resolved
 * against its resource's `appRoles`, never against role ids written down here.
 */
export async function unscopedGrants(graph: Client, servicePrincipalId: string): Promise<UnscopedGrant[]> {
  const path = `/servicePrincipals/${encodeURIComponent(servicePrincipalId)}/appRoleAssignments`;
  const assignments = await graphRead(path, APPLICATION_READ_PERMISSION, () => getAllPages<{ appRoleId: string; resourceId: string }>(graph, path));
  const grants: UnscopedGrant[] = [];
  for (const resourceId of [...new Set(assignments.map((a) => a.resourceId))]) {
    const resourcePath = `/servicePrincipals/${encodeURIComponent(resourceId)}`;
    const resource = (await graphRead(resourcePath, APPLICATION_READ_PERMISSION, () => graph.api(resourcePath).select(["id", "appId", "appRoles"]).get())) as {
      appId: string;
      appRoles?: { id: string; value: string | null }[];
    };
    const name = MAILBOX_RESOURCES[resource.appId.toLowerCase()];
    if (!name) continue;
    for (const assignment of assignments.filter((a) => a.resourceId === resourceId)) {
      const permission = resource.appRoles?.find((role) => role.id === assignment.appRoleId)?.value;
      if (permission && reachesEveryMailbox(resource.appId, permission)) {
        grants.push({ permission, resource: name, scopedRole: scopedRoleFor(resource.appId, permission) ?? null });
      }
    }
  }
  return grants;
}

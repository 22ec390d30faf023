import type { Client } from "@microsoft/microsoft-graph-client";
import { applicationsNamed } from "../../../m365/app-registrations";
import type { Discovery, UrnOf } from "../../discovery";
import { retainApplicationNames } from "./index";

/** Retain's app registration as the plan declares it (`azuread:index/application:Application`). */
export interface DeclaredApplication {
  resourceName: string;
  displayName: string;
  /** The configuration key of its display name. */
  displayNameKey: string;
}

/** The registration a RetainApplication of this name declares with this display name, named as it names it. */
export function declaredApplication(name: string, displayName: string, displayNameKey: string): DeclaredApplication {
  return { resourceName: retainApplicationNames(name).registration, displayName, displayNameKey };
}

/**
 * Retain's app registration: the deploy always creates its own (a registration's credentials and
 * consent are the stack's to manage, so none is imported). Registrations that already carry the
 * display name, such as the one the manual procedure set up by hand, are left as they are and named
 * in a notice: Entra allows several apps with one display name, and readiness or an admin looking
 * for Retain's app by that name would find more than one.
 */
export async function discoverApplication(graph: Client, declared: DeclaredApplication, urnOf: UrnOf): Promise<Discovery> {
  const existing = await applicationsNamed(graph, declared.displayName);
  const finding = {
    urn: urnOf(declared.resourceName),
    action: "create" as const,
    detail:
      existing.length === 0
        ? `No application is registered as "${declared.displayName}": the deploy registers Retain's app with its Graph permissions and credential.`
        : `The deploy registers Retain's app as "${declared.displayName}", a new registration beside the ${existing.length} already named so (left as they are).`,
  };
  const notices = existing.length
    ? [
        `${existing.length === 1 ? "An application is" : `${existing.length} applications are`} already registered as "${declared.displayName}" ` +
          `(app id ${existing.map((app) => app.appId).join(", ")}; Retain's, set up by hand earlier?): the stack does not take ${existing.length === 1 ? "it" : "them"} over. ` +
          `Once Retain uses the new app, remove the old registration and its credentials, or give the stack's another name in ${declared.displayNameKey}.`,
      ]
    : [];
  return { findings: [finding], notices };
}

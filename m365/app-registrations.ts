import type { Client } from "@microsoft/microsoft-graph-client";
import { ExitCode, UserFacingError } from "../core/errors";
import { withGraphRetry } from "./graph-client";

/** What reading app registrations, service principals and their granted permissions asks of Graph. */
export const APPLICATION_READ_PERMISSION = "Application.Read.All";

/** A Graph read; a refusal (exit 3) names the permission it needs. */
export async function graphRead<T>(what: string, permission: string, call: () => Promise<T>): Promise<T> {
  try {
    return await withGraphRetry(`Microsoft Graph GET ${what}`, call);
  } catch (error) {
    if (error instanceof UserFacingError && error.exitCode === ExitCode.auth) {
      throw new UserFacingError(`${error.message.replace(/\.$/, "")}. Reading ${what} needs the Graph application permission ${permission}.`, ExitCode.auth);
    }
    throw error;
  }
}

/** An OData string literal: single quotes doubled. */
export const quoted = (value: string) => `'${value.replace(/'/g, "''")}'`;
/** The `value` of one Graph page. */
export const valuesOf = async <T>(request: Promise<unknown>) => ((await request) as { value?: T[] }).value ?? [];

/** The app registrations carrying this display name (Graph "List applications", `$filter=displayName eq '…'`). */
export async function applicationsNamed(graph: Client, displayName: string): Promise<{ appId: string; displayName: string; createdDateTime?: string }[]> {
  return graphRead("/applications", APPLICATION_READ_PERMISSION, () =>
    valuesOf<{ appId: string; displayName: string; createdDateTime?: string }>(
      graph
        .api("/applications")
        .filter(`displayName eq ${quoted(displayName)}`)
        .select(["appId", "displayName", "createdDateTime"])
        .get(),
    ),
  );
}

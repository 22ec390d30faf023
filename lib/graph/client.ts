import type { TokenCredential } from "@azure/identity";
import { Client } from "@microsoft/microsoft-graph-client";
import { TokenCredentialAuthenticationProvider } from "@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials";
import { ExitCode, UserFacingError } from "../errors";

/** Graph base URLs per cloud (without `/v1.0`). */
export const GRAPH_ENDPOINTS = {
  global: "https://graph.microsoft.com",
  usgov: "https://graph.microsoft.us",
  usgovdod: "https://dod-graph.microsoft.us",
  china: "https://microsoftgraph.chinacloudapi.cn",
} as const;

export interface GraphConnectionOptions {
  credential: TokenCredential;
  /** Base URL such as `https://graph.microsoft.com`; defaults to the global cloud. */
  endpoint?: string;
}

/**
 * The one place the Graph SDK is configured. `customHosts` makes the SDK attach the token to a
 * non-default endpoint (national clouds, loopback emulators); it only does so over HTTPS.
 */
export function createGraphClient(options: GraphConnectionOptions): Client {
  const endpoint = new URL(options.endpoint ?? GRAPH_ENDPOINTS.global);
  if (endpoint.protocol !== "https:") {
    throw new UserFacingError(`the Graph endpoint must be an https:// URL (got ${endpoint.origin})`, ExitCode.invalidInput);
  }
  return Client.initWithMiddleware({
    authProvider: new TokenCredentialAuthenticationProvider(options.credential, { scopes: [`${endpoint.origin}/.default`] }),
    baseUrl: `${endpoint.origin}/`,
    defaultVersion: "v1.0",
    customHosts: new Set([endpoint.hostname]),
  });
}

/** Every item of a Graph collection, following `@odata.nextLink` exactly as given. */
export async function getAllPages<T>(client: Client, path: string): Promise<T[]> {
  const items: T[] = [];
  let next: string | undefined = path;
  while (next) {
    const page = (await client.api(next).get()) as { value?: T[]; "@odata.nextLink"?: string };
    if (!Array.isArray(page.value)) throw new UserFacingError(`Graph answered ${path} without a value list`, ExitCode.remoteService);
    items.push(...page.value);
    next = page["@odata.nextLink"];
  }
  return items;
}

/** A failed Graph call as one sentence with the exit code of its failure class. */
export function describeGraphFailure(error: unknown, what: string): UserFacingError {
  if (error instanceof UserFacingError) return error;
  const e = error as { statusCode?: number; code?: string; message?: string; name?: string };
  const reason = [e.code, e.message?.split("\n")[0]].filter(Boolean).join(": ") || String(error);
  if (e.name === "CredentialUnavailableError" || e.name === "AuthenticationError" || e.statusCode === 401 || e.statusCode === 403) {
    return new UserFacingError(`${what} was refused (authentication or permission): ${reason}`, ExitCode.auth);
  }
  if (e.statusCode === 404) return new UserFacingError(`${what}: not found (${reason})`, ExitCode.invalidInput);
  return new UserFacingError(`${what} failed${e.statusCode ? ` with HTTP ${e.statusCode}` : ""}: ${reason}`, ExitCode.remoteService);
}

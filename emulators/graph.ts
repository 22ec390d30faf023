import { constants, createHash, randomUUID, verify, X509Certificate, type KeyObject } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { closer, testTls } from "./tls";

export interface EmulatorRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body, if any. */
  body?: unknown;
  /** The body as sent, on routes that take other than JSON (EWS's SOAP). */
  text?: string;
}
export interface EmulatorResponse {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** A body sent as it is, as `text/xml; charset=utf-8` (a SOAP envelope), instead of `body` as JSON. */
  xml?: string;
  /** Transport faults: wait first; cut the connection half-way through the body; send only half the body. */
  delayMs?: number;
  fault?: "reset" | "truncate";
}
/** A route answers a request, or returns undefined to fall through to 404. */
export type Route = (request: EmulatorRequest, emulator: GraphEmulator) => EmulatorResponse | undefined;

/** An error body in Graph's shape. */
export function graphError(status: number, code: string, message: string): EmulatorResponse {
  return {
    status,
    body: { error: { code, message, innerError: { date: new Date().toISOString(), "request-id": randomUUID(), "client-request-id": randomUUID() } } },
  };
}

export interface GraphEmulator {
  /** Base URL without `/v1.0`, as `--graph-endpoint` takes it. */
  url: string;
  requests: EmulatorRequest[];
  /** Access tokens the token endpoint issued, oldest first. */
  issuedTokens: string[];
  /** What each issued token stands for, as its claims would say: the app it was issued to and the scope it was asked for. */
  tokenClaims: Map<string, { appId: string; scope: string }>;
  /** Requests the token service answered (OpenID discovery and token requests alike). */
  tokenServiceRequests: number;
  /** Tokens refused from now on, as an expired or revoked token is. */
  revokedTokens: Set<string>;
  /** Responses served, in order, before any route is asked (fault injection). */
  injected: EmulatorResponse[];
  close(): Promise<void>;
}

export interface GraphEmulatorOptions {
  /** The access token Graph accepts, and the one the token endpoint issues. */
  token: string;
  routes: Route[];
  /** Client id → client secret the token endpoint accepts (client-credentials grant). */
  clients?: Record<string, string>;
  /** Client id → its federated identity credential: the token endpoint accepts a `client_assertion` JWT matching it. */
  federatedCredentials?: Record<string, FederatedCredential>;
  /** Client id → the PEM certificates registered on the app (its key credentials); read at each request, so a test may add and remove. */
  certificates?: Record<string, string[]>;
  /** `expires_in` of issued access tokens (default 3599, as Entra's app-only tokens). */
  tokenLifetimeSeconds?: number;
  /** Answers paths under /adminapi/ (the Exchange admin API), after the token check. */
  adminApi?: Route;
  /** Answers `EWS_PATH` (SOAP over text/xml); it checks the bearer token itself, as EWS refuses one in its own way. */
  ews?: Route;
  /** Another emulator whose token endpoint signs in for this one too: its issued tokens are accepted (a second service at the same authority). */
  tokenIssuer?: GraphEmulator;
}

/** Where EWS answers on the emulator's host, as under `https://outlook.office365.com`. */
export const EWS_PATH = "/EWS/Exchange.asmx";

/** A federated identity credential on an app registration, as Entra matches an external token against it. */
export interface FederatedCredential {
  issuer: string;
  subject: string;
  audiences: string[];
  /** The issuer's signing key, standing in for the keys Entra fetches from the issuer's JWKS. */
  publicKey: KeyObject;
}

/**
 * A loopback Graph over HTTPS: an Entra token endpoint (OpenID discovery + client credentials,
 * served as the authority host), bearer-token check, routes under /v1.0, Graph-shaped errors and
 * injectable faults. Only what the tests need so far; it grows with them.
 */
export async function startGraphEmulator(options: GraphEmulatorOptions): Promise<GraphEmulator> {
  const { key, cert } = testTls();
  const emulator: GraphEmulator = {
    url: "",
    requests: [],
    issuedTokens: [],
    tokenClaims: new Map(),
    tokenServiceRequests: 0,
    revokedTokens: new Set(),
    injected: [],
    close: async () => undefined,
  };
  const server = https.createServer({ key, cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => handle(req, res, Buffer.concat(chunks).toString("utf8")));
  });
  const handle = (req: IncomingMessage, res: ServerResponse, text: string) => {
    const url = new URL(req.url ?? "/", "https://127.0.0.1");
    const request: EmulatorRequest = { method: req.method ?? "GET", path: url.pathname, query: url.searchParams, headers: req.headers };
    const reply = (response: EmulatorResponse): void => {
      if (response.delayMs) {
        setTimeout(() => reply({ ...response, delayMs: undefined }), response.delayMs);
        return;
      }
      const text = response.xml ?? (response.body === undefined ? "" : JSON.stringify(response.body));
      const contentType = response.xml === undefined ? "application/json" : "text/xml; charset=utf-8";
      if (response.fault) {
        const half = Buffer.from(text).subarray(0, Math.floor(Buffer.byteLength(text) / 2));
        const length = response.fault === "reset" ? Buffer.byteLength(text) : half.length;
        res.writeHead(response.status, { "content-type": contentType, "content-length": String(length), ...response.headers });
        res.write(half);
        if (response.fault === "reset") setImmediate(() => res.socket?.destroy());
        else res.end();
        return;
      }
      res.writeHead(response.status, { "content-type": contentType, ...response.headers });
      res.end(text);
    };
    const authority = /^\/([^/]+)\/(v2\.0\/\.well-known\/openid-configuration|oauth2\/v2\.0\/token)$/.exec(url.pathname);
    if (authority) emulator.tokenServiceRequests++;
    if (authority) return reply(tokenEndpoint(emulator, authority[1]!, authority[2]!, new URLSearchParams(text), options));
    if (url.pathname === EWS_PATH && options.ews) {
      const soapRequest = { ...request, text };
      emulator.requests.push(soapRequest);
      return reply(emulator.injected.shift() ?? options.ews(soapRequest, emulator) ?? graphError(404, "NotFound", `No such endpoint ${url.pathname}`));
    }
    if (text) {
      try {
        request.body = JSON.parse(text);
      } catch {
        return reply(graphError(400, "BadRequest", "Unable to read JSON request payload."));
      }
    }
    emulator.requests.push(request);
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1] ?? "";
    const known = bearer === options.token || emulator.issuedTokens.includes(bearer) || !!options.tokenIssuer?.issuedTokens.includes(bearer);
    if (!known || emulator.revokedTokens.has(bearer) || options.tokenIssuer?.revokedTokens.has(bearer)) {
      return reply(graphError(401, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience."));
    }
    const injected = emulator.injected.shift();
    if (injected) return reply(injected);
    if (url.pathname.startsWith("/adminapi/") && options.adminApi) {
      return reply(options.adminApi(request, emulator) ?? graphError(404, "NotFound", `No such endpoint ${url.pathname}`));
    }
    if (!url.pathname.startsWith("/v1.0/")) return reply(graphError(400, "BadRequest", "Invalid version."));
    for (const route of options.routes) {
      const response = route({ ...request, path: url.pathname.slice("/v1.0".length) }, emulator);
      if (response) return reply(response);
    }
    return reply(graphError(404, "Request_ResourceNotFound", `Resource '${url.pathname}' does not exist.`));
  };
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  emulator.url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  emulator.close = closer(server);
  return emulator;
}

function tokenEndpoint(emulator: GraphEmulator, tenant: string, what: string, form: URLSearchParams, options: GraphEmulatorOptions): EmulatorResponse {
  const authority = `${emulator.url}/${tenant}`;
  if (what.startsWith("v2.0")) {
    return {
      status: 200,
      body: {
        issuer: `${authority}/v2.0`,
        token_endpoint: `${authority}/oauth2/v2.0/token`,
        authorization_endpoint: `${authority}/oauth2/v2.0/authorize`,
        end_session_endpoint: `${authority}/oauth2/v2.0/logout`,
        jwks_uri: `${authority}/discovery/v2.0/keys`,
        response_types_supported: ["code", "id_token", "token"],
        token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt"],
      },
    };
  }
  const clientId = form.get("client_id") ?? "";
  const expected = options.clients?.[clientId];
  if (form.get("grant_type") === "client_credentials" && form.has("client_assertion")) {
    const refused = isSelfSigned(form, clientId)
      ? certificateAssertionRefusal(form, clientId, `${authority}/oauth2/v2.0/token`, options.certificates?.[clientId] ?? [])
      : assertionRefusal(form, options.federatedCredentials?.[clientId]);
    if (refused) return refused;
  } else if (form.get("grant_type") !== "client_credentials" || expected === undefined || form.get("client_secret") !== expected) {
    return {
      status: 401,
      body: { error: "invalid_client", error_description: "AADSTS7000215: Invalid client secret provided.", error_codes: [7000215] },
    };
  }
  const token = `${options.token}.${emulator.issuedTokens.length + 1}`;
  emulator.issuedTokens.push(token);
  emulator.tokenClaims.set(token, { appId: clientId, scope: form.get("scope") ?? "" });
  const lifetime = options.tokenLifetimeSeconds ?? 3599;
  return { status: 200, body: { token_type: "Bearer", expires_in: lifetime, ext_expires_in: lifetime, access_token: token } };
}

function refuse(code: number, message: string): EmulatorResponse {
  return {
    status: 401,
    body: {
      error: "invalid_client",
      error_description: `AADSTS${code}: ${message}`,
      error_codes: [code],
      timestamp: new Date().toISOString(),
      trace_id: randomUUID(),
      correlation_id: randomUUID(),
    },
  };
}

function jwtParts(form: URLSearchParams): { header: Record<string, unknown>; claims: Record<string, unknown>; signed: string; signature: string } | undefined {
  const [header, payload, signature] = (form.get("client_assertion") ?? "").split(".");
  try {
    const decode = (part: string | undefined) => JSON.parse(Buffer.from(part ?? "", "base64url").toString("utf8")) as Record<string, unknown>;
    return { header: decode(header), claims: decode(payload), signed: `${header}.${payload}`, signature: signature ?? "" };
  } catch {
    return undefined;
  }
}

/** An app's own assertion (iss and sub its client id), checked against its key credentials; any other is a federated one. */
function isSelfSigned(form: URLSearchParams, clientId: string): boolean {
  const claims = jwtParts(form)?.claims;
  return claims !== undefined && claims.iss === clientId && claims.sub === clientId;
}

/**
 * Entra's checks of a client assertion signed with the app's certificate (Microsoft identity
 * platform "certificate credentials"): RS256 with the SHA-1 thumbprint in `x5t`, or PS256 with the
 * SHA-256 one in `x5t#S256`; the thumbprint names a certificate registered on the app and valid
 * now (AADSTS700027 otherwise, as Entra refuses it), whose key made the signature; `aud` is the
 * token endpoint, `iss` and `sub` the client id, `exp` not passed.
 */
function certificateAssertionRefusal(
  form: URLSearchParams,
  clientId: string,
  tokenEndpointUrl: string,
  registered: readonly string[],
): EmulatorResponse | undefined {
  const jwt = jwtParts(form);
  if (form.get("client_assertion_type") !== "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" || !jwt)
    return refuse(50027, "JWT token is invalid or malformed.");
  const { header, claims } = jwt;
  const sha256 = header.alg === "PS256" && typeof header["x5t#S256"] === "string";
  if (!sha256 && !(header.alg === "RS256" && typeof header.x5t === "string")) return refuse(50027, "JWT token is invalid or malformed.");
  const presented = Buffer.from((sha256 ? header["x5t#S256"] : header.x5t) as string, "base64url")
    .toString("hex")
    .toUpperCase();
  const certificate = registered
    .map((pem) => new X509Certificate(pem))
    .find(
      (c) =>
        createHash(sha256 ? "sha256" : "sha1")
          .update(c.raw)
          .digest("hex")
          .toUpperCase() === presented,
    );
  if (!certificate) {
    return refuse(
      700027,
      `The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '${presented}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${clientId}'.]`,
    );
  }
  const now = Date.now();
  if (now < certificate.validFromDate.getTime() || now >= certificate.validToDate.getTime()) {
    return refuse(
      700027,
      `Client assertion failed signature validation. [Reason - The key used is expired., Thumbprint of key used by client: '${presented}']`,
    );
  }
  const padding = sha256 ? { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } : {};
  if (!verify("sha256", Buffer.from(jwt.signed), { key: certificate.publicKey, ...padding }, Buffer.from(jwt.signature, "base64url"))) {
    return refuse(700027, "Client assertion contains an invalid signature.");
  }
  if (claims.aud !== tokenEndpointUrl || typeof claims.exp !== "number" || now >= claims.exp * 1000) {
    return refuse(50027, "JWT token is invalid or malformed.");
  }
  return undefined;
}

/**
 * Entra's checks of a client assertion presented with workload identity federation: a JWT whose
 * issuer, subject and audience match the app's federated credential, signed by the issuer, and
 * within its `nbf`–`exp` range (AADSTS700024 otherwise, as an expired GitHub token is refused).
 * Every refusal is `invalid_client`. An issuer (or audience) no credential names is AADSTS70021.
 * The subject is compared case-sensitively (Entra's "Federated identity credentials now use
 * case-sensitive matching", reference-breaking-changes, August 2024): a subject no credential of
 * that issuer names is AADSTS700213, one that differs only in letter case AADSTS7002138, each in
 * Entra's words (as quoted in Azure/azure-workload-identity#1200 and Azure/login#515). A GitHub
 * job of a repository created or renamed after 2026-06-18 presents the immutable subject with the
 * owner's and repository's ids (GitHub changelog 2026-04-23): a credential made for the name-only
 * subject gets AADSTS700213. (Assumption: an audience mismatch stays AADSTS70021.)
 */
function assertionRefusal(form: URLSearchParams, credential: FederatedCredential | undefined): EmulatorResponse | undefined {
  const [header, payload, signature] = (form.get("client_assertion") ?? "").split(".");
  let claims: { iss?: string; sub?: string; aud?: string | string[]; nbf?: number; exp?: number };
  try {
    if (form.get("client_assertion_type") !== "urn:ietf:params:oauth:client-assertion-type:jwt-bearer") throw new Error("not a JWT bearer assertion");
    if (JSON.parse(Buffer.from(header ?? "", "base64url").toString("utf8")).alg !== "RS256" || signature === undefined) throw new Error("not RS256");
    claims = JSON.parse(Buffer.from(payload ?? "", "base64url").toString("utf8"));
  } catch {
    return refuse(50027, "JWT token is invalid or malformed.");
  }
  const audiences = [claims.aud ?? []].flat();
  if (!credential || claims.iss !== credential.issuer || !audiences.some((a) => credential.audiences.includes(a))) {
    return refuse(
      70021,
      `No matching federated identity record found for presented assertion. Assertion Issuer: '${claims.iss}'. Assertion Subject: '${claims.sub}'. Assertion Audience: '${audiences.join(",")}'.`,
    );
  }
  if (claims.sub !== credential.subject) {
    const documentation = "https://learn.microsoft.com/entra/workload-id/workload-identity-federation";
    return String(claims.sub).toLowerCase() === credential.subject.toLowerCase()
      ? refuse(
          7002138,
          `No matching federated identity record found for presented assertion subject '${claims.sub}'. The subject matches with case-insensitive comparison, but not with case-sensitive comparison. Check your federated identity credential Subject, Audience and Issuer against the presented assertion. See documentation at: ${documentation}. See breaking change notification and remediation at: https://learn.microsoft.com/en-us/entra/identity-platform/reference-breaking-changes#august-2024.`,
        )
      : refuse(
          700213,
          `No matching federated identity record found for presented assertion subject '${claims.sub}'. Check your federated identity credential Subject, Audience and Issuer against the presented assertion. ${documentation}`,
        );
  }
  if (!verify("RSA-SHA256", Buffer.from(`${header}.${payload}`), credential.publicKey, Buffer.from(signature, "base64url"))) {
    return refuse(700027, "Client assertion contains an invalid signature.");
  }
  const now = Date.now();
  if (typeof claims.exp !== "number" || now >= claims.exp * 1000 || (typeof claims.nbf === "number" && now < claims.nbf * 1000)) {
    const at = (seconds: number | undefined) => new Date((seconds ?? 0) * 1000).toISOString();
    return refuse(
      700024,
      `Client assertion is not within its valid time range. Current time: ${new Date(now).toISOString()}, assertion valid from ${at(claims.nbf)}, expiry time of assertion ${at(claims.exp)}. Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials .`,
    );
  }
  return undefined;
}

/** Requests that could have changed Graph's data: any method but GET (a `$batch` included); Exchange admin API calls are not Graph's. */
export function graphWrites(emulator: GraphEmulator): EmulatorRequest[] {
  return emulator.requests.filter((request) => request.method !== "GET" && !request.path.startsWith("/adminapi/"));
}

/** Serves `items` in pages of `pageSize`, linking pages with an absolute `@odata.nextLink`. */
export function pagedCollection(emulator: GraphEmulator, path: string, query: URLSearchParams, items: unknown[], pageSize: number): EmulatorResponse {
  const skip = Number(query.get("$skiptoken") ?? "0");
  const page = items.slice(skip, skip + pageSize);
  const next = skip + pageSize < items.length ? `${emulator.url}/v1.0${path}?$skiptoken=${skip + pageSize}` : undefined;
  return { status: 200, body: { value: page, ...(next ? { "@odata.nextLink": next } : {}) } };
}

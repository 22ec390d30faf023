import assert from "node:assert/strict";
import { createSign, generateKeyPairSync, randomUUID, type KeyObject } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { after, afterEach, before, beforeEach, describe, it, mock } from "node:test";
import { credentialFromEnvironment, deployingIdentity } from "../../m365/credentials";
import { sendWithRetry } from "../../m365/rest";
import { startMockRuntime } from "../../program/mock-runtime";
import { setEnvironment } from "../support/environment";
import { withRecordedWaits } from "../support/retry-clock";
import { DEPLOYER_CLIENT_ID, rejection, runSerializedProviders, TENANT_ID as TENANT } from "../support/deployer";
import { startGraphEmulator, type GraphEmulator } from "../../emulators/graph";
import { licensingRoutes, sku, type LicensingState } from "../../emulators/licensing";
import { testTls, trustTestCa } from "../../emulators/tls";

// A deployment in a GitHub Actions job: the deploying identity signs in to Entra with the job's
// OIDC token (workload identity federation). Both token services are loopback stand-ins over HTTPS;
// the clock is Node's mocked Date, so a GitHub token's five minutes and an Entra token's hour pass
// in no time.

const GITHUB_ISSUER = "https://token.actions.githubusercontent.com";
const SUBJECT = "repo:contoso-ops/retain-m365:environment:deploy-contoso";
const AZURE_AUDIENCE = "api://AzureADTokenExchange";
const REQUEST_TOKEN = "github-request-token-never-printed";
const WRONG_REQUEST_TOKEN = "wrong-request-token-never-printed";
const GRAPH = "https://graph.microsoft.com/.default";
const EXCHANGE = "https://outlook.office365.com/.default";
const MINUTE = 60_000;

interface GitHubOidc {
  /** What ACTIONS_ID_TOKEN_REQUEST_URL holds: the job's token URL, with its `api-version` query. */
  requestUrl: string;
  /** Every request, authorized or not. */
  requests: { audience: string | null; authorized: boolean }[];
  /** ID tokens issued, oldest first. */
  issued: string[];
  /** Statuses served, in order, to authorized requests before any token (fault injection). */
  injected: number[];
  /** The `sub` of the tokens it issues: the job's subject. */
  subject: string;
  close(): Promise<void>;
}

/**
 * GitHub's OIDC token request as a job sees it: GET the job's URL with `Authorization: Bearer
 * <ACTIONS_ID_TOKEN_REQUEST_TOKEN>`, optional `audience` (default: the repository owner's URL);
 * the answer's `value` is an RS256 JWT valid from five minutes before it was issued to five
 * minutes after (the window AADSTS700024 reports for GitHub tokens).
 */
async function startGitHubOidc(signingKey: KeyObject): Promise<GitHubOidc> {
  const { key, cert } = testTls();
  const jobPath = `/${randomUUID()}/00000000-0000-0000-0000-000000000000/_apis/distributedtask/hubs/Actions/plans/${randomUUID()}/jobs/${randomUUID()}/idtoken`;
  const github: GitHubOidc = { requestUrl: "", requests: [], issued: [], injected: [], subject: SUBJECT, close: async () => undefined };
  const reply = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
  const server = https.createServer({ key, cert }, (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "https://127.0.0.1");
    if (req.method !== "GET" || url.pathname !== jobPath || url.searchParams.get("api-version") !== "2.0") return reply(res, 404, { message: "Not Found" });
    const authorized = /^bearer (.+)$/i.exec(req.headers.authorization ?? "")?.[1] === REQUEST_TOKEN;
    const audience = url.searchParams.get("audience");
    github.requests.push({ audience, authorized });
    if (!authorized) return reply(res, 401, { message: "Unauthorized" });
    const injected = github.injected.shift();
    if (injected) return reply(res, injected, { message: "Service Unavailable" });
    const iat = Math.floor(Date.now() / 1000);
    const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
    const header = part({ typ: "JWT", alg: "RS256", kid: "stand-in" });
    const payload = part({
      jti: randomUUID(),
      sub: github.subject,
      environment: "deploy-contoso",
      aud: audience ?? "https://github.com/contoso-ops",
      repository: "contoso-ops/retain-m365",
      iss: GITHUB_ISSUER,
      nbf: iat - 300,
      iat,
      exp: iat + 300,
    });
    const token = `${header}.${payload}.${createSign("RSA-SHA256").update(`${header}.${payload}`).sign(signingKey).toString("base64url")}`;
    github.issued.push(token);
    reply(res, 200, { count: token.length, value: token });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  github.requestUrl = `https://127.0.0.1:${(server.address() as AddressInfo).port}${jobPath}?api-version=2.0`;
  github.close = () => new Promise((resolve) => server.close(() => resolve()));
  return github;
}

let github: GitHubOidc;
let entra: GraphEmulator;
let licensing: LicensingState;
const WORKER = "22222222-2222-4222-8222-222222222222";
const EXCHANGESTANDARD = "4b9405b0-7788-4568-add1-99614e613b69";
const ENV_KEYS = [
  "AZURE_CLIENT_ID",
  "AZURE_CLIENT_SECRET",
  "AZURE_CLIENT_CERTIFICATE_PATH",
  "AZURE_AUTHORITY_HOST",
  "ACTIONS_ID_TOKEN_REQUEST_URL",
  "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
] as const;
let restoreEnvironment: () => void;
let restoreCas: () => void;

/** Entra's answer to the client-credentials grant with this assertion, as the Azure CLI would replay it. */
async function presentAssertion(
  assertion: string,
  scope: string,
): Promise<{ status: number; body: { error?: string; error_description?: string; access_token?: string } }> {
  const response = await fetch(`${entra.url}/${TENANT}/oauth2/v2.0/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "client_credentials",
      client_id: DEPLOYER_CLIENT_ID,
      scope,
      client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
      client_assertion: assertion,
    }),
  });
  return { status: response.status, body: (await response.json()) as { error?: string; error_description?: string } };
}

before(async () => {
  restoreCas = trustTestCa();
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  github = await startGitHubOidc(privateKey);
  entra = await startGraphEmulator({
    token: "entra-token-never-printed",
    federatedCredentials: { [DEPLOYER_CLIENT_ID]: { issuer: GITHUB_ISSUER, subject: SUBJECT, audiences: [AZURE_AUDIENCE], publicKey } },
    routes: [
      (request, emulator) =>
        request.method === "GET" && request.path === "/organization"
          ? { status: 200, body: { value: [{ id: TENANT }] } }
          : licensingRoutes(licensing)(request, emulator),
    ],
  });
});
after(async () => {
  await github.close();
  await entra.close();
  restoreCas();
});
beforeEach(() => {
  // A job with `id-token: write` and the deployer's client id, no secret: the OIDC branch.
  restoreEnvironment = setEnvironment({
    ...Object.fromEntries(ENV_KEYS.map((key) => [key, undefined])),
    AZURE_CLIENT_ID: DEPLOYER_CLIENT_ID,
    AZURE_AUTHORITY_HOST: entra.url,
    ACTIONS_ID_TOKEN_REQUEST_URL: github.requestUrl,
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: REQUEST_TOKEN,
  });
  github.requests.length = 0;
  github.issued.length = 0;
  github.injected.length = 0;
  github.subject = SUBJECT;
  licensing = {
    skus: [sku("EXCHANGESTANDARD", EXCHANGESTANDARD, 5, 2)],
    users: new Map([[WORKER, { id: WORKER, usageLocation: "US", assignedLicenses: [] }]]),
  };
});
afterEach(() => {
  mock.timers.reset();
  restoreEnvironment();
});

describe("the deploying identity in a GitHub Actions job (OIDC)", () => {
  it("asks GitHub for one ID token with Entra's audience for the first token, none while the token is cached", async () => {
    const issuedBefore = entra.issuedTokens.length;
    const credential = credentialFromEnvironment(TENANT);
    const first = await credential.getToken(GRAPH);
    assert.deepEqual(github.requests, [{ audience: AZURE_AUDIENCE, authorized: true }]);
    assert.equal(entra.issuedTokens.length, issuedBefore + 1);
    assert.equal(first?.token, entra.issuedTokens.at(-1));
    const again = await credential.getToken(GRAPH);
    assert.equal(again?.token, first?.token);
    assert.equal(github.requests.length, 1, "a cached token costs no GitHub request");
  });

  it("after the Entra token expires, signs in with a new GitHub token; the first one would be refused as expired", async () => {
    mock.timers.enable({ apis: ["Date"], now: Date.now() });
    const credential = credentialFromEnvironment(TENANT);
    const first = await credential.getToken(GRAPH);
    mock.timers.tick(61 * MINUTE);
    const second = await credential.getToken(GRAPH);
    assert.notEqual(second?.token, first?.token);
    assert.equal(github.requests.length, 2);
    assert.equal(github.issued.length, 2);
    assert.notEqual(github.issued[1], github.issued[0]);

    const replayed = await presentAssertion(github.issued[0]!, GRAPH);
    assert.equal(replayed.status, 401);
    assert.equal(replayed.body.error, "invalid_client");
    assert.match(replayed.body.error_description ?? "", /^AADSTS700024: Client assertion is not within its valid time range\./);
    assert.equal((await presentAssertion(github.issued[1]!, GRAPH)).status, 200, "the new one is accepted");
  });

  it("gets a token for Exchange after the first GitHub token expired, with a new GitHub token", async () => {
    mock.timers.enable({ apis: ["Date"], now: Date.now() });
    const credential = credentialFromEnvironment(TENANT);
    const graph = await credential.getToken(GRAPH);
    mock.timers.tick(6 * MINUTE);
    assert.equal((await credential.getToken(GRAPH))?.token, graph?.token, "the Graph token is still good");
    assert.equal(github.requests.length, 1);
    // What the Azure CLI does here: replay the ID token it got at login.
    const replayed = await presentAssertion(github.issued[0]!, EXCHANGE);
    assert.match(replayed.body.error_description ?? "", /^AADSTS700024:/);

    const exchange = await credential.getToken(EXCHANGE);
    assert.equal(exchange?.token, entra.issuedTokens.at(-1));
    assert.deepEqual(github.requests.at(-1), { audience: AZURE_AUDIENCE, authorized: true });
    assert.equal(github.requests.length, 2);
  });

  it("sendWithRetry: a token refused with 401 late in a deployment is replaced through a new GitHub token", async () => {
    mock.timers.enable({ apis: ["Date"], now: Date.now() });
    // Calls made together share the deploying identity they are given (a provider operation's).
    const identity = deployingIdentity(TENANT);
    const call = () => sendWithRetry({ tenantId: TENANT, method: "GET", url: `${entra.url}/v1.0/organization`, scope: GRAPH, identity });
    assert.equal((await call()).status, 200);
    assert.equal((await call()).status, 200);
    assert.equal(github.requests.length, 1, "one GitHub token for both calls");
    mock.timers.tick(20 * MINUTE);
    entra.revokedTokens.add(entra.issuedTokens.at(-1)!);
    assert.equal((await call()).status, 200);
    assert.equal(github.requests.length, 2);
    assert.equal(entra.requests.at(-1)?.headers.authorization, `Bearer ${entra.issuedTokens.at(-1)}`);
  });

  it("retries GitHub's transient failures", async () => {
    github.injected.push(503);
    const { value: token, waits } = await withRecordedWaits(() => credentialFromEnvironment(TENANT).getToken(GRAPH));
    assert.equal(token?.token, entra.issuedTokens.at(-1));
    assert.equal(github.requests.length, 2);
    assert.equal(waits.length, 1, "one backoff before the second request");
  });

  it("a job whose subject is not the credential's, byte for byte, is refused as Entra refuses it, naming the subject presented", async () => {
    // A repository created or renamed after 2026-06-18 presents the immutable subject (owner and
    // repository ids; GitHub changelog 2026-04-23); a credential made for the name-only one never matches.
    github.subject = "repo:contoso-ops-81234567/retain-m365-912345678:environment:deploy-contoso";
    const immutable = await rejection(credentialFromEnvironment(TENANT).getToken(GRAPH));
    assert.match(
      immutable.message,
      /AADSTS700213: No matching federated identity record found for presented assertion subject 'repo:contoso-ops-81234567\/retain-m365-912345678:environment:deploy-contoso'\./,
    );
    // Entra compares subjects case-sensitively: the environment's letter case matters.
    github.subject = "repo:contoso-ops/retain-m365:environment:Deploy-Contoso";
    const letterCase = await rejection(credentialFromEnvironment(TENANT).getToken(GRAPH));
    assert.match(
      letterCase.message,
      /AADSTS7002138: .*'repo:contoso-ops\/retain-m365:environment:Deploy-Contoso'\. The subject matches with case-insensitive comparison, but not with case-sensitive comparison\./,
    );
    for (const error of [immutable, letterCase]) assert.ok(!error.message.includes(REQUEST_TOKEN));
  });

  it("a refused request token fails in one sentence with the status, without the token", async () => {
    process.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN = WRONG_REQUEST_TOKEN;
    const issuedBefore = entra.issuedTokens.length;
    const expected = `GitHub's OIDC token request was refused with HTTP 401 (ACTIONS_ID_TOKEN_REQUEST_TOKEN is wrong or expired), so the deploying identity ${DEPLOYER_CLIENT_ID} cannot sign in to Entra ID.`;
    const direct = await rejection(credentialFromEnvironment(TENANT).getToken(GRAPH));
    assert.equal(direct.message, expected);
    const viaRest = await rejection(sendWithRetry({ tenantId: TENANT, method: "GET", url: `${entra.url}/v1.0/organization`, scope: GRAPH }));
    assert.equal(viaRest.message, expected);
    for (const error of [direct, viaRest]) {
      for (const secret of [WRONG_REQUEST_TOKEN, REQUEST_TOKEN]) assert.ok(!`${error.message}\n${error.stack}`.includes(secret));
    }
    assert.deepEqual(github.requests, [
      { audience: AZURE_AUDIENCE, authorized: false },
      { audience: AZURE_AUDIENCE, authorized: false },
    ]);
    assert.equal(entra.issuedTokens.length, issuedBefore, "Entra was not asked");
  });

  it("the serialized MailboxLicense provider, in plain Node, signs in this way with one GitHub token for all its calls", async () => {
    const runtime = await startMockRuntime({ project: "retain-m365", stack: "test", preview: false });
    const { MailboxLicense } = await import("../../components/identity/mailbox-license");
    const inputs = { tenantId: TENANT, userId: WORKER, skuPartNumber: "EXCHANGESTANDARD", graphEndpoint: entra.url };
    new MailboxLicense("worker-licence", inputs);
    await runtime.settle();
    await runtime.stop();
    const text = runtime.resources.find((r) => r.name === "worker-licence")?.inputs.__provider;
    assert.equal(typeof text, "string");
    const created = (await runSerializedProviders({ licence: text as string }, `return load("licence").create(${JSON.stringify(inputs)});`)) as {
      outs: { skuId: string };
    };
    assert.equal(created.outs.skuId, EXCHANGESTANDARD);
    assert.deepEqual(
      licensing.users.get(WORKER)?.assignedLicenses.map((l) => l.skuId),
      [EXCHANGESTANDARD],
    );
    assert.deepEqual(github.requests, [{ audience: AZURE_AUDIENCE, authorized: true }]);
  });
});

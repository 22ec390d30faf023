import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { appCredential, authorityFor, deployingIdentity, signInFailureReason, type DeployingIdentity } from "../../m365/credentials";
import { CLOUDS } from "../../m365/clouds";
import { sendWithRetry } from "../../m365/rest";
import { DEPLOYER_CLIENT_ID, DEPLOYER_SECRET, rejection, startDeployerEmulator, TENANT_ID } from "../support/deployer";
import type { GraphEmulator } from "../../emulators/graph";

let graph: GraphEmulator;
let deployerEnv: NodeJS.ProcessEnv;
const getOrganization = (identity?: DeployingIdentity) =>
  sendWithRetry({ tenantId: TENANT_ID, method: "GET", url: `${graph.url}/v1.0/organization`, scope: "https://graph.microsoft.com/.default", identity });

before(async () => {
  graph = await startDeployerEmulator({
    token: "credentials-token",
    routes: [(request) => (request.method === "GET" && request.path === "/organization" ? { status: 200, body: { value: [{ id: TENANT_ID }] } } : undefined)],
  });
  deployerEnv = { ...process.env };
});
after(() => graph.close());
afterEach(() => {
  Object.assign(process.env, { AZURE_AUTHORITY_HOST: deployerEnv.AZURE_AUTHORITY_HOST, AZURE_CLIENT_SECRET: deployerEnv.AZURE_CLIENT_SECRET });
});

describe("the Entra login host", () => {
  it("is the cloud's, with instance discovery on, when nothing overrides it", () => {
    delete process.env.AZURE_AUTHORITY_HOST;
    assert.deepEqual(authorityFor("usgov"), { authorityHost: "https://login.microsoftonline.us", disableInstanceDiscovery: false });
    assert.deepEqual(authorityFor(), { authorityHost: CLOUDS.global.login, disableInstanceDiscovery: false });
  });

  it("AZURE_AUTHORITY_HOST overrides the cloud's and turns instance discovery off; an explicit host (--authority-host) wins over both", () => {
    process.env.AZURE_AUTHORITY_HOST = "https://127.0.0.1:8443";
    assert.deepEqual(authorityFor("china"), { authorityHost: "https://127.0.0.1:8443", disableInstanceDiscovery: true });
    assert.deepEqual(authorityFor("china", "https://login.microsoftonline.us"), {
      authorityHost: "https://login.microsoftonline.us",
      disableInstanceDiscovery: true,
    });
  });

  it("takes only a login host of Microsoft's clouds or a loopback address, over https: anything else is exit 2 naming where it came from", () => {
    process.env.AZURE_AUTHORITY_HOST = "https://login.example.test";
    assert.throws(() => authorityFor("global"), /AZURE_AUTHORITY_HOST must be an Entra ID login host/);
    process.env.AZURE_AUTHORITY_HOST = "http://127.0.0.1:8443";
    assert.throws(() => authorityFor("global"), /AZURE_AUTHORITY_HOST must be an https:\/\/ URL/);
    delete process.env.AZURE_AUTHORITY_HOST;
    assert.throws(() => authorityFor("global", "https://other.example.test"), /--authority-host must be an Entra ID login host/);
  });

  it("an app signs in at the host AZURE_AUTHORITY_HOST names, without asking the public cloud", async () => {
    const token = await appCredential(TENANT_ID, DEPLOYER_CLIENT_ID, { clientSecret: DEPLOYER_SECRET }, authorityFor()).getToken(
      "https://graph.microsoft.com/.default",
    );
    assert.equal(token?.token, graph.issuedTokens.at(-1));
  });
});

describe("the deploying identity's credential, shared by the calls made with it", () => {
  it("keeps its token for every call made with it, nowhere else; a rotated secret is read by the next credential", async () => {
    const identity = deployingIdentity(TENANT_ID);
    const issued = graph.issuedTokens.length;
    assert.equal((await getOrganization(identity)).status, 200);
    assert.equal((await getOrganization(identity)).status, 200);
    assert.equal(graph.issuedTokens.length, issued + 1, "one sign-in for both calls");
    assert.deepEqual(
      Object.getOwnPropertyNames(globalThis).filter((name) => /retain/i.test(name)),
      [],
      "no credential or token is kept on globalThis",
    );

    process.env.AZURE_CLIENT_SECRET = "rotated-secret-not-known-to-entra";
    const refused = await rejection(getOrganization(deployingIdentity(TENANT_ID)));
    assert.match(refused.message, /invalid_client|Invalid client secret/);
    assert.ok(!refused.message.includes("rotated-secret-not-known-to-entra"));

    assert.equal((await getOrganization(identity)).status, 200);
    assert.equal(graph.issuedTokens.length, issued + 1, "the first credential, with its cached token, is used again");
  });

  it("shares one sign-in among calls that ask for a token at once", async () => {
    const identity = deployingIdentity(TENANT_ID);
    const issued = graph.issuedTokens.length;
    const answers = await Promise.all(Array.from({ length: 5 }, () => getOrganization(identity)));
    assert.deepEqual(
      answers.map((a) => a.status),
      [200, 200, 200, 200, 200],
    );
    assert.equal(graph.issuedTokens.length, issued + 1);
  });
});

describe("why signing in failed, in one clause", () => {
  it("with no credential anywhere (DefaultAzureCredential's many-line chain), names what to set", async () => {
    const { AggregateAuthenticationError, CredentialUnavailableError } = await import("@azure/identity");
    const chain = new AggregateAuthenticationError(
      [new CredentialUnavailableError("EnvironmentCredential is unavailable."), new CredentialUnavailableError("Azure CLI could not be found.")],
      "ChainedTokenCredential authentication failed.",
    );
    const reason = signInFailureReason(chain);
    assert.equal(reason.includes("\n"), false);
    assert.match(
      reason,
      /^no credential for the deploying identity in this environment: set AZURE_CLIENT_ID with AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH/,
    );
  });

  it("a refused credential keeps Entra's own first line (its AADSTS code)", () => {
    const refused = Object.assign(new Error("AADSTS7000215: Invalid client secret provided.\nTrace ID: 1"), { name: "AuthenticationError" });
    assert.equal(signInFailureReason(refused), "AADSTS7000215: Invalid client secret provided.");
  });
});

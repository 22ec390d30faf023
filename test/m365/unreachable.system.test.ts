import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { Resolver } from "node:dns/promises";
import { createServer as createHttpsServer, type Server } from "node:https";
import { createServer, type AddressInfo } from "node:net";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { connectionFailure } from "../../core/connection-failure";
import { ExitCode, UserFacingError } from "../../core/errors";
import { makeAppCertificate } from "../../m365/app-certificate";
import { appCredential } from "../../m365/credentials";
import { createGraphClient, withGraphRetry } from "../../m365/graph-client";
import { runMain } from "../support/contract";

// Everything here stays on loopback: a port nothing listens on (refused), a TLS listener whose
// certificate nobody trusts, and a DNS server on 127.0.0.1 that answers NXDOMAIN (unresolvable).

const TENANT = "00000000-0000-4000-8000-0000000000aa";
const APP = "00000000-0000-4000-8000-0000000000bb";
const FAST = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 1 };

let closedPort: number;
let untrusted: Server;
let untrustedUrl: string;

before(async () => {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  closedPort = (probe.address() as AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
  // A self-signed certificate (credential new's): no trust store holds it.
  const made = await makeAppCertificate(1);
  untrusted = createHttpsServer({ cert: made.certificatePem, key: made.filePem.slice(made.certificatePem.length) }, (_request, response) => response.end("{}"));
  await new Promise<void>((resolve) => untrusted.listen(0, "127.0.0.1", resolve));
  untrustedUrl = `https://127.0.0.1:${(untrusted.address() as AddressInfo).port}`;
});
after(() => untrusted.close());

const token = { getToken: async () => ({ token: "t", expiresOnTimestamp: Date.now() + 3_600_000 }) };
async function failure(promise: Promise<unknown>): Promise<UserFacingError> {
  const error = await promise.then(
    () => assert.fail("it succeeded"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof UserFacingError, String(error));
  return error;
}

describe("an endpoint that cannot be reached", () => {
  it("Graph's host refusing the connection: named, with why, tried per the policy, exit 4", async () => {
    const client = createGraphClient({ credential: token, endpoint: `https://127.0.0.1:${closedPort}` });
    const error = await failure(withGraphRetry("reading users from Graph", () => client.api("/users").get(), FAST));
    assert.match(
      error.message,
      new RegExp(
        `^reading users from Graph failed: could not reach the Microsoft Graph host 127\\.0\\.0\\.1:${closedPort}: the connection was refused: nothing listens at that address and port \\(ECONNREFUSED\\); tried 3 times over \\d+\\.\\d s$`,
      ),
    );
    assert.equal(error.exitCode, ExitCode.remoteService);
  });

  it("Graph's host with an untrusted certificate: a TLS failure, not tried again", async () => {
    const client = createGraphClient({ credential: token, endpoint: untrustedUrl });
    const error = await failure(withGraphRetry("reading users from Graph", () => client.api("/users").get(), FAST));
    assert.match(
      error.message,
      /could not reach the Microsoft Graph host 127\.0\.0\.1:\d+: TLS failed: the server's certificate is self-signed \(DEPTH_ZERO_SELF_SIGNED_CERT\); tried 1 time over/,
    );
  });

  it("the login host refusing: the sign-in says which host and why instead of MSAL's endpoints_resolution_error, and is not tried again by the Graph call", async () => {
    const credential = appCredential(
      TENANT,
      APP,
      { clientSecret: "s" },
      { authorityHost: `https://127.0.0.1:${closedPort}`, disableInstanceDiscovery: true },
      { ...FAST, timeoutMs: 5_000 },
    );
    const client = createGraphClient({ credential, endpoint: untrustedUrl });
    const error = await failure(withGraphRetry("starting the users delta", () => client.api("/users/delta").get(), FAST));
    assert.match(
      error.message,
      new RegExp(
        `^starting the users delta failed: could not reach the Entra ID login host 127\\.0\\.0\\.1:${closedPort} to sign in: the connection was refused: nothing listens at that address and port \\(ECONNREFUSED\\); tried 3 times over \\d+\\.\\d s$`,
      ),
    );
    assert.doesNotMatch(error.message, /endpoints_resolution_error|HTTP -1/);
    assert.equal(error.exitCode, ExitCode.remoteService);
  });

  it("a login host that accepts the connection but never answers: each try ends at the sign-in timeout", async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    try {
      const host = `127.0.0.1:${(silent.address() as AddressInfo).port}`;
      const credential = appCredential(
        TENANT,
        APP,
        { clientSecret: "s" },
        { authorityHost: `https://${host}`, disableInstanceDiscovery: true },
        { ...FAST, maxAttempts: 2, timeoutMs: 200 },
      );
      const error = await credential.getToken("https://graph.microsoft.com/.default").then(
        () => assert.fail("it signed in"),
        (e: unknown) => e as Error,
      );
      assert.match(
        error.message,
        new RegExp(
          `^could not reach the Entra ID login host ${host.replace(/\./g, "\\.")} to sign in: no answer in time \\(the request timed out\\); tried \\d times? over`,
        ),
      );
    } finally {
      silent.close();
    }
  });

  it("sync against a login host with an untrusted certificate: one sentence naming the host and TLS, exit 4, at once", async () => {
    const out = mkdtempSync(path.join(tmpdir(), "retain-unreachable-"));
    const result = await runMain(
      ["sync", "--tenant-id", TENANT, "--client-id", APP, "--out", out, "--graph-endpoint", untrustedUrl, "--authority-host", untrustedUrl],
      {
        env: { RETAIN_SYNC_CLIENT_SECRET: "s" },
      },
    );
    assert.equal(result.code, ExitCode.remoteService, result.stderr);
    assert.match(
      result.stderr,
      /could not reach the Entra ID login host 127\.0\.0\.1:\d+ to sign in: TLS failed: the server's certificate is self-signed \(DEPTH_ZERO_SELF_SIGNED_CERT\); tried 1 time over \d+\.\d s/,
    );
    assert.doesNotMatch(result.stderr, /endpoints_resolution_error|HTTP -1/);
  });

  it("a name that does not resolve (Node's own ENOTFOUND, from a DNS server on loopback that answers NXDOMAIN)", async () => {
    const dns = createSocket("udp4");
    dns.on("message", (query, peer) => {
      // RFC 1035 §4.1.1: the query's id and question, QR set, RCODE 3 (name error), no answers.
      const answer = Buffer.from(query);
      answer.writeUInt16BE(0x8183, 2);
      answer.writeUInt16BE(0, 6);
      answer.writeUInt16BE(0, 8);
      answer.writeUInt16BE(0, 10);
      dns.send(answer, peer.port, peer.address);
    });
    await new Promise<void>((resolve) => dns.bind(0, "127.0.0.1", resolve));
    try {
      const resolver = new Resolver({ tries: 1 });
      resolver.setServers([`127.0.0.1:${dns.address().port}`]);
      const error = await resolver.resolve4("login.example.invalid").then(
        () => assert.fail("it resolved"),
        (e: unknown) => e,
      );
      assert.equal((error as NodeJS.ErrnoException).code, "ENOTFOUND");
      // As `fetch` reports it: "fetch failed" with the lookup's error as its cause.
      assert.deepEqual(connectionFailure(new TypeError("fetch failed", { cause: error })), {
        reason: "the name does not resolve in DNS (ENOTFOUND)",
        retryable: true,
      });
    } finally {
      dns.close();
    }
  });

  it("a connect that fails with a code Node has no name for (libuv's UNKNOWN, as under Wine): the call and code, not 'fetch failed'", () => {
    // What undici's fetch rejects with under Wine 8 (docs/windows.md): "fetch failed", caused by connect's UNKNOWN.
    const cause = Object.assign(new Error("connect UNKNOWN 127.0.0.1:443"), {
      errno: -4094,
      code: "UNKNOWN",
      syscall: "connect",
      address: "127.0.0.1",
      port: 443,
    });
    assert.deepEqual(connectionFailure(new TypeError("fetch failed", { cause })), { reason: "the connect call failed (UNKNOWN)", retryable: true });
    assert.equal(connectionFailure(new TypeError("fetch failed")), undefined, "nothing from a system call: not a connection failure");
  });
});

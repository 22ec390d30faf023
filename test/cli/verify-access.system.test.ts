import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { DEFAULT_RETRY } from "../../core/retry";
import { ewsShutdown } from "../../m365/ews-retirement";
import { TEAMS_APP_ID } from "../../m365/exchange-facts";
import type { ExchangeState } from "../../emulators/exchange";
import { ewsFault, ewsRoute } from "../../emulators/ews";
import { EWS_PATH, startGraphEmulator, type GraphEmulator } from "../../emulators/graph";
import { trustTestCa } from "../../emulators/tls";
import { runMain } from "../support/contract";
import { setEnvironment } from "../support/environment";
import { deployedEwsTenant, EWS_TENANT } from "../support/ews-tenant";

const { tenantId: TENANT, appId: APP, inside: INSIDE, outside: OUTSIDE } = EWS_TENANT;
const SECRET = "retain-ews-secret-value-never-shown";

let emulator: GraphEmulator;
let state: ExchangeState;
let restore: () => void;

before(async () => {
  const restoreCas = trustTestCa();
  emulator = await startGraphEmulator({ token: "ews-token", routes: [], clients: { [APP]: SECRET }, ews: (request, e) => ewsRoute(state)(request, e) });
  const restoreEnvironment = setEnvironment({ RETAIN_SYNC_CLIENT_SECRET: SECRET, AZURE_AUTHORITY_HOST: undefined });
  restore = () => {
    restoreEnvironment();
    restoreCas();
  };
});
after(async () => {
  await emulator.close();
  restore();
});
beforeEach(() => {
  state = deployedEwsTenant();
  emulator.injected.length = 0;
  emulator.requests.length = 0;
});

const access = (extra: string[]) => [
  "verify",
  "--access",
  "--tenant-id",
  TENANT,
  "--client-id",
  APP,
  "--ews-endpoint",
  emulator.url,
  "--authority-host",
  emulator.url,
  ...extra,
];
const verify = (extra: string[]) => runMain(access(extra));
const ewsRequests = () => emulator.requests.filter((r) => r.path === EWS_PATH);

describe("verify --access: Retain's EWS access, as Retain's app", () => {
  it("passes with the in-scope mailbox reached and the outside one refused; prints the EWS URL and the days left", async () => {
    const result = await verify(["--mailbox", INSIDE, "--outside", OUTSIDE]);
    assert.equal(result.code, 0, result.stderr);
    const shutdown = ewsShutdown("global");
    assert.equal(
      result.stdout,
      `✓ EWS for ${INSIDE} is reached as Retain's app (folder "Inbox")\n` +
        `✓ EWS for ${OUTSIDE} (outside the scope) is refused (ErrorImpersonateUserDenied): the management scope holds\n` +
        `EWS URL to enter in Retain: ${emulator.url}/EWS/Exchange.asmx\n` +
        `${shutdown.notice}\n`,
    );
    assert.match(shutdown.notice, new RegExp(`ends for good on 2027-04-01 .* in ${shutdown.daysLeft} days`));
    assert.equal(result.stderr, "");
    // As Retain asks: a token for Exchange's resource, the mailbox as anchor and impersonated.
    const requests = ewsRequests();
    assert.deepEqual(
      requests.map((r) => r.headers["x-anchormailbox"]),
      [INSIDE, OUTSIDE],
    );
    const token = /^Bearer (.+)$/.exec(String(requests[0]!.headers.authorization))![1]!;
    assert.deepEqual(emulator.tokenClaims.get(token), { appId: APP, scope: "https://outlook.office365.com/.default" });
  });

  it("--json: the checks, the EWS URL and EWS's end", async () => {
    const result = await verify(["--mailbox", INSIDE, "--outside", OUTSIDE, "--json"]);
    assert.equal(result.code, 0, result.stderr);
    const shutdown = ewsShutdown("global");
    assert.deepEqual(JSON.parse(result.stdout), {
      ok: true,
      checks: [
        { check: `EWS for ${INSIDE}`, ok: true, detail: `is reached as Retain's app (folder "Inbox")` },
        { check: `EWS for ${OUTSIDE} (outside the scope)`, ok: true, detail: "is refused (ErrorImpersonateUserDenied): the management scope holds" },
      ],
      ewsUrl: `${emulator.url}/EWS/Exchange.asmx`,
      ews: { shutdown: "2027-04-01", daysLeft: shutdown.daysLeft },
    });
  });

  it("escapes the address in the SOAP request: a mailbox with & and ' is reached", async () => {
    const result = await verify(["--mailbox", EWS_TENANT.quoted]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /^✓ EWS for o'neil&sons@contoso\.com is reached/);
  });

  it("exit 3 naming the allow list when it leaves Retain's app out, or is in force and empty", async () => {
    for (const list of [TEAMS_APP_ID, null]) {
      state = deployedEwsTenant();
      state.organization.EwsAllowedAppIDs = list;
      const result = await verify(["--mailbox", INSIDE, "--outside", OUTSIDE]);
      assert.equal(result.code, 3, result.stderr);
      assert.match(
        result.stdout,
        new RegExp(
          `^✗ EWS for ${INSIDE} is refused by the organization's EWS allow list: EwsAllowedAppIDs leaves Retain's app ${APP} out.*X-EWS-Policy-Reason: "EWS is blocked by policy for this user or tenant"`,
          "m",
        ),
      );
      assert.match(result.stdout, /^✗ EWS for bob@contoso\.com \(outside the scope\) .*not by the management scope/m);
      assert.match(result.stderr, /^retain-m365: 2 of 2 access checks failed: ann@contoso\.com is refused by the organization's EWS allow list/);
    }
  });

  it("exit 3 naming it when the mailbox's EWS is off, or its only licence is a Kiosk one", async () => {
    for (const mailbox of [EWS_TENANT.ewsOff, EWS_TENANT.kiosk]) {
      const result = await verify(["--mailbox", mailbox]);
      assert.equal(result.code, 3, result.stderr);
      assert.match(
        result.stdout,
        new RegExp(`^✗ EWS for ${mailbox} is refused because EWS is disabled for this mailbox or the organization: the mailbox's own EwsEnabled`),
      );
      assert.match(result.stderr, new RegExp(`^retain-m365: 1 of 1 access checks failed: ${mailbox} is refused because EWS is disabled for this mailbox`));
    }
  });

  it("exit 3 saying the scope does not hold when the outside mailbox is reached (an unscoped assignment)", async () => {
    state.assignments[0]!.CustomResourceScope = "";
    const result = await verify(["--mailbox", INSIDE, "--outside", OUTSIDE]);
    assert.equal(result.code, 3, result.stderr);
    assert.match(result.stdout, /^✓ EWS for ann@contoso\.com is reached/m);
    assert.match(result.stdout, /^✗ EWS for bob@contoso\.com \(outside the scope\) is reached: the management scope does not hold/m);
    assert.equal(
      result.stderr,
      "retain-m365: 1 of 2 access checks failed: the management scope does not hold: Retain's app reaches bob@contoso.com, which should be outside it\n",
    );
  });

  it("exit 3 when the mailbox is outside the scope, or the app has no EWS role at all", async () => {
    const outside = await verify(["--mailbox", OUTSIDE]);
    assert.equal(outside.code, 3);
    assert.match(outside.stderr, /bob@contoso\.com is not in Retain's management scope \(ErrorImpersonateUserDenied\)/);
    state.assignments.length = 0;
    const noRole = await verify(["--mailbox", INSIDE]);
    assert.equal(noRole.code, 3);
    assert.match(
      noRole.stdout,
      /^✗ EWS for ann@contoso\.com is refused \(HTTP 403, x-ms-diagnostics: 2000008;.*\): Retain's app holds no EWS permission in Exchange \(the role Application EWS\.AccessAsApp\)$/m,
    );
  });

  it("exit 2 naming a mailbox that does not exist, as --mailbox or --outside", async () => {
    const inside = await verify(["--mailbox", "nobody@contoso.com"]);
    assert.equal(inside.code, 2, inside.stderr);
    assert.match(inside.stdout, /^✗ EWS for nobody@contoso\.com has no mailbox in Exchange Online \(ErrorNonExistentMailbox\)$/m);
    assert.match(inside.stderr, /--mailbox nobody@contoso\.com has no mailbox in Exchange Online/);
    const outside = await verify(["--mailbox", INSIDE, "--outside", "ghost@contoso.com"]);
    assert.equal(outside.code, 2, outside.stderr);
    assert.match(outside.stderr, /--outside ghost@contoso\.com has no mailbox in Exchange Online/);
  });

  it("exit 3 when Entra ID refuses the secret, which is never printed, not even with --debug", async () => {
    const wrong = "wrong-secret-value-must-not-appear";
    const restoreSecret = setEnvironment({ RETAIN_SYNC_CLIENT_SECRET: wrong });
    try {
      for (const extra of [[], ["--debug"]]) {
        const result = await runMain([...extra, ...access(["--mailbox", INSIDE])]);
        assert.equal(result.code, 3, result.stderr);
        assert.match(
          result.stderr,
          /^retain-m365: Entra ID refused to sign in Retain's app 00000000-0000-4000-8000-0000000000bb for https:\/\/outlook\.office365\.com\/\.default: .*AADSTS7000215/,
        );
        for (const secret of [wrong, SECRET]) assert.ok(!(result.stdout + result.stderr).includes(secret));
      }
      assert.equal(ewsRequests().length, 0, "EWS is not asked without a token");
    } finally {
      restoreSecret();
    }
  });

  it("exit 4 when EWS keeps failing: tried as often as the retry policy allows, the outside check not tried", async () => {
    for (let i = 0; i < DEFAULT_RETRY.maxAttempts; i++)
      emulator.injected.push({ status: 503, headers: { "retry-after": "0" }, body: { error: "Service Unavailable" } });
    const result = await verify(["--mailbox", INSIDE, "--outside", OUTSIDE]);
    assert.equal(result.code, 4, result.stderr);
    assert.equal(ewsRequests().length, DEFAULT_RETRY.maxAttempts);
    assert.match(result.stdout, new RegExp(`^✗ EWS for ann@contoso\\.com got no answer from EWS: HTTP 503, ${DEFAULT_RETRY.maxAttempts} tries$`, "m"));
    assert.match(result.stdout, /^✗ EWS for bob@contoso\.com \(outside the scope\) was not tried/m);
    assert.equal(
      result.stderr,
      `retain-m365: 2 of 2 access checks failed: EWS did not answer (HTTP 503, ${DEFAULT_RETRY.maxAttempts} tries); bob@contoso.com was not tried\n`,
    );
  });

  it("rides out a 503 and EWS's ErrorServerBusy (waiting its BackOffMilliseconds)", async () => {
    emulator.injected.push(
      { status: 503, headers: { "retry-after": "0" } },
      ewsFault("ErrorServerBusy", "The server cannot service this request right now. Try again later.", { BackOffMilliseconds: "0" }),
    );
    const result = await verify(["--mailbox", INSIDE]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.equal(ewsRequests().length, 3);
  });
});

describe("verify --access: its arguments", () => {
  it("refuses --access with DNS options, and access options without --access: exit 2, one sentence", async () => {
    const mixed = await verify(["--mailbox", INSIDE, "--domain", "contoso.com", "--autodiscover-url", "https://127.0.0.1:9"]);
    assert.equal(mixed.code, 2);
    assert.equal(mixed.stderr, "retain-m365: verify --access checks EWS access, not DNS: leave out --domain, --autodiscover-url\n");
    const dns = await runMain(["verify", "--domain", "contoso.com", "--outside", OUTSIDE]);
    assert.equal(dns.code, 2);
    assert.equal(dns.stderr, "retain-m365: --outside belongs to verify --access, the check of Retain's EWS access: add --access, or leave it out\n");
    assert.equal(ewsRequests().length, 0);
  });

  it("needs --mailbox, an https EWS endpoint and addresses; --outside is refused by its own name", async () => {
    const cases: [string[], RegExp][] = [
      [access([]), /verify --access needs --mailbox <address>/],
      [[...access(["--mailbox", INSIDE]), "--ews-endpoint", "http://127.0.0.1:9"], /--ews-endpoint must be an https:\/\/ URL/],
      [access(["--mailbox", INSIDE, "--outside", "not an address"]), /--outside must be a mail address/],
    ];
    for (const [args, message] of cases) {
      const result = await runMain(args);
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, message);
    }
  });

  it("--help describes both checks", async () => {
    const help = await runMain(["verify", "--help"]);
    assert.equal(help.code, 0);
    const words = help.stdout.replace(/\s+/g, " ");
    for (const text of [
      "autodiscover CNAME and SRV",
      "--access",
      "--outside <address>",
      "--ews-endpoint <url>",
      "--certificate <file|dir>",
      "the EWS URL to enter in Retain",
    ])
      assert.ok(words.includes(text), text);
  });
});

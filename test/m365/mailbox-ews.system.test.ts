import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { validateConfig } from "../../config/validate";
import { mailboxEwsWarning } from "../../m365/mailbox-ews";
import { OfflineServiceConfigurationRecordSource } from "../../m365/microsoft-dns-records/offline";
import { startMockRuntime } from "../../program/mock-runtime";
import { toRaw, validRawValues } from "../support/configs";
import { TENANT_ID } from "../support/deployer";
import { useExchangeEmulator } from "../support/exchange-admin";
import { exchangeError, type ExchangeState } from "../../emulators/exchange";
import type { GraphEmulator } from "../../emulators/graph";

const WORKER = "RetainWorker@example.com";
let emulator: GraphEmulator;
let state: ExchangeState;
const target = () => ({ tenantId: TENANT_ID, exchangeEndpoint: emulator.url });

useExchangeEmulator(TENANT_ID, (e, s) => {
  emulator = e;
  state = s;
});

describe("the worker mailbox's own EWS setting", () => {
  it("warns, naming the mailbox setting, when the mailbox may not use EWS", async () => {
    state.mailboxes[WORKER] = { EwsEnabled: false };
    assert.equal(
      await mailboxEwsWarning(target(), WORKER),
      `the worker's mailbox ${WORKER} may not use EWS (Get-CASMailbox shows EwsEnabled False), so Retain cannot reach it through EWS; allow it with Set-CASMailbox -Identity ${WORKER} -EwsEnabled $true`,
    );
    assert.deepEqual(state.commands, [{ cmdlet: "Get-CASMailbox", parameters: { Identity: WORKER } }]);
  });

  it("says nothing when EWS is allowed or never set for the mailbox, or the mailbox is not there yet", async () => {
    state.mailboxes[WORKER] = { EwsEnabled: true };
    assert.equal(await mailboxEwsWarning(target(), WORKER), undefined);
    state.mailboxes[WORKER] = { EwsEnabled: null };
    assert.equal(await mailboxEwsWarning(target(), WORKER), undefined);
    assert.equal(await mailboxEwsWarning(target(), "new-worker@example.com"), undefined);
  });

  it("turns a failure into a warning instead of stopping the deployment", async () => {
    emulator.injected.push(exchangeError(403, "Microsoft.Exchange.Security.Authorization.AuthorizationException", "The caller is not authorized."));
    assert.match(
      (await mailboxEwsWarning(target(), WORKER)) ?? "",
      /^could not check whether the worker's mailbox RetainWorker@example\.com may use EWS: Exchange refused Get-CASMailbox .*not authorized/,
    );
  });
});

describe("the deployment reports tenant checks as warnings", () => {
  it("logs the worker mailbox's EWS warning through Pulumi and still declares the tenant", async (t) => {
    state.mailboxes[WORKER] = { EwsEnabled: false };
    const validation = validateConfig(toRaw(validRawValues()));
    assert.ok(validation.ok);
    const runtime = await startMockRuntime({ project: "retain-m365", stack: "checks", preview: true });
    const warned: string[] = [];
    t.mock.method(console, "warn", (message: string) => warned.push(message));
    const { deployTenant } = await import("../../program/program");
    await deployTenant({
      recordSource: () => new OfflineServiceConfigurationRecordSource(),
      config: validation.config,
      tenantWarnings: async (config) => [await mailboxEwsWarning(target(), config.workerUser.userPrincipalName)].filter((w) => w !== undefined),
    });
    await runtime.settle();
    await runtime.stop();
    assert.deepEqual(warned, [
      `warning: [runtime] the worker's mailbox ${WORKER} may not use EWS (Get-CASMailbox shows EwsEnabled False), so Retain cannot reach it through EWS; allow it with Set-CASMailbox -Identity ${WORKER} -EwsEnabled $true`,
    ]);
    assert.ok(runtime.resources.some((r) => r.type === "retain-m365:tenant:RetainTenant"));
  });
});

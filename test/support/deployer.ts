import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { REPO_ROOT } from "./cli";
import { setEnvironment } from "./environment";
import { startGraphEmulator, type GraphEmulator, type GraphEmulatorOptions } from "../../emulators/graph";
import { testTls, trustTestCa } from "../../emulators/tls";

export const TENANT_ID = "00000000-0000-4000-8000-000000000001";
export const DEPLOYER_CLIENT_ID = "11111111-1111-4111-8111-111111111111";
export const DEPLOYER_SECRET = "deployer-secret-never-printed";

/**
 * The loopback emulator as Entra (token endpoint), Graph and Exchange, with the deploying
 * identity in this process's environment pointed at it, as dynamic providers read it, and the
 * test CA trusted. `close` stops it and puts the environment and the trusted CAs back.
 */
export async function startDeployerEmulator(options: Omit<GraphEmulatorOptions, "clients">): Promise<GraphEmulator> {
  const restoreCas = trustTestCa();
  const emulator = await startGraphEmulator({ ...options, clients: { [DEPLOYER_CLIENT_ID]: DEPLOYER_SECRET } });
  const restoreEnvironment = setEnvironment({ AZURE_CLIENT_ID: DEPLOYER_CLIENT_ID, AZURE_CLIENT_SECRET: DEPLOYER_SECRET, AZURE_AUTHORITY_HOST: emulator.url });
  const stop = emulator.close;
  emulator.close = async () => {
    await stop();
    restoreEnvironment();
    restoreCas();
  };
  return emulator;
}

/** The error a promise rejects with; fails the test if it resolves. */
export function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => assert.fail("expected a failure"),
    (error: unknown) => error as Error,
  );
}

/**
 * Runs serialized dynamic providers as Pulumi's provider host does: plain Node without a
 * TypeScript loader, in another process. `body` is JavaScript where `load(name)` gives the
 * provider; its result is printed as JSON and returned parsed.
 */
export async function runSerializedProviders(providers: Record<string, string>, body: string): Promise<unknown> {
  mkdirSync(path.join(REPO_ROOT, ".tmp"), { recursive: true });
  const dir = mkdtempSync(path.join(REPO_ROOT, ".tmp", "providers-"));
  try {
    const files = Object.fromEntries(
      Object.entries(providers).map(([name, text]) => {
        const file = path.join(dir, `${name}.js`);
        writeFileSync(file, text);
        return [name, file];
      }),
    );
    const script = `const files = ${JSON.stringify(files)};
      const load = (name) => require(files[name]).handler();
      (async () => { ${body} })().then((r) => console.log(JSON.stringify(r ?? null)), (e) => { console.error(e.message); process.exit(1); });`;
    // Asynchronous: this process serves the emulator the child talks to.
    const { stdout } = await promisify(execFile)(process.execPath, ["-e", script], {
      env: { ...process.env, NODE_OPTIONS: "", NODE_EXTRA_CA_CERTS: testTls().caFile },
      encoding: "utf8",
      timeout: 60_000,
    });
    return JSON.parse(stdout) as unknown;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

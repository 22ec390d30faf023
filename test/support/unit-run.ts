import childProcess from "node:child_process";
import dgram from "node:dgram";
import http from "node:http";
import https from "node:https";
import { enableCompileCache, syncBuiltinESMExports } from "node:module";
import net from "node:net";
import path from "node:path";
import tls from "node:tls";
import { promisify } from "node:util";

// Preloaded by `npm run test:unit` (`--import`), in the runner and in every test file's process.
// A unit test runs the code under test in its own process and serves nothing: no emulator, no
// server of any kind, not even on loopback. Pulumi's mock runtime is the one exception: the SDK
// starts its own callback server (runtime/callbacks.js, gRPC over HTTP/2) under `setMocks` too.
// It starts only quick helpers: openssl for the test CA, git, a shell, a stand-in script, plain
// `node` on a script. It never starts the CLI, a TypeScript program, a packaged Node, npm, nor the
// programs a system test exists for (dnsmasq, Wine, systemd-analyze, promtool). A test that needs a
// server or one of those programs is a system test, in a file named test/**/*.system.test.ts, which
// `npm run test:system` runs.

export const SYSTEM_TEST_FILES = "test/**/*.system.test.ts";
export const UNIT_TEST_FILES = "test/**/!(*.system).test.ts";

const SYSTEM_PROGRAMS = new Set(["npm", "npx", "dnsmasq", "wine", "wine64", "systemd-analyze", "promtool", "unzip", "retain-m365", "retain-m365.cmd"]);
/** A Node argument that runs the CLI or a TypeScript program. */
const HEAVY_NODE_ARGUMENT = /(^|[/\\=])(retain-m365(\.js)?|tsx|[^/\\\s]+\.ts)$/;

/** Why a unit test may not start `program` with `args` (`shell`: `program` is a command line), or undefined if it may. */
export function unitRunRefusal(program: string, args: readonly string[] = [], shell = false): string | undefined {
  const words = shell ? program.trim().split(/\s+/) : [program, ...args];
  const [file = "", ...rest] = words;
  const name = path.basename(file);
  const node = file === process.execPath || name === "node" || name === "node.exe";
  const refused = SYSTEM_PROGRAMS.has(name) || (node && (file !== process.execPath || rest.some((arg) => HEAVY_NODE_ARGUMENT.test(arg))));
  if (!refused) return undefined;
  return `a unit test started ${words.slice(0, 4).join(" ")}: a test that needs the CLI as a process, a TypeScript program, a packaged Node, npm, dnsmasq, Wine, systemd-analyze or promtool is a system test, in a file named ${SYSTEM_TEST_FILES}`;
}

type Start = (...args: unknown[]) => unknown;
const NAMES = ["spawn", "spawnSync", "execFile", "execFileSync", "exec", "execSync", "fork"] as const;

/** Wraps a starter so that it refuses what a unit test may not start; its promisified form (execFile's, exec's) too. */
function guarded(name: (typeof NAMES)[number], start: Start): Start {
  return (...args) => {
    const [first, second] = args;
    const argv = Array.isArray(second) ? second.map(String) : [];
    const options = args.find((arg): arg is { shell?: unknown } => typeof arg === "object" && arg !== null && !Array.isArray(arg));
    const refusal =
      name === "fork"
        ? unitRunRefusal(process.execPath, [String(first), ...argv])
        : unitRunRefusal(String(first), argv, name === "exec" || name === "execSync" || !!options?.shell);
    if (refusal) throw new Error(refusal);
    return start(...args);
  };
}

for (const name of NAMES) {
  const original = childProcess[name] as unknown as Start & { [promisify.custom]?: Start };
  const replacement = guarded(name, original) as Start & { [promisify.custom]?: Start };
  const custom = original[promisify.custom];
  if (custom) replacement[promisify.custom] = guarded(name, custom);
  Object.defineProperty(childProcess, name, { value: replacement, writable: true, configurable: true, enumerable: true });
}
/** Why a unit test may not start a server with `starter` (such as "https.createServer"). */
export function unitRunServerRefusal(starter: string): string {
  return `a unit test started a server (${starter}): a test that talks to an emulator or any other server, even on loopback, is a system test, in a file named ${SYSTEM_TEST_FILES}`;
}

const SERVER_STARTERS = [
  ["http", http, "createServer"],
  ["https", https, "createServer"],
  ["net", net, "createServer"],
  ["tls", tls, "createServer"],
  ["dgram", dgram, "createSocket"],
] as const;

for (const [moduleName, module, name] of SERVER_STARTERS) {
  Object.defineProperty(module, name, {
    value: () => {
      throw new Error(unitRunServerRefusal(`${moduleName}.${name}`));
    },
    writable: true,
    configurable: true,
    enumerable: true,
  });
}
syncBuiltinESMExports();

// Each test file is a process that loads much of the same code (the Pulumi SDKs above all): Node
// keeps what it compiled, as bin/retain-m365.js does for the CLI.
enableCompileCache(path.join(__dirname, "..", "..", "node_modules", ".cache", "retain-m365-tests"));

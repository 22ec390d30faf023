import { Server as GrpcServer } from "@grpc/grpc-js";
import childProcess from "node:child_process";
import dgram from "node:dgram";
import { enableCompileCache, syncBuiltinESMExports } from "node:module";
import net from "node:net";
import path from "node:path";
import { promisify } from "node:util";

// Preloaded by `npm run test:unit` (`--import`), in the runner and in every test file's process.
// A unit test runs the code under test in its own process and serves nothing: no emulator, no
// server of any kind, not even on loopback. Pulumi's mock runtime is the one exception: the SDK
// starts its own callback server (runtime/callbacks.js, gRPC over HTTP/2) under `setMocks` too,
// for resource hooks and transforms. A unit test may still aim a client at a port where nothing
// listens (the discard port, 9, on loopback) to see the connection refused.
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
/** Why a unit test may not start a server with `starter` (such as "Server.listen"). */
export function unitRunServerRefusal(starter: string): string {
  return `a unit test started a server (${starter}): a test that talks to an emulator or any other server, even on loopback, is a system test, in a file named ${SYSTEM_TEST_FILES}`;
}

/** Whether a frame of the calling code's stack is in a file matching `file` (the file run, not one a source map names). */
function calledFrom(file: RegExp): boolean {
  const prepare = Error.prepareStackTrace;
  Error.prepareStackTrace = (_error, sites) => sites;
  try {
    const holder: { stack?: NodeJS.CallSite[] } = {};
    Error.captureStackTrace(holder);
    return (holder.stack ?? []).some((site) => file.test(site.getFileName() ?? ""));
  } finally {
    Error.prepareStackTrace = prepare;
  }
}
const GRPC_JS = /[\\/]node_modules[\\/]@grpc[\\/]grpc-js[\\/]/;
const PULUMI_CALLBACK_SERVER = /[\\/]node_modules[\\/]@pulumi[\\/]pulumi[\\/]runtime[\\/]callbacks\.js$/;

// Every TCP server listens through net.Server's `listen` (HTTP, HTTPS, TLS and HTTP/2 alike), and a
// UDP one binds a dgram socket. A gRPC server listens from inside grpc-js, once its `bindAsync` is
// called, and only the Pulumi SDK's callback server may call that.
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (this: net.Server, ...args: unknown[]) {
  if (!calledFrom(GRPC_JS)) throw new Error(unitRunServerRefusal(`${this.constructor.name}.listen`));
  return (listen as (...a: unknown[]) => net.Server).apply(this, args);
} as typeof listen;
const bindAsync = GrpcServer.prototype.bindAsync;
GrpcServer.prototype.bindAsync = function (this: GrpcServer, ...args: Parameters<typeof bindAsync>) {
  if (!calledFrom(PULUMI_CALLBACK_SERVER)) throw new Error(unitRunServerRefusal("grpc.Server.bindAsync"));
  return bindAsync.apply(this, args);
};
dgram.Socket.prototype.bind = function () {
  throw new Error(unitRunServerRefusal("dgram.Socket.bind"));
};
syncBuiltinESMExports();

// Each test file is a process that loads much of the same code (the Pulumi SDKs above all): Node
// keeps what it compiled, as bin/retain-m365.js does for the CLI.
enableCompileCache(path.join(__dirname, "..", "..", "node_modules", ".cache", "retain-m365-tests"));

import assert from "node:assert/strict";
import { Server as GrpcServer, ServerCredentials } from "@grpc/grpc-js";
import * as pulumi from "@pulumi/pulumi";
import { spawnSync } from "node:child_process";
import dgram from "node:dgram";
import { readFileSync } from "node:fs";
import http2 from "node:http2";
import https, { createServer as createHttpsServer } from "node:https";
import net from "node:net";
import path from "node:path";
import { describe, it } from "node:test";
import { startGraphEmulator } from "../emulators/graph";
import { startMockRuntime } from "../program/mock-runtime";
import { REPO_ROOT } from "./support/cli";
import { SYSTEM_TEST_FILES, UNIT_TEST_FILES, unitRunRefusal, unitRunServerRefusal } from "./support/unit-run";

// `npm test` runs the unit tests, then the system tests (README, "Set up, test, see it work"):
// a file is one or the other by its name, and the unit run refuses what only a system test may start.

const { scripts } = JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };

describe("the test suite's split: unit tests, then system tests", () => {
  it("npm test runs lint, typecheck, the unit tests and the system tests; each file is in exactly one of them", () => {
    assert.match(scripts.test ?? "", /^npm run lint && npm run typecheck && npm run test:unit && npm run test:system$/);
    assert.ok(scripts["test:unit"]?.includes(`--import ./test/support/unit-run.ts --test `), "the unit run preloads the guard");
    assert.ok(scripts["test:unit"]?.endsWith(`"${UNIT_TEST_FILES}"`), scripts["test:unit"]);
    assert.ok(scripts["test:system"]?.endsWith(`"${SYSTEM_TEST_FILES}"`), scripts["test:system"]);
    assert.ok(!scripts["test:system"]?.includes("unit-run"));
    for (const file of ["test/cli/plan.test.ts", "test/packaging/package.system.test.ts"]) {
      assert.notEqual(path.matchesGlob(file, UNIT_TEST_FILES), path.matchesGlob(file, SYSTEM_TEST_FILES), file);
    }
    assert.ok(path.matchesGlob("test/cli/plan.test.ts", UNIT_TEST_FILES));
  });

  it("a unit test may not start the CLI, a TypeScript program, a packaged Node, npm, dnsmasq, Wine, systemd-analyze or promtool", () => {
    const refused: [string, string[]][] = [
      [process.execPath, [path.join(REPO_ROOT, "bin", "retain-m365.js"), "plan"]],
      [process.execPath, ["--import", "tsx", "demo/run.ts"]],
      [process.execPath, ["--import=tsx", "--eval", "0"]],
      ["/tmp/retain-server/node/bin/node", ["--version"]],
      ["/tmp/retain-package/retain-m365", ["sync"]],
      ["npm", ["run", "package"]],
      ["dnsmasq", ["--no-daemon"]],
      ["wine", ["node.exe"]],
      ["systemd-analyze", ["verify"]],
      ["/usr/bin/promtool", ["check", "rules"]],
    ];
    for (const [program, args] of refused)
      assert.match(unitRunRefusal(program, args) ?? "", /is a system test, in a file named test\/\*\*\/\*\.system\.test\.ts$/, `${program} ${args.join(" ")}`);
    assert.ok(unitRunRefusal("node bin/retain-m365.js sync", [], true), "a shell command line too");
    const allowed: [string, string[]][] = [
      ["openssl", ["req", "-x509"]],
      ["git", ["ls-files"]],
      ["bash", ["-c", "echo"]],
      [process.execPath, ["-e", "require('./provider.js')"]],
      [process.execPath, [path.join(REPO_ROOT, "node_modules", "@tktco", "node-actionlint", "bin", "node-actionlint.js")]],
    ];
    for (const [program, args] of allowed) assert.equal(unitRunRefusal(program, args), undefined, `${program} ${args.join(" ")}`);
  });

  it("a unit test serves nothing: an emulator, an HTTP(S), HTTP/2, TCP, UDP or gRPC server is refused; Pulumi's callback server is not", async () => {
    const refusal = (starter: string) => (error: unknown) => (error as Error).message === unitRunServerRefusal(starter);
    assert.match(unitRunServerRefusal("Server.listen"), /is a system test, in a file named test\/\*\*\/\*\.system\.test\.ts$/);
    const emulator = await startGraphEmulator({ token: "t", routes: [] }).catch((error: unknown) => error as Error);
    if (!(emulator instanceof Error)) await emulator.close();
    assert.ok(emulator instanceof Error && refusal("Server.listen")(emulator), "the Graph emulator does not start");
    const servers = [createHttpsServer(), new https.Server(), net.createServer(), http2.createSecureServer()];
    for (const server of servers) {
      assert.throws(() => server.listen(0, "127.0.0.1"), refusal(`${server.constructor.name}.listen`));
      server.close();
    }
    const socket = dgram.createSocket("udp4");
    assert.throws(() => socket.bind(0, "127.0.0.1"), refusal("dgram.Socket.bind"));
    socket.close();
    const grpcServer = new GrpcServer();
    assert.throws(
      () => grpcServer.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), () => grpcServer.forceShutdown()),
      refusal("grpc.Server.bindAsync"),
    );

    // A resource transform makes the SDK start its callback server: the registration goes through.
    const runtime = await startMockRuntime({ project: "retain-m365", stack: "test", preview: true });
    try {
      new pulumi.ComponentResource("test:index:Transformed", "transformed", {}, { transforms: [() => undefined] });
      await runtime.settle();
      assert.deepEqual(
        runtime.resources.map((resource) => resource.name),
        ["transformed"],
      );
    } finally {
      await runtime.stop();
    }
  });

  it("the guard is in place once loaded: starting the CLI throws instead of running it, and a quick helper runs", () => {
    assert.throws(() => spawnSync(process.execPath, [path.join(REPO_ROOT, "bin", "retain-m365.js"), "--help"]), /is a system test/);
    assert.equal(spawnSync("git", ["--version"], { encoding: "utf8" }).status, 0);
  });
});

import { spawn } from "node:child_process";
import { promises as dns } from "node:dns";
import net, { type AddressInfo } from "node:net";

/** dnsmasq on loopback: `address` for `--resolver`, `close` stops it. */
export interface Dnsmasq {
  address: string;
  close(): void;
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });

/**
 * A real DNS server on loopback, authoritative for `--local` zones given in `options` (no
 * upstream): dnsmasq's own options (`--cname=`, `--srv-host=`, `--mx-host=`, `--txt-record=`,
 * `--host-record=`). Resolves once dnsmasq answers `ready.test`, asked every 20 ms. The port is
 * free when picked; a test file running alongside may take it before dnsmasq binds it, and then
 * another is picked.
 */
export async function startDnsmasq(options: readonly string[]): Promise<Dnsmasq> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOn(await freePort(), options);
    } catch (error) {
      if (attempt >= 5 || !/Address already in use/.test((error as Error).message)) throw error;
    }
  }
}

async function startOn(port: number, options: readonly string[]): Promise<Dnsmasq> {
  const child = spawn(
    "dnsmasq",
    [
      "--no-daemon",
      `--port=${port}`,
      "--listen-address=127.0.0.1",
      "--bind-interfaces",
      "--no-resolv",
      "--no-hosts",
      "--conf-file=/dev/null",
      "--pid-file=",
      "--local=/test/",
      "--host-record=ready.test,192.0.2.1",
      ...options,
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const resolver = new dns.Resolver({ timeout: 200, tries: 1 });
  resolver.setServers([`127.0.0.1:${port}`]);
  for (let attempt = 0; ; attempt++) {
    if (child.exitCode !== null) throw new Error(`dnsmasq exited ${String(child.exitCode)}: ${stderr}`);
    if ((await resolver.resolve4("ready.test").catch(() => [])).length > 0) break;
    if (attempt > 250) {
      child.kill();
      throw new Error(`dnsmasq did not answer within 5 s: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { address: `127.0.0.1:${port}`, close: () => void child.kill() };
}

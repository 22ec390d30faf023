import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import tls from "node:tls";
import type { IncomingMessage, ServerResponse, Server } from "node:http";
import type { Socket } from "node:net";

export interface TestTls {
  /** PEM of the throwaway CA: trust it in-process or through NODE_EXTRA_CA_CERTS in a child. */
  caPem: string;
  caFile: string;
  key: string;
  cert: string;
}

let cached: TestTls | undefined;

/** A throwaway CA and a server certificate for 127.0.0.1 / localhost, made with openssl. */
export function testTls(): TestTls {
  if (cached) return cached;
  const dir = mkdtempSync(path.join(tmpdir(), "retain-tls-"));
  // Children given caFile run while this process does; nothing needs the files after it exits.
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync("openssl", args, { stdio: "pipe" });
  openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", file("ca.key"), "-out", file("ca.pem"), "-days", "2", "-subj", "/CN=retain-m365 test CA");
  openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", file("server.key"), "-out", file("server.csr"), "-subj", "/CN=127.0.0.1");
  writeFileSync(file("san.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n");
  openssl(
    "x509",
    "-req",
    "-in",
    file("server.csr"),
    "-CA",
    file("ca.pem"),
    "-CAkey",
    file("ca.key"),
    "-CAcreateserial",
    "-out",
    file("server.pem"),
    "-days",
    "2",
    "-extfile",
    file("san.ext"),
  );
  cached = {
    caPem: readFileSync(file("ca.pem"), "utf8"),
    caFile: file("ca.pem"),
    key: readFileSync(file("server.key"), "utf8"),
    cert: readFileSync(file("server.pem"), "utf8"),
  };
  return cached;
}

/**
 * Makes this process (fetch included) trust the test CA, as NODE_EXTRA_CA_CERTS does for a child.
 * Returns the function that puts back the CAs trusted before.
 */
export function trustTestCa(): () => void {
  const previous = tls.getCACertificates("default");
  tls.setDefaultCACertificates([...previous, testTls().caPem]);
  return () => tls.setDefaultCACertificates(previous);
}

/**
 * How an emulator closes: the requests in flight are answered, then every connection ends, those
 * clients keep open included, as the end of a client's process would; a client in the test's own
 * process would otherwise hold close() until it hangs up.
 */
export function closer(server: Server): () => Promise<void> {
  const sockets = new Set<Socket>();
  let inFlight = 0;
  let closing = false;
  const endConnections = () => {
    if (closing && inFlight === 0) for (const socket of sockets) socket.destroy();
  };
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  server.on("request", (_request: IncomingMessage, response: ServerResponse) => {
    inFlight++;
    response.once("close", () => {
      inFlight--;
      endConnections();
    });
  });
  return () =>
    new Promise((resolve) => {
      closing = true;
      server.close(() => resolve());
      endConnections();
    });
}

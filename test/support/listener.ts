import net from "node:net";

/**
 * A TCP listener on loopback that counts the connections made to it, for tests that show a request
 * was never sent: `onData` receives each connection's first line (a proxy's CONNECT, say), which
 * is then refused with 403 so the client fails at once; without it a connection is dropped.
 */
export async function countingListener(onData?: (firstLine: string) => void): Promise<{ port: number; connections: () => number; close: () => Promise<void> }> {
  let connections = 0;
  const server = net.createServer((socket) => {
    connections++;
    socket.on("error", () => undefined);
    if (!onData) return void socket.destroy();
    socket.once("data", (chunk) => {
      onData(chunk.toString("latin1").split("\r\n")[0] ?? "");
      // A proxy's refusal fails the request at once; a dropped connection would be retried for half a minute.
      socket.end("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    connections: () => connections,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Whether nothing listens any more at a loopback port: a connection to it is refused. */
export const refusesConnections = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", () => resolve(true));
  });

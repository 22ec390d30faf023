import dgram from "node:dgram";
import type { AddressInfo } from "node:net";

/**
 * A real DNS server on loopback (UDP, RFC 1035 wire format), authoritative for the names it is
 * given and nothing else: a TXT query for a known name answers its records (each split into
 * 255-byte character-strings, as a zone file would hold a long one), any other type NOERROR with
 * no answer, an unknown name NXDOMAIN. Bound before it is returned, so a test needs no wait.
 */
export interface TxtServer {
  /** `127.0.0.1:<port>`, for node's Resolver.setServers or `--resolver`. */
  address: string;
  /** TXT records by lower-case name; tests may change them between queries. */
  records: Map<string, string[]>;
  /** Every name asked, in order. */
  queries: string[];
  close(): Promise<void>;
}

function readName(message: Buffer, offset: number): { name: string; end: number } {
  const labels: string[] = [];
  let i = offset;
  while (i < message.length && message[i] !== 0) {
    const length = message[i]!;
    labels.push(message.subarray(i + 1, i + 1 + length).toString("latin1"));
    i += 1 + length;
  }
  return { name: labels.join(".").toLowerCase(), end: i + 1 };
}

function txtData(text: string): Buffer {
  const chunks: Buffer[] = [];
  const bytes = Buffer.from(text, "latin1");
  for (let i = 0; i < bytes.length || i === 0; i += 255) {
    const part = bytes.subarray(i, i + 255);
    chunks.push(Buffer.from([part.length]), part);
  }
  return Buffer.concat(chunks);
}

export async function startTxtServer(records: Record<string, string[]> = {}): Promise<TxtServer> {
  const known = new Map(Object.entries(records).map(([name, values]) => [name.toLowerCase(), values]));
  const queries: string[] = [];
  const socket = dgram.createSocket("udp4");
  socket.on("message", (query, peer) => {
    if (query.length < 12) return;
    const { name, end } = readName(query, 12);
    const type = query.readUInt16BE(end);
    queries.push(name);
    const values = known.get(name);
    const answers = values && type === 16 ? values : [];
    const header = Buffer.alloc(12);
    query.copy(header, 0, 0, 2); // id
    // QR, opcode 0, AA, RD copied; RA; RCODE 3 (NXDOMAIN) for an unknown name.
    header.writeUInt16BE(0x8400 | (query.readUInt16BE(2) & 0x0100) | 0x0080 | (values ? 0 : 3), 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answers.length, 6);
    const question = query.subarray(12, end + 4);
    const records = answers.map((text) => {
      const data = txtData(text);
      const fixed = Buffer.alloc(12);
      fixed.writeUInt16BE(0xc00c, 0); // the question's name
      fixed.writeUInt16BE(16, 2); // TXT
      fixed.writeUInt16BE(1, 4); // IN
      fixed.writeUInt32BE(300, 6);
      fixed.writeUInt16BE(data.length, 10);
      return Buffer.concat([fixed, data]);
    });
    socket.send(Buffer.concat([header, question, ...records]), peer.port, peer.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  const { port } = socket.address() as AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    records: known,
    queries,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

import type * as Dns from "node:dns";
import { ExitCode, UserFacingError } from "../../core/errors";
import type { ExistingRecord } from "./existing";
import type { DnsRecordLookup } from "./providers/provider";

/** What node's resolver answers for a name that has no record of the type asked (NXDOMAIN, or none of that type). */
const NONE = new Set(["ENODATA", "ENOTFOUND"]);

/**
 * Reads records through DNS, with node's resolver: the system's, or `server` (`ip[:port]`, as
 * `adopt --resolver` takes it). A name without records of the type is none; a resolver that
 * fails (times out, refuses, SERVFAIL) is exit 4 naming the record: "not there" is never guessed.
 * Note that a resolver follows a CNAME: ask for the CNAME first, and for other types only where
 * there is none.
 */
export function dnsRecordLookup(server?: string): DnsRecordLookup {
  // Loaded on use: the package's start-up loads node:dns only where it is needed.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const dns = require("node:dns") as typeof Dns;
  const resolver = new dns.promises.Resolver({ timeout: 3000, tries: 2 });
  if (server) resolver.setServers([server]);
  const record = (type: string, name: string, content: string, extra: Partial<ExistingRecord> = {}): ExistingRecord => ({
    id: "",
    type,
    name,
    content,
    ...extra,
  });
  return async (name, type) => {
    try {
      switch (type) {
        case "CNAME":
          return (await resolver.resolveCname(name)).map((target) => record(type, name, target));
        case "A":
          return (await resolver.resolve4(name)).map((address) => record(type, name, address));
        case "MX":
          return (await resolver.resolveMx(name)).map((mx) => record(type, name, mx.exchange, { priority: mx.priority }));
        case "SRV":
          return (await resolver.resolveSrv(name)).map((srv) =>
            record(type, name, `${srv.weight} ${srv.port} ${srv.name}`, {
              priority: srv.priority,
              data: { priority: srv.priority, weight: srv.weight, port: srv.port, target: srv.name },
            }),
          );
        case "TXT":
          return (await resolver.resolveTxt(name)).map((strings) => record(type, name, strings.join("")));
      }
    } catch (error) {
      const code = (error as { code?: string }).code ?? "error";
      if (NONE.has(code)) return [];
      throw new UserFacingError(
        `reading ${type} ${name} through DNS failed (${code}${server ? `, resolver ${server}` : ""}); check the resolver, or try again`,
        ExitCode.remoteService,
      );
    }
  };
}

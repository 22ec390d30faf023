import { Option, type Command } from "commander";
import { validatedOrThrow } from "../config/validate";
import { ExitCode, UserFacingError } from "../core/errors";
import { CLOUDFLARE_READ_PERMISSION } from "../cloudflare/dns-api";
import { CLOUDFLARE_API_BASE, CLOUDS } from "../m365/clouds";
import { authorityFor, deployingIdentity } from "../m365/credentials";
import { createGraphClient } from "../m365/graph-client";
import type * as AdoptModule from "../program/adopt/adopt";
import type * as DiscoveryModule from "../program/adopt/discovery-steps";
import type { AdoptReport } from "../program/adopt/report";
import type { Io } from "./io";
import { endpointUrl, resolverAddress, stackName } from "./arguments";
import type * as SpfLookupsModule from "../components/dns/spf-lookups";
import type * as DnsLookupModule from "../components/dns/lookup";
import { loadPlanInput } from "./plan";

/** Where the Cloudflare token comes from, as the deploy's provider reads it: never a flag, never printed. */
export const CLOUDFLARE_TOKEN_VARIABLE = "CLOUDFLARE_API_TOKEN";

interface AdoptOptions {
  stack?: string;
  configFile?: string;
  stacksDir: string;
  json?: boolean;
  cloudflareEndpoint: string;
  exchangeEndpoint: string;
  complianceEndpoint: string;
  graphEndpoint: string;
  authorityHost?: string;
  resolver?: string;
}

export function registerAdoptCommand(program: Command, io: Io): void {
  program
    .command("adopt")
    .description(
      "Before the first deploy into a tenant that already runs Microsoft 365: read (never write) the zones, the directory, " +
        "Exchange and, with preservation, Purview's retention policies and holds, and say for each resource of the plan whether the deploy creates it, adopts what exists, merges into a shared " +
        "record, or meets a conflict that a configuration key must settle. Exit 5 with any conflict. Signs in as the deploying " +
        `identity (AZURE_CLIENT_ID with AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH) and, for a cloudflare domain, with the Cloudflare token in ${CLOUDFLARE_TOKEN_VARIABLE}; ` +
        "a manual domain's records are read through DNS (--resolver), and what to create or change there by hand is said.",
    )
    .addOption(new Option("--stack <name>", "tenant stack: reads <stacks-dir>/Pulumi.<name>.yaml").argParser(stackName).conflicts("configFile"))
    .addOption(new Option("--config-file <path>", "a stack file instead of a named stack"))
    .option("--stacks-dir <dir>", "folder of the stack files", "stacks")
    .option("--json", "print one JSON object: {stack, findings, notices, summary}")
    .option("--cloudflare-endpoint <url>", "base of Cloudflare's v4 API", endpointUrl("--cloudflare-endpoint"), CLOUDFLARE_API_BASE)
    .option("--exchange-endpoint <url>", "Exchange Online's base URL", endpointUrl("--exchange-endpoint"), CLOUDS.global.exchange)
    .option(
      "--compliance-endpoint <url>",
      "Security & Compliance's base URL (Purview's retention policies and holds, read where the stack has preservation)",
      endpointUrl("--compliance-endpoint"),
      CLOUDS.global.compliance,
    )
    .option("--graph-endpoint <url>", "Graph base URL without /v1.0", endpointUrl("--graph-endpoint"), CLOUDS.global.graph)
    .option("--authority-host <url>", "Entra login host (also read from AZURE_AUTHORITY_HOST); turns instance discovery off", endpointUrl("--authority-host"))
    .option(
      "--resolver <ip[:port]>",
      "DNS server that reads a manual domain's records and follows the SPF record's includes, to count its lookups (default: the system's resolver)",
      resolverAddress,
    )
    .action(async (options: AdoptOptions) => {
      if (!options.stack && !options.configFile) throw new UserFacingError("adopt needs --stack <name> or --config-file <path>", ExitCode.invalidInput);
      const { stack, config: raw } = loadPlanInput(options);
      const { tenantId, domains } = validatedOrThrow(raw, `stack ${stack}`).config;
      // Only a cloudflare domain's records are read through Cloudflare's API; a manual domain's through DNS.
      const cloudflare = domains.filter((domain) => domain.provider === "cloudflare").map((domain) => domain.name);
      const token = process.env[CLOUDFLARE_TOKEN_VARIABLE];
      if (!token && cloudflare.length > 0) {
        throw new UserFacingError(
          `adopt reads the zones of ${cloudflare.join(", ")} with a Cloudflare API token: set ${CLOUDFLARE_TOKEN_VARIABLE} (${CLOUDFLARE_READ_PERMISSION} is enough)`,
          ExitCode.invalidInput,
        );
      }
      // One sign-in for Graph and Exchange alike, at the login host the flag names.
      const credential = deployingIdentity(tenantId, authorityFor("global", options.authorityHost));
      // Loaded on use: the plan behind adopt needs the Pulumi SDKs, which the other subcommands do not.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { adoptStack } = require("../program/adopt/adopt") as typeof AdoptModule;
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { DISCOVERY_STEPS } = require("../program/adopt/discovery-steps") as typeof DiscoveryModule;
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { dnsTxtLookup } = require("../components/dns/spf-lookups") as typeof SpfLookupsModule;
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { dnsRecordLookup } = require("../components/dns/lookup") as typeof DnsLookupModule;
      const report = await adoptStack(
        stack,
        raw,
        {
          ...(token && cloudflare.length > 0 ? { cloudflare: { endpoint: options.cloudflareEndpoint, token } } : {}),
          graph: createGraphClient({ credential, endpoint: options.graphEndpoint }),
          exchange: { tenantId, exchangeEndpoint: options.exchangeEndpoint, identity: credential },
          compliance: { tenantId, complianceEndpoint: options.complianceEndpoint, identity: credential },
          dns: dnsTxtLookup(options.resolver),
          dnsRecords: dnsRecordLookup(options.resolver),
        },
        DISCOVERY_STEPS,
      );
      io.stdout(options.json ? `${JSON.stringify(report)}\n` : reportText(report));
      if (report.summary.conflict > 0) {
        throw new UserFacingError(
          `${report.summary.conflict} ${report.summary.conflict === 1 ? "conflict needs" : "conflicts need"} a decision before the first deploy: set the key${report.summary.conflict === 1 ? "" : "s"} named above`,
          ExitCode.safetyGuard,
        );
      }
    });
}

function reportText(report: AdoptReport): string {
  const lines = report.findings.map(
    (f) => `${f.action.padEnd(8)} ${f.urn.slice(f.urn.lastIndexOf("::") + 2)}: ${f.detail}${f.decide ? ` (decide with ${f.decide})` : ""}`,
  );
  const notices = report.notices.map((n) => `notice   ${n}`);
  const { create, adopt, merge, conflict } = report.summary;
  return [...lines, ...notices, `${create} to create, ${adopt} to adopt, ${merge} to merge, ${conflict} in conflict`].join("\n") + "\n";
}

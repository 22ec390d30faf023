import { Option, type Command } from "commander";
import { validatedOrThrow } from "../config/validate";
import { ExitCode, UserFacingError } from "../core/errors";
import { CLOUD_NAMES, CLOUDS, type Cloud } from "../m365/clouds";
import { authorityFor, deployingIdentity } from "../m365/credentials";
import { createGraphClient } from "../m365/graph-client";
import { GUID } from "../m365/ids";
import type * as ReadinessModule from "../program/readiness/readiness";
import { isReady, type ReadinessReport } from "../program/readiness/report";
import type { Io } from "./io";
import { endpointUrl, stackName } from "./arguments";
import { loadPlanInput } from "./plan";

interface ReadinessOptions {
  stack?: string;
  configFile?: string;
  stacksDir: string;
  appId?: string;
  json?: boolean;
  exchangeEndpoint: string;
  complianceEndpoint: string;
  graphEndpoint: string;
  authorityHost?: string;
}

function applicationId(value: string): string {
  if (!GUID.test(value)) throw new UserFacingError(`--app-id must be an application (client) id, a GUID (got ${JSON.stringify(value)})`, ExitCode.invalidInput);
  return value;
}

/** The cloud whose Exchange Online the endpoint is (its EWS end date); a stand-in endpoint counts as the worldwide cloud. */
function cloudOf(exchangeEndpoint: string): Cloud {
  const origin = new URL(exchangeEndpoint).origin;
  return CLOUD_NAMES.find((cloud) => new URL(CLOUDS[cloud].exchange).origin === origin) ?? "global";
}

export function registerReadinessCommand(program: Command, io: Io): void {
  program
    .command("readiness")
    .description(
      "Can Retain archive every mailbox it should, today, through EWS? Reads (never writes) the organization's EWS settings, Retain's app and its grants, " +
        "and every mailbox in scope (the scope group's members, else every user mailbox); with preservation, how many of them a retention policy keeps. " +
        "Exit 6 when the organization keeps Retain's app out or a mailbox " +
        "in scope is not ready. Signs in as the deploying identity (AZURE_CLIENT_ID with AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH).",
    )
    .addOption(new Option("--stack <name>", "tenant stack: reads <stacks-dir>/Pulumi.<name>.yaml").argParser(stackName).conflicts("configFile"))
    .addOption(new Option("--config-file <path>", "a stack file instead of a named stack"))
    .option("--stacks-dir <dir>", "folder of the stack files", "stacks")
    .option(
      "--app-id <guid>",
      "Retain's application id (the stack output applicationClientId); default: the app registered with the stack's display name",
      applicationId,
    )
    .option("--json", "print one JSON object: {stack, ews, mailboxes, problems, notices}")
    .option("--exchange-endpoint <url>", "Exchange Online's base URL", endpointUrl("--exchange-endpoint"), CLOUDS.global.exchange)
    .option(
      "--compliance-endpoint <url>",
      "Security & Compliance's base URL (Purview's retention policies and holds, read where the stack has preservation)",
      endpointUrl("--compliance-endpoint"),
      CLOUDS.global.compliance,
    )
    .option("--graph-endpoint <url>", "Graph base URL without /v1.0", endpointUrl("--graph-endpoint"), CLOUDS.global.graph)
    .option("--authority-host <url>", "Entra login host (also read from AZURE_AUTHORITY_HOST); turns instance discovery off", endpointUrl("--authority-host"))
    .action(async (options: ReadinessOptions) => {
      if (!options.stack && !options.configFile) throw new UserFacingError("readiness needs --stack <name> or --config-file <path>", ExitCode.invalidInput);
      const { stack, config: raw } = loadPlanInput(options);
      const { config } = validatedOrThrow(raw, `stack ${stack}`);
      // One sign-in for Graph and Exchange alike, at the login host the flag names.
      const credential = deployingIdentity(config.tenantId, authorityFor("global", options.authorityHost));
      // Loaded on use: readiness reuses the Exchange components, which load the Pulumi SDK.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { readinessOf } = require("../program/readiness/readiness") as typeof ReadinessModule;
      const report = await readinessOf(
        stack,
        config,
        {
          graph: createGraphClient({ credential, endpoint: options.graphEndpoint }),
          exchange: { tenantId: config.tenantId, exchangeEndpoint: options.exchangeEndpoint, identity: credential },
          compliance: { tenantId: config.tenantId, complianceEndpoint: options.complianceEndpoint, identity: credential },
        },
        { appId: options.appId, cloud: cloudOf(options.exchangeEndpoint) },
      );
      io.stdout(options.json ? `${JSON.stringify(report)}\n` : reportText(report));
      if (!isReady(report)) {
        const { organization } = report.ews;
        const what = [
          organization.problem ? "the organization keeps Retain's app out or lets it past its scope" : "",
          report.mailboxes.notReady > 0
            ? `${report.mailboxes.notReady} of ${report.mailboxes.inScope} mailboxes in scope ${report.mailboxes.notReady === 1 ? "is" : "are"} not ready`
            : "",
        ];
        throw new UserFacingError(
          `Retain cannot archive every mailbox it should through EWS today: ${what.filter(Boolean).join(", and ")} (see above)`,
          ExitCode.unhealthy,
        );
      }
    });
}

function reportText(report: ReadinessReport): string {
  const { organization } = report.ews;
  const ewsEnabled = organization.ewsEnabled === null ? "never set" : organization.ewsEnabled ? "True" : "False";
  const { inScope, ready, notReady } = report.mailboxes;
  return (
    [
      `EWS ends: ${report.ews.shutdown === null ? "not announced for this cloud" : `${report.ews.shutdown}, in ${report.ews.daysLeft} days`}`,
      `organization: EwsEnabled ${ewsEnabled}, allow list of ${organization.allowListSize} (Retain ${organization.retainListed ? "listed" : "not listed"})`,
      ...(organization.problem ? [`problem  ${organization.problem}`] : []),
      `mailboxes: ${inScope} in scope, ${ready} ready, ${notReady} not ready${report.mailboxes.preserved === null ? "" : `, ${report.mailboxes.preserved} kept by a retention policy`}`,
      ...report.problems.map((p) => `${p.reason.padEnd(17)} ${p.mailbox}: ${p.detail}`),
      ...report.notices.map((n) => `notice   ${n}`),
    ].join("\n") + "\n"
  );
}

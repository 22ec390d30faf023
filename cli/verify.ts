import { Option, type Command } from "commander";
import type * as StackFileModule from "../config/stack-file";
import { ExitCode, UserFacingError } from "../core/errors";
import { CLOUD_NAMES, type Cloud } from "../m365/clouds";
import { dnsDomain, endpointUrl, mailboxAddress, resolverAddress, stackName } from "./arguments";
import { checkAutodiscover, checkDomain, resolverFor, type CheckResult } from "./verify-checks";
import { checkManualRecord, isAutodiscoverRecord, manualRecordsOf } from "./verify-manual";
import type { ManualDnsRecord } from "../components/dns/providers/manual";
import { verifyAccess } from "./verify-access";
import type { Io } from "./io";
import { SECRET_ENVIRONMENT_VARIABLE } from "./sync-credential";
import { AUTODISCOVER_TARGET } from "../m365/autodiscover";

interface VerifyOptions {
  stack?: string;
  stacksDir: string;
  domain?: string[];
  resolver?: string;
  autodiscoverUrl: string;
  mailbox?: string;
  json?: boolean;
  access?: boolean;
  outside?: string;
  ewsEndpoint?: string;
  tenantId?: string;
  clientId?: string;
  certificate?: string;
  clientSecretFile?: string;
  authorityHost?: string;
  cloud: Cloud;
}

/** Options of one kind of check only (attribute names as commander keeps them): given for the other, they are refused. */
const DNS_ONLY = { domain: "--domain", resolver: "--resolver", autodiscoverUrl: "--autodiscover-url" };
const ACCESS_ONLY = {
  outside: "--outside",
  ewsEndpoint: "--ews-endpoint",
  tenantId: "--tenant-id",
  clientId: "--client-id",
  certificate: "--certificate",
  clientSecretFile: "--client-secret-file",
  authorityHost: "--authority-host",
  cloud: "--cloud",
};

export function registerVerifyCommand(program: Command, io: Io): void {
  program
    .command("verify")
    .description(
      `Check that each domain's autodiscover CNAME and SRV resolve as declared (DNS-only, to ${AUTODISCOVER_TARGET}) and that ` +
        "autodiscover answers with an EWS URL for a mailbox; with --stack, also every record of a manual domain (the stack output manualDnsRecords); " +
        "exit 0 only if all pass, 4 if any fails. " +
        "With --access, on the Retain server: signed in as Retain's app (--certificate, else the client secret in " +
        `${SECRET_ENVIRONMENT_VARIABLE}), an EWS request as Retain makes it must reach the inbox of --mailbox and be refused for --outside ` +
        "(a mailbox outside the management scope); prints the EWS URL to enter in Retain and the days left until EWS ends; " +
        "exit 0 only if all pass, 3 if access is refused or the scope does not hold. One line per check.",
    )
    .option("--access", "check Retain's EWS access as Retain's app instead of DNS and autodiscover")
    .addOption(
      new Option(
        "--stack <name>",
        "tenant stack: its domains, and its worker as the mailbox; with --access, its tenant id and the app's client id (`pulumi stack output`, or --client-id)",
      )
        .argParser(stackName)
        .conflicts("tenantId"),
    )
    .option("--stacks-dir <dir>", "folder of the stack files (with --stack)", "stacks")
    .option("--domain <domain...>", "domains to check (instead of --stack)", dnsDomain)
    .option("--resolver <ip[:port]>", "DNS server to ask (default: the system's resolver)", resolverAddress)
    .option("--autodiscover-url <url>", "autodiscover service to ask", endpointUrl("--autodiscover-url"), "https://autodiscover-s.outlook.com")
    .option(
      "--mailbox <address>",
      "mailbox for the autodiscover check (default: the stack's worker, else postmaster@<first domain>); with --access (required), one Retain must reach",
      mailboxAddress,
    )
    .option("--outside <address>", "--access: a mailbox outside the management scope, which EWS must refuse", outsideAddress)
    .option(
      "--ews-endpoint <url>",
      "--access: the Exchange base URL, EWS being <url>/EWS/Exchange.asmx (default: the cloud's, https://outlook.office365.com)",
      endpointUrl("--ews-endpoint"),
    )
    .option("--tenant-id <id>", "--access: the tenant's id (GUID), instead of --stack")
    .option("--client-id <id>", "--access: Retain's application (client) id (GUID)")
    .option(
      "--certificate <file|dir>",
      `--access: PEM file with the app's certificate and private key, or a folder of them, as sync takes it; else the secret in ${SECRET_ENVIRONMENT_VARIABLE}`,
    )
    .option("--client-secret-file <path>", `--access: file holding the client secret, instead of ${SECRET_ENVIRONMENT_VARIABLE}`)
    .option(
      "--authority-host <url>",
      "--access: Entra login host (overrides --cloud; also read from AZURE_AUTHORITY_HOST); a login host of Microsoft's clouds, or loopback",
      endpointUrl("--authority-host"),
    )
    .addOption(new Option("--cloud <name>", "--access: national cloud").choices(CLOUD_NAMES).default("global"))
    .option("--json", "print the results as JSON")
    .action(async (options: VerifyOptions, command: Command) => {
      refuseOptionsOfTheOtherKind(options.access === true, command);
      if (options.access) return verifyAccess(options, io);
      let domains = options.domain ?? [];
      let mailbox = options.mailbox;
      let manual: ManualDnsRecord[] = [];
      if (options.stack) {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { config } = (require("../config/stack-file") as typeof StackFileModule).loadValidatedStack(options.stacksDir, options.stack);
        domains = [...domains, ...config.domains.map((d) => d.name)];
        mailbox ??= config.workerUser.userPrincipalName;
        const listed = manualRecordsOf(options.stack, config.domains);
        if (listed.warning) io.stderr(`warning: ${listed.warning}\n`);
        manual = listed.records.filter((record) => !isAutodiscoverRecord(record));
      }
      if (domains.length === 0) throw new UserFacingError("verify needs --stack <name> or --domain <domain…>", ExitCode.invalidInput);
      const resolver = resolverFor(options.resolver);
      const results: CheckResult[] = [];
      for (const domain of domains) {
        results.push(...(await checkDomain(resolver, domain)));
        for (const record of manual.filter((r) => r.domain === domain)) results.push(await checkManualRecord(resolver, record));
      }
      results.push(await checkAutodiscover(options.autodiscoverUrl, mailbox ?? `postmaster@${domains[0]}`));
      io.stdout(
        options.json
          ? `${JSON.stringify({ ok: results.every((r) => r.ok), checks: results })}\n`
          : results.map((r) => `${r.ok ? "✓" : "✗"} ${r.check} ${r.detail}\n`).join(""),
      );
      if (!results.every((r) => r.ok))
        throw new UserFacingError(`${results.filter((r) => !r.ok).length} of ${results.length} checks failed`, ExitCode.remoteService);
    });
}

/** `--outside`: an address, as `--mailbox` takes it, the refusal naming its own flag. */
function outsideAddress(value: string): string {
  try {
    return mailboxAddress(value);
  } catch {
    throw new UserFacingError(`--outside must be a mail address such as someone@contoso.com (got ${JSON.stringify(value)})`, ExitCode.invalidInput);
  }
}

/** `--access` and the DNS checks take different options: one given for the other kind is a mistake, not something to ignore. */
function refuseOptionsOfTheOtherKind(access: boolean, command: Command): void {
  const given = (names: Record<string, string>) =>
    Object.entries(names)
      .filter(([key]) => command.getOptionValueSource(key) === "cli")
      .map(([, flag]) => flag);
  const wrong = access ? given(DNS_ONLY) : given(ACCESS_ONLY);
  if (wrong.length === 0) return;
  throw new UserFacingError(
    access
      ? `verify --access checks EWS access, not DNS: leave out ${wrong.join(", ")}`
      : `${wrong.join(", ")} ${wrong.length === 1 ? "belongs" : "belong"} to verify --access, the check of Retain's EWS access: add --access, or leave ${wrong.length === 1 ? "it" : "them"} out`,
    ExitCode.invalidInput,
  );
}

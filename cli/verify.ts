import type { Command } from "commander";
import type * as StackFileModule from "../config/stack-file";
import { ExitCode, UserFacingError } from "../core/errors";
import { dnsDomain, httpUrl, mailboxAddress, resolverAddress, stackName } from "./arguments";
import { checkAutodiscover, checkDomain, resolverFor, type CheckResult } from "./verify-checks";
import type { Io } from "./io";
import { AUTODISCOVER_TARGET } from "../m365/autodiscover";

interface VerifyOptions {
  stack?: string;
  stacksDir: string;
  domain?: string[];
  resolver?: string;
  autodiscoverUrl: string;
  mailbox?: string;
  json?: boolean;
}

export function registerVerifyCommand(program: Command, io: Io): void {
  program
    .command("verify")
    .description(
      `Check that each domain's autodiscover CNAME and SRV resolve as declared (DNS-only, to ${AUTODISCOVER_TARGET}) and that ` +
        "autodiscover answers with an EWS URL for a mailbox. One line per check; exit 0 only if all pass, 4 if any fails.",
    )
    .option("--stack <name>", "tenant stack: its domains, and its worker as the mailbox", stackName)
    .option("--stacks-dir <dir>", "folder of the stack files (with --stack)", "stacks")
    .option("--domain <domain...>", "domains to check (instead of --stack)", dnsDomain)
    .option("--resolver <ip[:port]>", "DNS server to ask (default: the system's resolver)", resolverAddress)
    .option("--autodiscover-url <url>", "autodiscover service to ask", httpUrl("--autodiscover-url"), "https://autodiscover-s.outlook.com")
    .option("--mailbox <address>", "mailbox for the autodiscover check (default: the stack's worker, else postmaster@<first domain>)", mailboxAddress)
    .option("--json", "print the results as JSON")
    .action(async (options: VerifyOptions) => {
      let domains = options.domain ?? [];
      let mailbox = options.mailbox;
      if (options.stack) {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { config } = (require("../config/stack-file") as typeof StackFileModule).loadValidatedStack(options.stacksDir, options.stack);
        domains = [...domains, ...config.domains.map((d) => d.name)];
        mailbox ??= config.workerUser.userPrincipalName;
      }
      if (domains.length === 0) throw new UserFacingError("verify needs --stack <name> or --domain <domain…>", ExitCode.invalidInput);
      const resolver = resolverFor(options.resolver);
      const results: CheckResult[] = [];
      for (const domain of domains) results.push(...(await checkDomain(resolver, domain)));
      results.push(await checkAutodiscover(options.autodiscoverUrl, mailbox ?? `postmaster@${domains[0]}`));
      io.stdout(options.json ? `${JSON.stringify({ ok: results.every((r) => r.ok), checks: results })}\n` : results.map((r) => `${r.ok ? "✓" : "✗"} ${r.check} ${r.detail}\n`).join(""));
      if (!results.every((r) => r.ok)) throw new UserFacingError(`${results.filter((r) => !r.ok).length} of ${results.length} checks failed`, ExitCode.remoteService);
    });
}

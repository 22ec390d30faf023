import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { AzureAuthorityHosts, ClientCertificateCredential, ClientSecretCredential, type TokenCredential } from "@azure/identity";
import { Option, type Command } from "commander";
import { GUID } from "../lib/config/schema";
import { loadStack } from "../lib/config/stack-file";
import { validateConfig } from "../lib/config/validate";
import { ConfigError, ExitCode, UserFacingError } from "../lib/errors";
import { createGraphClient, DEFAULT_RETRY, GRAPH_ENDPOINTS } from "../lib/graph/client";
import { runSync, type SyncSummary } from "../sync/run";
import type { ReadProgress } from "../sync/directory-reader";
import type { Io } from "./main";

/** The one place the client secret is read from: never a flag, so it never shows in argv. */
export const SECRET_ENVIRONMENT_VARIABLE = "RETAIN_SYNC_CLIENT_SECRET";

const AUTHORITY_HOSTS: Record<keyof typeof GRAPH_ENDPOINTS, string> = {
  global: AzureAuthorityHosts.AzurePublicCloud,
  usgov: AzureAuthorityHosts.AzureGovernment,
  usgovdod: AzureAuthorityHosts.AzureGovernment,
  china: AzureAuthorityHosts.AzureChina,
};

interface SyncCliOptions {
  stack?: string;
  stacksDir: string;
  tenantId?: string;
  clientId?: string;
  out: string;
  certificate?: string;
  cloud: keyof typeof GRAPH_ENDPOINTS;
  graphEndpoint?: string;
  authorityHost?: string;
  backups: number;
  maxShrinkPercent: number;
  force?: boolean;
  transitive?: boolean;
  full?: boolean;
  concurrency: number;
  timeout: number;
  json?: boolean;
}

const wholeNumber = (name: string, min: number, max: number) => (value: string) => {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) throw new UserFacingError(`${name} must be a whole number from ${min} to ${max} (got "${value}")`, ExitCode.invalidInput);
  return n;
};

export function registerSyncCommand(program: Command, io: Io): void {
  program
    .command("sync")
    .description(
      "Download the tenant's mail-enabled users and groups from Microsoft Graph into exchangeuser.csv and " +
        "exchangegroups.csv for Retain, replacing the previous files only when the new ones are complete and sane. " +
        `Signs in as Retain's app with --certificate, or with the client secret in ${SECRET_ENVIRONMENT_VARIABLE}.`,
    )
    .requiredOption("--out <dir>", "folder of the CSVs (Retain's WEB-INF/cfg)")
    .addOption(
      new Option(
        "--stack <name>",
        "tenant stack: tenant id, --backups and --max-shrink-percent from <stacks-dir>/Pulumi.<name>.yaml, the app's client id from `pulumi stack output` (or --client-id)",
      ).conflicts("tenantId"),
    )
    .option("--stacks-dir <dir>", "folder of the stack files (with --stack)", "stacks")
    .option("--tenant-id <id>", "the tenant's id (GUID)")
    .option("--client-id <id>", "Retain's application (client) id (GUID)")
    .option("--certificate <pem>", `PEM file with the app's certificate and private key (else the secret in ${SECRET_ENVIRONMENT_VARIABLE})`)
    .addOption(new Option("--cloud <name>", "national cloud").choices(Object.keys(GRAPH_ENDPOINTS)).default("global"))
    .option("--graph-endpoint <url>", "Graph base URL without /v1.0 (overrides --cloud)")
    .option("--authority-host <url>", "Entra login host (overrides --cloud; also read from AZURE_AUTHORITY_HOST)")
    .option("--backups <n>", "previous CSV generations kept in <out>/backup", wholeNumber("--backups", 0, 365), 7)
    .option("--max-shrink-percent <p>", "refuse to replace when the user count drops more than this", wholeNumber("--max-shrink-percent", 0, 100), 20)
    .option("--force", "replace even when the result is empty or shrank more than allowed")
    .option("--transitive", "list members of nested groups too (always reads everything)")
    .option("--full", "read everything, ignoring the delta state kept since the last run")
    .option("--concurrency <n>", "Graph $batch requests in flight at once", wholeNumber("--concurrency", 1, 16), 4)
    .option("--timeout <seconds>", "timeout of one Graph request", wholeNumber("--timeout", 1, 600), 100)
    .option("--json", "print the summary as JSON on stdout")
    .action(async (options: SyncCliOptions, command: Command) => {
      if (options.stack) applyStack(options, command);
      const { tenantId, clientId } = requireIds(options);
      const outDir = path.resolve(options.out);
      const client = createGraphClient({
        credential: credentialFor(tenantId, clientId, options),
        endpoint: options.graphEndpoint ?? GRAPH_ENDPOINTS[options.cloud],
        timeoutMs: options.timeout * 1000,
      });
      const progress = io.progress ? (p: ReadProgress) => io.progress?.(progressLine(p)) : undefined;
      const summary = await runSync(client, {
        outDir,
        backups: options.backups,
        maxShrinkPercent: options.maxShrinkPercent,
        force: options.force ?? false,
        transitive: options.transitive ?? false,
        full: options.full ?? false,
        concurrency: options.concurrency,
        retry: DEFAULT_RETRY,
        onProgress: progress,
      }).finally(() => io.progress?.(""));
      if (summary.warning) io.stderr(`warning: ${summary.warning}\n`);
      io.stdout(options.json ? `${JSON.stringify(summary)}\n` : `${summaryLine(summary)}\n`);
    });
}

/** Fills what the stack knows into the options the user did not give. */
function applyStack(options: SyncCliOptions, command: Command): void {
  const stack = loadStack(options.stacksDir, options.stack as string);
  const validation = validateConfig(stack.config);
  if (!validation.ok) throw new ConfigError(validation.errors, `stack ${stack.stack}`);
  const { config } = validation;
  options.tenantId = config.tenantId;
  options.clientId ??= stackOutput(stack.stack, "applicationClientId");
  if (command.getOptionValueSource("backups") === "default") options.backups = config.directorySync.backups;
  if (command.getOptionValueSource("maxShrinkPercent") === "default") options.maxShrinkPercent = config.directorySync.maxShrinkPercent;
}

/** A stack output, read with the Pulumi CLI (logged in to the stack's backend). */
function stackOutput(stack: string, name: string): string {
  let text: string;
  try {
    text = execFileSync("pulumi", ["stack", "output", "--json", "--stack", stack], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 120_000 });
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    const why = e.code === "ENOENT" ? "the Pulumi CLI is not on PATH" : (e.stderr?.trim().split("\n")[0] ?? e.message);
    throw new UserFacingError(`--stack ${stack}: cannot read the output ${name} (${why}); pass --client-id instead`, ExitCode.invalidInput);
  }
  let outputs: Record<string, unknown>;
  try {
    outputs = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new UserFacingError(`--stack ${stack}: \`pulumi stack output --json\` did not answer JSON; pass --client-id instead`, ExitCode.invalidInput);
  }
  const value = outputs[name];
  if (typeof value !== "string" || !value) throw new UserFacingError(`--stack ${stack}: the stack has no output ${name} yet (deploy it first, or pass --client-id)`, ExitCode.invalidInput);
  return value;
}

function requireIds(options: SyncCliOptions): { tenantId: string; clientId: string } {
  const problems: string[] = [];
  if (!options.tenantId) problems.push("--tenant-id (or --stack) is required");
  else if (!GUID.test(options.tenantId)) problems.push(`--tenant-id must be a GUID (got "${options.tenantId}")`);
  if (!options.clientId) problems.push("--client-id is required");
  else if (!GUID.test(options.clientId)) problems.push(`--client-id must be a GUID (got "${options.clientId}")`);
  if (problems.length > 0) throw new UserFacingError(problems.join("; "), ExitCode.invalidInput);
  return { tenantId: options.tenantId as string, clientId: options.clientId as string };
}

function credentialFor(tenantId: string, clientId: string, options: SyncCliOptions): TokenCredential {
  const overridden = options.authorityHost ?? process.env.AZURE_AUTHORITY_HOST;
  // With an overridden login host, instance discovery (a call to the public cloud) is off.
  const credentialOptions = { authorityHost: overridden ?? AUTHORITY_HOSTS[options.cloud], disableInstanceDiscovery: overridden !== undefined };
  if (options.certificate) {
    if (!existsSync(options.certificate)) throw new UserFacingError(`--certificate: no file ${options.certificate}`, ExitCode.invalidInput);
    return new ClientCertificateCredential(tenantId, clientId, { certificatePath: options.certificate }, credentialOptions);
  }
  const secret = process.env[SECRET_ENVIRONMENT_VARIABLE];
  if (!secret) {
    throw new UserFacingError(`no credential: give --certificate <pem> or set the client secret in ${SECRET_ENVIRONMENT_VARIABLE}`, ExitCode.invalidInput);
  }
  return new ClientSecretCredential(tenantId, clientId, secret, credentialOptions);
}

function progressLine(p: ReadProgress): string {
  return `users ${p.users} · groups ${p.groups} · members read for ${p.groupsWithMembers}/${p.groups} groups (${p.memberships} memberships)`;
}

function summaryLine(s: SyncSummary): string {
  return (
    `synced ${s.users} users and ${s.groups} groups (${s.memberships} memberships) into ${s.outDir} in ${(s.durationMs / 1000).toFixed(1)} s (${s.mode === "delta" ? "changes only" : "full read"})` +
    (s.unchanged ? "; files unchanged" : "") +
    (s.backup ? `; previous files in ${s.backup}` : "")
  );
}

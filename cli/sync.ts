import path from "node:path";
import { setFlagsFromString } from "node:v8";
import { Option, type Command } from "commander";
import { DIRECTORY_SYNC_DEFAULTS } from "../config/defaults";
import { ExitCode, UserFacingError } from "../core/errors";
import { CLOUD_NAMES, CLOUDS, type Cloud } from "../m365/clouds";
import { createGraphClient } from "../m365/graph-client";
import { DEFAULT_RETRY } from "../core/retry";
import { runSync, type SyncSummary } from "../sync/pipeline";
import { recordedRun } from "../sync/run-record";
import { rootWarning } from "../sync/safe-files";
import { DEFAULT_READ, type ReadProgress } from "../sync/directory-reader";
import type { Io } from "./io";
import { chooseSyncCredential, expiryWarning, isoDate, SECRET_ENVIRONMENT_VARIABLE } from "./sync-credential";
import { checkWritableFolder, endpointUrl, stackName } from "./arguments";
import { resolveSyncTarget, type SyncTargetOptions } from "./sync-target";

export { SECRET_ENVIRONMENT_VARIABLE };

interface SyncCliOptions extends SyncTargetOptions {
  certificate?: string;
  clientSecretFile?: string;
  secretExpires?: Date;
  warnExpiryDays: number;
  cloud: Cloud;
  graphEndpoint?: string;
  authorityHost?: string;
  force?: boolean;
  transitive?: boolean;
  full?: boolean;
  concurrency: number;
  timeout: number;
  json?: boolean;
  metricsFile?: string;
}

export const wholeNumber = (name: string, min: number, max: number) => (value: string) => {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max)
    throw new UserFacingError(`${name} must be a whole number from ${min} to ${max} (got "${value}")`, ExitCode.invalidInput);
  return n;
};

/** A percentage as the stack file allows it: 0 to 100, fractions included. */
const percentage = (name: string) => (value: string) => {
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || n > 100) throw new UserFacingError(`${name} must be a number from 0 to 100 (got "${value}")`, ExitCode.invalidInput);
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
    .option("--out <dir>", "folder of the CSVs (Retain's WEB-INF/cfg); required without --stack, else the stack's directorySync.outputDir")
    .addOption(
      new Option(
        "--stack <name>",
        "tenant stack: tenant id, output folder, --backups and --max-shrink-percent from <stacks-dir>/Pulumi.<name>.yaml, the app's client id from `pulumi stack output` (or --client-id)",
      )
        .argParser(stackName)
        .conflicts("tenantId"),
    )
    .option("--stacks-dir <dir>", "folder of the stack files (with --stack)", "stacks")
    .option("--tenant-id <id>", "the tenant's id (GUID)")
    .option("--client-id <id>", "Retain's application (client) id (GUID)")
    .option(
      "--certificate <file|dir>",
      `PEM file with the app's certificate and private key, or a folder of them (every *.pem, newest first, the next when Entra ID refuses one); else the secret in ${SECRET_ENVIRONMENT_VARIABLE}`,
    )
    .option("--client-secret-file <path>", `file holding the client secret (e.g. a systemd credential), instead of ${SECRET_ENVIRONMENT_VARIABLE}`)
    .option("--secret-expires <date>", "when the client secret expires (ISO date), for the expiry warning and the summary", isoDate)
    .option("--warn-expiry-days <n>", "warn when the credential expires within this many days", wholeNumber("--warn-expiry-days", 0, 3650), 30)
    .addOption(new Option("--cloud <name>", "national cloud").choices(CLOUD_NAMES).default("global"))
    .option(
      "--graph-endpoint <url>",
      "Graph base URL without /v1.0 (overrides --cloud); a Graph host of Microsoft's clouds, or loopback",
      endpointUrl("--graph-endpoint"),
    )
    .option(
      "--authority-host <url>",
      "Entra login host (overrides --cloud; also read from AZURE_AUTHORITY_HOST; the nightly job names its host); a login host of Microsoft's clouds, or loopback",
      endpointUrl("--authority-host"),
    )
    .option(
      "--backups <n>",
      `previous CSV generations kept in <out>/backup (default: the stack's directorySync.backups, else ${DIRECTORY_SYNC_DEFAULTS.backups})`,
      wholeNumber("--backups", 0, 365),
    )
    .option(
      "--max-shrink-percent <p>",
      `refuse to replace when the user count drops more than this (default: the stack's directorySync.maxShrinkPercent, else ${DIRECTORY_SYNC_DEFAULTS.maxShrinkPercent})`,
      percentage("--max-shrink-percent"),
    )
    .option("--force", "replace even when the result is empty or shrank more than allowed")
    .option("--transitive", "list members of nested groups too (always reads everything)")
    .option("--full", "read everything, ignoring the delta state kept since the last run")
    .option("--concurrency <n>", "Graph $batch requests in flight at once", wholeNumber("--concurrency", 1, 16), DEFAULT_READ.concurrency)
    .option("--timeout <seconds>", "timeout of one Graph request", wholeNumber("--timeout", 1, 600), 100)
    .option("--json", "print the summary as JSON on stdout")
    .option(
      "--metrics-file <path>",
      "after every run, success or not, replace this file with the run's metrics in node_exporter's textfile format (e.g. <textfile dir>/retain-m365.prom)",
    )
    .action(async (options: SyncCliOptions) => {
      favourMemoryOverSpeed();
      const noCredential = !options.certificate && !options.clientSecretFile && !process.env[SECRET_ENVIRONMENT_VARIABLE];
      const { tenantId, clientId, ...target } = resolveSyncTarget(options, {
        outDir: true,
        otherProblems: noCredential
          ? [`a credential is required: --certificate <pem|dir>, --client-secret-file <file>, or the secret in ${SECRET_ENVIRONMENT_VARIABLE}`]
          : [],
      });
      const outDir = path.resolve(target.outDir as string);
      checkWritableFolder(outDir, target.outDirFromStack ? `the stack ${options.stack}'s directorySync.outputDir` : "--out");
      const chosen = chooseSyncCredential(tenantId, clientId, options, (line) => io.stderr(`warning: ${line}\n`));
      const client = createGraphClient({
        credential: chosen.credential,
        endpoint: options.graphEndpoint ?? CLOUDS[options.cloud].graph,
        timeoutMs: options.timeout * 1000,
      });
      const progress = io.progress ? (p: ReadProgress) => io.progress?.(progressLine(p)) : undefined;
      const warn = (message: string) => io.stderr(`warning: ${message}\n`);
      const asRoot = rootWarning();
      if (asRoot) warn(asRoot);
      // From here on every run records itself (backup/state/last-run.json, and --metrics-file).
      const summary = await recordedRun(outDir, { metricsFile: options.metricsFile, warn, credential: chosen.describe() }, () =>
        runSync(client, {
          outDir,
          backups: target.backups,
          maxShrinkPercent: target.maxShrinkPercent,
          force: options.force ?? false,
          transitive: options.transitive ?? false,
          full: options.full ?? false,
          concurrency: options.concurrency,
          retry: DEFAULT_RETRY,
          onProgress: progress,
        })
          .then((result) => ({ ...result, credential: chosen.describe() }))
          .finally(() => {
            io.progress?.("");
            // Also when the run failed: an expired credential is the likeliest reason.
            const expiring = expiryWarning(chosen.describe(), options.warnExpiryDays);
            if (expiring) io.stderr(`warning: ${expiring}\n`);
          }),
      );
      if (summary.warning) io.stderr(`warning: ${summary.warning}\n`);
      io.stdout(options.json ? `${JSON.stringify(summary)}\n` : `${summaryLine(summary)}\n`);
    });
}

/**
 * Left alone, V8 lets the heap grow to several times the live directory before collecting it
 * (docs/bench.md, History). The sync waits on Graph, not on the CPU, so a
 * heap kept close to its live size costs nothing noticeable. The flag is read at each collection,
 * so setting it this early takes effect for the whole run.
 */
function favourMemoryOverSpeed(): void {
  setFlagsFromString("--optimize-for-size");
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

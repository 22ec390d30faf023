import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Option, type Command } from "commander";
import { DEFAULT_OUTPUT_DIR, isWindowsFolder } from "../config/defaults";
import { ExitCode, UserFacingError } from "../core/errors";
import { INSTALLED_LAUNCHER } from "../core/server-package";
import { jobCommand, type Installation, type JobCommandOptions } from "../job/command";
import { JOB_ACCOUNT, LINUX_DEFAULTS, WINDOWS_DEFAULTS, type JobSettings, type JobTarget } from "../job/definition";
import { systemdJob } from "../job/systemd";
import { windowsJob } from "../job/task-scheduler";
import { REPOSITORY_INSTALLATION } from "./installation";
import { checkWritableFolder, stackName } from "./arguments";
import type { Io } from "./io";
import { resolveSyncTarget, type SyncTarget, type SyncTargetOptions } from "./sync-target";

// `retain-m365 schedule`: the command alone. What the job's files hold, and how each value is
// written into them, is job/'s.

interface ScheduleOptions extends SyncTargetOptions, JobSettings, JobCommandOptions {
  systemd?: boolean;
  secretExpires?: string;
  writeTo?: string;
}

export function registerScheduleCommand(program: Command, io: Io, installation: Installation = REPOSITORY_INSTALLATION): void {
  program
    .command("schedule")
    .description(
      "Print the nightly job that runs `retain-m365 sync`: a hardened systemd service and timer (--systemd) or a " +
        "Windows Task Scheduler task (--windows). The client secret stays in a file (--secret-file) the job reads; it never appears in the job.",
    )
    .addOption(new Option("--systemd", "systemd service + timer").conflicts("windows"))
    .addOption(new Option("--windows", "Task Scheduler XML"))
    .addOption(
      new Option(
        "--stack <name>",
        "tenant stack: tenant id, output folder and guards (directorySync) from the stack file, client id from `pulumi stack output` (or --client-id)",
      )
        .argParser(stackName)
        .conflicts("tenantId"),
    )
    .option("--stacks-dir <dir>", "folder of the stack files (with --stack)", "stacks")
    .option("--tenant-id <id>", "the tenant's id (GUID)")
    .option("--client-id <id>", "Retain's application (client) id (GUID)")
    .option("--out <dir>", "folder of the CSVs (default: the stack's directorySync.outputDir, else Retain's default folder on Linux or Windows)")
    .option("--at <HH:MM>", "time of day (local time of the server)", "02:30")
    .option("--random-delay <minutes>", "random delay added to the start, so tenants do not all start at once", wholeMinutes, 30)
    .option(
      "--user <name>",
      `the job's own account (default ${JOB_ACCOUNT}; on Windows a dedicated account or a gMSA, DOMAIN\\name$); never root, SYSTEM, LOCAL SERVICE or NETWORK SERVICE`,
    )
    .option("--secret-file <path>", `file holding the client secret (systemd default ${LINUX_DEFAULTS.secretFile})`)
    .option("--certificate <pem>", "use this certificate + key file, or a folder of them (every *.pem, as sync takes it), instead of a client secret")
    .option(
      "--secret-expires <ISO date>",
      "when the client secret expires, passed to the job's sync for its expiry warning (default with --stack: the stack output applicationSecretExpires)",
    )
    .addOption(
      new Option(
        "--launcher <path>",
        `the Retain-server package's launcher the job runs (default: run from the package, its own; a --windows job made elsewhere, ${INSTALLED_LAUNCHER.windows}; a --systemd job made from a checkout, this checkout, as --node/--cli say)`,
      ).conflicts(["node", "cli"]),
    )
    .option("--node <path>", "instead of the package: the Node.js (22 or later) that runs a repository checkout (default: this one on Linux)")
    .option("--cli <path>", "instead of the package: the checkout's bin/retain-m365.js (default: this checkout on Linux)")
    .option("--transitive", "list members of nested groups too")
    .option(
      "--metrics-file <path>",
      "the job passes --metrics-file <path> to sync (node_exporter's textfile format); systemd: the service may write its folder",
    )
    .option("--on-failure <unit>", "systemd: start this unit (OnFailure=) when the sync fails, e.g. a mail or chat notifier")
    .option("--write-to <dir>", "write the files into this folder (e.g. /etc/systemd/system) instead of printing them")
    .action((options: ScheduleOptions) => {
      if (!options.systemd && !options.windows) throw new UserFacingError("schedule needs --systemd or --windows", ExitCode.invalidInput);
      if (!/^([01]\d|2[0-3]):[0-5]\d$/.test(options.at)) throw new UserFacingError(`--at must be a time as HH:MM (got "${options.at}")`, ExitCode.invalidInput);
      checkMonitoringOptions(options);
      const target = jobTarget(options, resolveSyncTarget(options));
      const command = jobCommand(options, installation);
      const job = options.systemd ? systemdJob(options, target, command) : windowsJob(options, target, command);
      for (const warning of job.warnings ?? []) io.stderr(`warning: ${warning}\n`);
      if (options.writeTo) {
        checkWritableFolder(options.writeTo, "--write-to");
        mkdirSync(options.writeTo, { recursive: true });
        for (const [name, content] of Object.entries(job.files)) writeFileSync(path.join(options.writeTo, name), content, { mode: 0o644 });
        io.stdout(
          `wrote ${Object.keys(job.files)
            .map((name) => path.join(options.writeTo as string, name))
            .join(", ")}\n`,
        );
      } else {
        io.stdout(
          Object.entries(job.files)
            .map(([name, content]) => `# ---- ${name} ----\n${content}`)
            .join("\n"),
        );
      }
    });
}

function wholeMinutes(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 720)
    throw new UserFacingError(`--random-delay must be whole minutes from 0 to 720 (got "${value}")`, ExitCode.invalidInput);
  return Number(value);
}

function checkMonitoringOptions(options: ScheduleOptions): void {
  if (options.onFailure !== undefined && !options.systemd)
    throw new UserFacingError("--on-failure is for --systemd; the Windows task shows a failed run as its last result", ExitCode.invalidInput);
  if (options.onFailure !== undefined && !/^[\w@.:%\\-]*[\w@.:%-]$/.test(options.onFailure))
    throw new UserFacingError(`--on-failure must be one unit name (got "${options.onFailure}")`, ExitCode.invalidInput);
  if (options.systemd && options.metricsFile !== undefined && !path.posix.isAbsolute(options.metricsFile)) {
    throw new UserFacingError(`--metrics-file must be an absolute path for systemd (got "${options.metricsFile}")`, ExitCode.invalidInput);
  }
}

/** The job's output folder: `--out`, else the stack's, else Retain's default folder on the job's system. */
function jobTarget(options: ScheduleOptions, target: SyncTarget): JobTarget {
  const windows = options.windows === true;
  const outDir = target.outDir ?? (windows ? WINDOWS_DEFAULTS.out : DEFAULT_OUTPUT_DIR);
  if (options.out === undefined && options.stack !== undefined && isWindowsFolder(outDir) !== windows) {
    throw new UserFacingError(
      `--stack ${options.stack}: its directorySync.outputDir ${outDir} is not a ${windows ? "Windows" : "Linux"} folder; set one there or give --out <dir>`,
      ExitCode.invalidInput,
    );
  }
  const secretExpires = options.certificate ? undefined : (options.secretExpires ?? target.secretExpires);
  if (secretExpires !== undefined && !isIsoDate(secretExpires)) {
    const from = options.secretExpires === undefined ? `the stack output applicationSecretExpires of ${options.stack}` : "--secret-expires";
    throw new UserFacingError(`${from} must be an ISO date such as 2027-05-31 or 2027-05-31T12:00:00Z (got "${secretExpires}")`, ExitCode.invalidInput);
  }
  const outDirFrom =
    options.out !== undefined
      ? "--out"
      : options.stack !== undefined
        ? `the stack ${options.stack}'s retain-m365:directorySync.outputDir`
        : "the default output folder";
  return {
    tenantId: target.tenantId,
    clientId: target.clientId,
    outDir,
    outDirFrom,
    backups: target.backups,
    maxShrinkPercent: target.maxShrinkPercent,
    ...(secretExpires ? { secretExpires } : {}),
  };
}

function isIsoDate(text: string): boolean {
  return /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/.test(text) && !Number.isNaN(Date.parse(text));
}

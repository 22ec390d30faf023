import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Option, type Command } from "commander";
import { DEFAULT_OUTPUT_DIR, DIRECTORY_SYNC_DEFAULTS, isWindowsFolder } from "../config/defaults";
import { ExitCode, UserFacingError } from "../core/errors";
import { systemdCredentialSource, systemdExecWord, systemdPath, systemdProgram, systemdUser, windowsUser, windowsVerbatim, windowsWord, xmlText } from "../core/job-quoting";
import { INSTALLED_LAUNCHER, syncRuntimeEnvironment } from "../core/server-package";
import { CLOUDS } from "../m365/clouds";
import { REPOSITORY_INSTALLATION, type Installation } from "./installation";
import { checkVisibleToSystemdJob, jobCommand, type JobCommand } from "./job-command";
import { checkWritableFolder, stackName } from "./arguments";
import type { Io } from "./io";
import { resolveSyncTarget, type SyncTarget, type SyncTargetOptions } from "./sync-target";

export const UNIT_NAME = "retain-m365-sync";
/** The job's own account: made for it alone (README, "Installing on the Retain server"), never one Retain or the system uses. */
const JOB_ACCOUNT = "retain-m365";
const WINDOWS_DEFAULTS = {
  secretFile: "C:\\ProgramData\\retain-m365\\client-secret",
  out: "C:\\Program Files\\Beginfinite\\Retain\\RetainServer\\WEB-INF\\cfg",
  user: JOB_ACCOUNT,
};
const LINUX_DEFAULTS = { secretFile: "/etc/retain-m365/client-secret", user: JOB_ACCOUNT };

interface ScheduleOptions extends SyncTargetOptions {
  systemd?: boolean;
  windows?: boolean;
  at: string;
  randomDelay: number;
  user?: string;
  secretFile?: string;
  certificate?: string;
  secretExpires?: string;
  launcher?: string;
  node?: string;
  cli?: string;
  transitive?: boolean;
  metricsFile?: string;
  onFailure?: string;
  writeTo?: string;
}

/** The nightly job, as files: name → content. */
export interface JobDefinition {
  files: Record<string, string>;
  /** What will likely go wrong with the job as asked for, without making it impossible. */
  warnings?: string[];
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
    .addOption(new Option("--stack <name>", "tenant stack: tenant id, output folder and guards (directorySync) from the stack file, client id from `pulumi stack output` (or --client-id)").argParser(stackName).conflicts("tenantId"))
    .option("--stacks-dir <dir>", "folder of the stack files (with --stack)", "stacks")
    .option("--tenant-id <id>", "the tenant's id (GUID)")
    .option("--client-id <id>", "Retain's application (client) id (GUID)")
    .option("--out <dir>", "folder of the CSVs (default: the stack's directorySync.outputDir, else Retain's default folder on Linux or Windows)")
    .option("--at <HH:MM>", "time of day (local time of the server)", "02:30")
    .option("--random-delay <minutes>", "random delay added to the start, so tenants do not all start at once", wholeMinutes, 30)
    .option("--user <name>", `the job's own account (default ${JOB_ACCOUNT}; on Windows a dedicated account or a gMSA, DOMAIN\\name$); never root, SYSTEM, LOCAL SERVICE or NETWORK SERVICE`)
    .option("--secret-file <path>", `file holding the client secret (systemd default ${LINUX_DEFAULTS.secretFile})`)
    .option("--certificate <pem>", "use this certificate + key file, or a folder of them (every *.pem, as sync takes it), instead of a client secret")
    .option("--secret-expires <ISO date>", "when the client secret expires, passed to the job's sync for its expiry warning (default with --stack: the stack output applicationSecretExpires)")
    .addOption(
      new Option(
        "--launcher <path>",
        `the Retain-server package's launcher the job runs (default: run from the package, its own; a --windows job made elsewhere, ${INSTALLED_LAUNCHER.windows}; a --systemd job made from a checkout, this checkout, as --node/--cli say)`,
      ).conflicts(["node", "cli"]),
    )
    .option("--node <path>", "instead of the package: the Node.js (22 or later) that runs a repository checkout (default: this one on Linux)")
    .option("--cli <path>", "instead of the package: the checkout's bin/retain-m365.js (default: this checkout on Linux)")
    .option("--transitive", "list members of nested groups too")
    .option("--metrics-file <path>", "the job passes --metrics-file <path> to sync (node_exporter's textfile format); systemd: the service may write its folder")
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
        io.stdout(`wrote ${Object.keys(job.files).map((name) => path.join(options.writeTo as string, name)).join(", ")}\n`);
      } else {
        io.stdout(Object.entries(job.files).map(([name, content]) => `# ---- ${name} ----\n${content}`).join("\n"));
      }
    });
}

function wholeMinutes(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 720) throw new UserFacingError(`--random-delay must be whole minutes from 0 to 720 (got "${value}")`, ExitCode.invalidInput);
  return Number(value);
}

function checkMonitoringOptions(options: ScheduleOptions): void {
  if (options.onFailure !== undefined && !options.systemd) throw new UserFacingError("--on-failure is for --systemd; the Windows task shows a failed run as its last result", ExitCode.invalidInput);
  if (options.onFailure !== undefined && !/^[\w@.:%\\-]*[\w@.:%-]$/.test(options.onFailure)) throw new UserFacingError(`--on-failure must be one unit name (got "${options.onFailure}")`, ExitCode.invalidInput);
  if (options.systemd && options.metricsFile !== undefined && !path.posix.isAbsolute(options.metricsFile)) {
    throw new UserFacingError(`--metrics-file must be an absolute path for systemd (got "${options.metricsFile}")`, ExitCode.invalidInput);
  }
}

interface JobTarget {
  tenantId: string;
  clientId: string;
  outDir: string;
  /** The flag or key the output folder came from, for a refusal. */
  outDirFrom: string;
  backups: number;
  maxShrinkPercent: number;
  /** With a client secret only: when it expires. */
  secretExpires?: string;
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
  const outDirFrom = options.out !== undefined ? "--out" : options.stack !== undefined ? `the stack ${options.stack}'s retain-m365:directorySync.outputDir` : "the default output folder";
  return { tenantId: target.tenantId, clientId: target.clientId, outDir, outDirFrom, backups: target.backups, maxShrinkPercent: target.maxShrinkPercent, ...(secretExpires ? { secretExpires } : {}) };
}

function isIsoDate(text: string): boolean {
  return /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/.test(text) && !Number.isNaN(Date.parse(text));
}

/** A word of the job's command line and the flag or key it came from. */
type Word = [word: string, from: string];
const fixed = (...words: string[]): Word[] => words.map((word) => [word, "the job"]);

function syncArguments(options: ScheduleOptions, target: JobTarget, secretArgument: Word[]): Word[] {
  // The stack's guards travel with the job; the defaults need no flag.
  const guards = [
    ...(target.backups === DIRECTORY_SYNC_DEFAULTS.backups ? [] : fixed("--backups", String(target.backups))),
    ...(target.maxShrinkPercent === DIRECTORY_SYNC_DEFAULTS.maxShrinkPercent ? [] : fixed("--max-shrink-percent", String(target.maxShrinkPercent))),
  ];
  const expiry = target.secretExpires ? fixed("--secret-expires", target.secretExpires) : [];
  // The job names its login host: nothing in its environment (AZURE_AUTHORITY_HOST) may send Retain's credential elsewhere.
  const authority = fixed("--authority-host", CLOUDS.global.login);
  return [
    ...fixed("sync", "--tenant-id", target.tenantId, "--client-id", target.clientId),
    ...authority,
    ...fixed("--out"),
    [target.outDir, target.outDirFrom],
    ...guards,
    ...expiry,
    ...secretArgument,
    ...(options.transitive ? fixed("--transitive") : []),
    ...(options.metricsFile ? [...fixed("--metrics-file"), [options.metricsFile, "--metrics-file"] as Word] : []),
  ];
}

export function systemdJob(options: ScheduleOptions, target: JobTarget, command: JobCommand): JobDefinition {
  const warnings = checkVisibleToSystemdJob(command, [
    { folder: target.outDir, from: target.outDirFrom },
    ...(options.metricsFile ? [{ folder: path.posix.dirname(options.metricsFile), from: "--metrics-file" }] : []),
  ]);
  // A file is loaded as the credential app.pem, a folder as app.pem_<file> per file (systemd.exec(5),
  // LoadCredential=): the sync reads the credentials directory %d, whose *.pem are those files.
  const credential = options.certificate
    ? { load: `LoadCredential=app.pem:${systemdCredentialSource(options.certificate, "--certificate")}`, argument: ["--certificate", "%d"] }
    : { load: `LoadCredential=client-secret:${systemdCredentialSource(options.secretFile ?? LINUX_DEFAULTS.secretFile, "--secret-file")}`, argument: ["--client-secret-file", "%d/client-secret"] };
  // %d (the credentials directory) must reach systemd unescaped: the only specifier the job uses.
  const [program, ...leading] = command.words as [string, ...string[]];
  const words = [systemdProgram(program, command.from)]
    .concat([...leading.map((word): Word => [word, command.from]), ...syncArguments(options, target, [])].map(([word, from]) => systemdExecWord(word, from)))
    .concat(credential.argument);
  const service = `[Unit]
Description=Retain address book sync from Microsoft 365 (retain-m365)
Wants=network-online.target
After=network-online.target
${options.onFailure ? `OnFailure=${options.onFailure}\n` : ""}
[Service]
Type=oneshot
User=${systemdUser(options.user ?? LINUX_DEFAULTS.user, "--user")}
ExecStart=${words.join(" ")}
Environment=${systemdRuntimeEnvironment()}
# Node's compile cache (the launcher reads $CACHE_DIRECTORY): a start skips compiling what the last one compiled.
CacheDirectory=${JOB_ACCOUNT}
${credential.load}
# Exit 5 means a safety guard kept the previous files: the unit fails, so it is seen.
UMask=0027
ProtectSystem=strict
ReadWritePaths=${systemdPath(target.outDir, target.outDirFrom)}
${options.metricsFile ? `ReadWritePaths=${systemdPath(path.posix.dirname(options.metricsFile), "--metrics-file")}\n` : ""}ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
NoNewPrivileges=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
RestrictSUIDSGID=yes
RestrictRealtime=yes
RestrictNamespaces=yes
LockPersonality=yes
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX
CapabilityBoundingSet=
SystemCallFilter=@system-service
SystemCallErrorNumber=EPERM
SystemCallArchitectures=native
ProtectProc=invisible
ProcSubset=pid
ProtectHostname=yes
RemoveIPC=yes
PrivateMounts=yes
LimitCORE=0
`;
  const timer = `[Unit]
Description=Nightly Retain address book sync (retain-m365)

[Timer]
OnCalendar=*-*-* ${options.at}:00
RandomizedDelaySec=${options.randomDelay}min
Persistent=true
Unit=${UNIT_NAME}.service

[Install]
WantedBy=timers.target
`;
  return { files: { [`${UNIT_NAME}.service`]: service, [`${UNIT_NAME}.timer`]: timer }, warnings };
}

export function windowsJob(options: ScheduleOptions, target: JobTarget, command: JobCommand): JobDefinition {
  const secret: Word[] = options.certificate
    ? [...fixed("--certificate"), [options.certificate, "--certificate"]]
    : [...fixed("--client-secret-file"), [options.secretFile ?? WINDOWS_DEFAULTS.secretFile, "--secret-file"]];
  const [program, ...leading] = command.words as [string, ...string[]];
  const args = [...leading.map((word): Word => [word, command.from]), ...syncArguments(options, target, secret)]
    .map(([word, from]) => windowsWord(word, from))
    .join(" ");
  const task = `<?xml version="1.0" encoding="UTF-8"?>
<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">
  <RegistrationInfo>
    <Description>Nightly Retain address book sync from Microsoft 365 (retain-m365)</Description>
    <URI>\\${UNIT_NAME}</URI>
  </RegistrationInfo>
  <Triggers>
    <CalendarTrigger>
      <StartBoundary>2026-01-01T${options.at}:00</StartBoundary>
      <RandomDelay>PT${options.randomDelay}M</RandomDelay>
      <ScheduleByDay>
        <DaysInterval>1</DaysInterval>
      </ScheduleByDay>
      <Enabled>true</Enabled>
    </CalendarTrigger>
  </Triggers>
  <Principals>
    <Principal id="Author">
      <UserId>${xmlText(windowsUser(options.user ?? WINDOWS_DEFAULTS.user, "--user"), "--user")}</UserId>
      <LogonType>Password</LogonType>
      <RunLevel>LeastPrivilege</RunLevel>
    </Principal>
  </Principals>
  <Settings>
    <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>
    <StartWhenAvailable>true</StartWhenAvailable>
    <RunOnlyIfNetworkAvailable>true</RunOnlyIfNetworkAvailable>
    <ExecutionTimeLimit>PT4H</ExecutionTimeLimit>
    <Enabled>true</Enabled>
  </Settings>
  <Actions Context="Author">
    <Exec>
      <Command>${xmlText(windowsVerbatim(program, command.from), command.from)}</Command>
      <Arguments>${xmlText(args, "the job")}</Arguments>
    </Exec>
  </Actions>
</Task>
`;
  return { files: { [`${UNIT_NAME}.xml`]: task } };
}

/** The sync's memory settings (SYNC_RUNTIME) for a unit's Environment=: a checkout's bin/retain-m365.js gets them as the package's launcher does. */
function systemdRuntimeEnvironment(): string {
  return Object.entries(syncRuntimeEnvironment()).map(([name, value]) => `${name}=${value}`).join(" ");
}

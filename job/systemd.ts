import path from "node:path";
import { syncRuntimeEnvironment } from "../core/server-package";
import { checkVisibleToSystemdJob, type JobCommand } from "./command";
import { JOB_ACCOUNT, LINUX_DEFAULTS, syncArguments, UNIT_NAME, type JobDefinition, type JobSettings, type JobTarget, type Word } from "./definition";
import { systemdCredentialSource, systemdExecWord, systemdPath, systemdProgram, systemdUser } from "./quoting";

/** The job as a hardened systemd service and its timer. */
export function systemdJob(options: JobSettings, target: JobTarget, command: JobCommand): JobDefinition {
  const warnings = checkVisibleToSystemdJob(command, [
    { folder: target.outDir, from: target.outDirFrom },
    ...(options.metricsFile ? [{ folder: path.posix.dirname(options.metricsFile), from: "--metrics-file" }] : []),
  ]);
  // A file is loaded as the credential app.pem, a folder as app.pem_<file> per file (systemd.exec(5),
  // LoadCredential=): the sync reads the credentials directory %d, whose *.pem are those files.
  const credential = options.certificate
    ? { load: `LoadCredential=app.pem:${systemdCredentialSource(options.certificate, "--certificate")}`, argument: ["--certificate", "%d"] }
    : {
        load: `LoadCredential=client-secret:${systemdCredentialSource(options.secretFile ?? LINUX_DEFAULTS.secretFile, "--secret-file")}`,
        argument: ["--client-secret-file", "%d/client-secret"],
      };
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

/** The sync's memory settings (SYNC_RUNTIME) for a unit's Environment=: a checkout's bin/retain-m365.js gets them as the package's launcher does. */
function systemdRuntimeEnvironment(): string {
  return Object.entries(syncRuntimeEnvironment())
    .map(([name, value]) => `${name}=${value}`)
    .join(" ");
}

import { DIRECTORY_SYNC_DEFAULTS } from "../config/defaults";
import { CLOUDS } from "../m365/clouds";

// What the nightly job is made of, whichever scheduler runs it: its name, its own account, where it
// reads the credential and writes the CSVs, and the `sync` command line it runs.

export const UNIT_NAME = "retain-m365-sync";
/** The job's own account: made for it alone (README, "Installing on the Retain server"), never one Retain or the system uses. */
export const JOB_ACCOUNT = "retain-m365";
export const WINDOWS_DEFAULTS = {
  secretFile: "C:\\ProgramData\\retain-m365\\client-secret",
  out: "C:\\Program Files\\Beginfinite\\Retain\\RetainServer\\WEB-INF\\cfg",
  user: JOB_ACCOUNT,
};
export const LINUX_DEFAULTS = { secretFile: "/etc/retain-m365/client-secret", user: JOB_ACCOUNT };

/** How the job runs: `retain-m365 schedule`'s flags. */
export interface JobSettings {
  /** Time of day, HH:MM. */
  at: string;
  /** Random delay added to the start, in minutes. */
  randomDelay: number;
  user?: string;
  secretFile?: string;
  certificate?: string;
  transitive?: boolean;
  metricsFile?: string;
  /** systemd: the unit started when the sync fails. */
  onFailure?: string;
}

/** What the job syncs, and where to. */
export interface JobTarget {
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

/** The nightly job, as files: name → content. */
export interface JobDefinition {
  files: Record<string, string>;
  /** What will likely go wrong with the job as asked for, without making it impossible. */
  warnings?: string[];
}

/** A word of the job's command line and the flag or key it came from. */
export type Word = [word: string, from: string];
export const fixed = (...words: string[]): Word[] => words.map((word) => [word, "the job"]);

/** The words after the program: `sync` and its flags, each with the flag or key it came from (for a refusal when it cannot be written). */
export function syncArguments(settings: JobSettings, target: JobTarget, secretArgument: Word[]): Word[] {
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
    ...(settings.transitive ? fixed("--transitive") : []),
    ...(settings.metricsFile ? [...fixed("--metrics-file"), [settings.metricsFile, "--metrics-file"] as Word] : []),
  ];
}

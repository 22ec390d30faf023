import path from "node:path";
import type { Command } from "commander";
import { ExitCode, UserFacingError } from "../core/errors";
import { checkHealth } from "../sync/health";
import { MalformedRunRecordError } from "../sync/run-record";
import type { Io } from "./io";
import { wholeNumber } from "./sync";

interface StatusOptions {
  out: string;
  json?: boolean;
  maxAgeHours: number;
  warnExpiryDays: number;
}

export function registerStatusCommand(program: Command, io: Io): void {
  program
    .command("status")
    .description(
      "Say whether the nightly sync of a folder is healthy, from the record each sync run leaves (backup/state/last-run.json) and the CSVs: " +
        "exit 0 healthy, 6 unhealthy with one line per problem.",
    )
    .requiredOption("--out <dir>", "folder of the CSVs the sync writes (Retain's WEB-INF/cfg)")
    .option("--json", "print the answer as one JSON object")
    .option("--max-age-hours <h>", "unhealthy when no run succeeded within this many hours", wholeNumber("--max-age-hours", 1, 8760), 26)
    .option("--warn-expiry-days <n>", "unhealthy when the app's credential expires within this many days", wholeNumber("--warn-expiry-days", 0, 3650), 30)
    .action((options: StatusOptions) => {
      let report;
      try {
        report = checkHealth(path.resolve(options.out), { maxAgeHours: options.maxAgeHours, warnExpiryDays: options.warnExpiryDays });
      } catch (error) {
        if (error instanceof MalformedRunRecordError) throw new UserFacingError(error.message, ExitCode.unhealthy);
        throw error;
      }
      if (options.json) io.stdout(`${JSON.stringify(report)}\n`);
      else if (report.healthy)
        io.stdout(
          `healthy: the last run succeeded at ${report.lastSuccessAt}${report.lastRun?.users === undefined ? "" : ` (${report.lastRun.users} users, ${report.lastRun.groups} groups)`}\n`,
        );
      else io.stdout(report.problems.map((problem) => `unhealthy: ${problem}\n`).join(""));
      if (!report.healthy)
        throw new UserFacingError(
          `the nightly sync of ${options.out} is unhealthy (${report.problems.length} problem${report.problems.length === 1 ? "" : "s"})`,
          ExitCode.unhealthy,
        );
    });
}

import type { JobCommand } from "./command";
import { fixed, syncArguments, UNIT_NAME, WINDOWS_DEFAULTS, type JobDefinition, type JobSettings, type JobTarget, type Word } from "./definition";
import { windowsUser, windowsVerbatim, windowsWord, xmlText } from "./quoting";

/** The job as a Task Scheduler task (XML), running as its own account. */
export function windowsJob(options: JobSettings, target: JobTarget, command: JobCommand): JobDefinition {
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

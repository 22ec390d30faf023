import { shellWord } from "./quoting";
import { INSTALLED_LAUNCHER } from "../core/server-package";
import { UNIT_NAME } from "./definition";

export interface InstallCommandValues {
  tenantId: string;
  clientId: string;
  outputDir: string;
  secretExpires?: string;
}

/** The `schedule` part of the install command: every value a quoted shell word, each refusal naming the key it came from. */
export function scheduleCommandLine(values: InstallCommandValues): string {
  const flags: [flag: string, value: string | undefined, from: string][] = [
    ["--tenant-id", values.tenantId, "azuread:tenantId"],
    ["--client-id", values.clientId, "the output applicationClientId"],
    ["--out", values.outputDir, "retain-m365:directorySync.outputDir"],
    ["--secret-expires", values.secretExpires, "the output applicationSecretExpires"],
  ];
  const words = flags.flatMap(([flag, value, from]) => (value ? [flag, shellWord(value, from)] : []));
  return [INSTALLED_LAUNCHER.linux, "schedule", "--systemd", ...words, "--write-to", "/etc/systemd/system"].join(" ");
}

/** What a Retain admin pastes as root on the Retain server: writes the nightly job's units and starts its timer. */
export function nightlySyncInstallCommand(values: InstallCommandValues): string {
  return `${scheduleCommandLine(values)} && systemctl enable --now ${UNIT_NAME}.timer`;
}

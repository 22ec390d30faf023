/** `sync`'s arguments against a loopback emulator that is also the token service, with `--json`'s summary. */
export function loopbackSync(tenantId: string, clientId: string, out: string, emulatorUrl: string): string[] {
  return ["sync", "--tenant-id", tenantId, "--client-id", clientId, "--out", out, "--graph-endpoint", emulatorUrl, "--authority-host", emulatorUrl, "--json"];
}

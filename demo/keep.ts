import { rmSync, writeFileSync } from "node:fs";
import path from "node:path";

// `npm run demo -- --keep`: after the steps the emulators keep running, <out>/demo.env holds what a
// shell needs to reach them (their addresses, the CA they are signed by, their throwaway
// credentials), and the demo prints the commands an admin pastes to run the CLI by hand.

/** The env file, in the output folder; removed when the demo stops (its emulators are gone then). */
export const ENV_FILE = "demo.env";

/** The variables the printed commands' endpoint flags read. */
export const ENDPOINT_VARIABLES = {
  graph: "RETAIN_DEMO_GRAPH",
  exchange: "RETAIN_DEMO_EXCHANGE",
  ews: "RETAIN_DEMO_EWS",
  cloudflare: "RETAIN_DEMO_CLOUDFLARE",
} as const;
export type EndpointName = keyof typeof ENDPOINT_VARIABLES;

export interface KeptEmulators {
  /** The emulators' throwaway CA (emulators/tls.ts keeps it in a temporary folder while the demo runs). */
  caFile: string;
  /** Entra ID's login host, Graph, Exchange's admin API and EWS: one emulator, as one Microsoft cloud. */
  microsoft: string;
  cloudflare: string;
  secrets: { cloudflareToken: string; deployerId: string; deployerSecret: string; retainAppSecret: string };
}

/** A command as it is run by hand: each argument shell-quoted where it needs it, each endpoint flag reading its variable. */
export interface HandCommand {
  args: string[];
  endpoints: [flag: string, endpoint: EndpointName][];
}

/** A shell word: as is when it holds only characters no shell treats specially, else single-quoted. */
const shellWord = (value: string) => (/^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`);

/** The line that loads the env file into a POSIX shell (bash, zsh, sh), exporting every variable. */
export function sourceLine(envFile: string): string {
  // `. file` looks a name without a slash up in PATH: a file in the current folder gets "./".
  return `set -a; . ${shellWord(envFile.includes("/") ? envFile : `./${envFile}`)}; set +a`;
}

export function handCommandLine({ args, endpoints }: HandCommand): string {
  const flags = endpoints.map(([flag, endpoint]) => `${flag} "$${ENDPOINT_VARIABLES[endpoint]}"`);
  return ["npx retain-m365", ...args.map(shellWord), ...flags].join(" ");
}

export function envFileText(kept: KeptEmulators, sourced: string): string {
  const line = (name: string, value: string) => `${name}=${shellWord(value)}`;
  return [
    "# npm run demo -- --keep: how a shell reaches the demo's loopback emulators while the demo runs",
    "# (Ctrl-C there stops them and removes this file). Every secret here is one of the emulators'",
    "# throwaway values, made up for the sample tenant Contoso: never a real one, and it opens nothing",
    "# but these emulators on 127.0.0.1.",
    `# Load it with: ${sourced}`,
    "",
    "# The emulators' throwaway CA (made with openssl for this run), so Node trusts their TLS certificate.",
    line("NODE_EXTRA_CA_CERTS", kept.caFile),
    "# The deploying identity adopt and readiness sign in as, and the login host every command signs in at.",
    line("AZURE_CLIENT_ID", kept.secrets.deployerId),
    line("AZURE_CLIENT_SECRET", kept.secrets.deployerSecret),
    line("AZURE_AUTHORITY_HOST", kept.microsoft),
    "# The Cloudflare API token adopt reads the zone with.",
    line("CLOUDFLARE_API_TOKEN", kept.secrets.cloudflareToken),
    "# Retain's app's client secret: sync and verify --access sign in with it.",
    line("RETAIN_SYNC_CLIENT_SECRET", kept.secrets.retainAppSecret),
    "# The endpoint flags' values: one emulator answers as Graph, Exchange's admin API and EWS; Cloudflare is another.",
    line(ENDPOINT_VARIABLES.graph, kept.microsoft),
    line(ENDPOINT_VARIABLES.exchange, kept.microsoft),
    line(ENDPOINT_VARIABLES.ews, kept.microsoft),
    line(ENDPOINT_VARIABLES.cloudflare, kept.cloudflare),
    "",
  ].join("\n");
}

/** Writes the env file readable by its owner only (0600: it holds credentials, if throwaway ones); returns its path. */
export function writeEnvFile(out: string, kept: KeptEmulators, sourced: string): string {
  const file = path.join(out, ENV_FILE);
  // A new file, so the mode applies (an existing file keeps its own).
  rmSync(file, { force: true });
  writeFileSync(file, envFileText(kept, sourced), { mode: 0o600, flag: "wx" });
  return file;
}

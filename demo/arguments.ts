import path from "node:path";

// `npm run demo -- [--out <dir>] [--keep] [--help]`: the demo's few arguments. Anything else is one
// sentence on stderr and exit 2, as the CLI answers invalid input.

export interface DemoArguments {
  /** The folder of the CSVs (and, with --keep, of demo.env), absolute. */
  out: string;
  /** After the steps, keep the emulators running until Ctrl-C (SIGINT) or SIGTERM. */
  keep: boolean;
}

export const DEMO_HELP = `Usage: npm run demo -- [--out <dir>] [--keep]

The real retain-m365 CLI against loopback emulators of a sample tenant (Contoso): plan, adopt, a
replayed deploy, readiness, sync, a day of changes, the delta sync, status, verify --access and
schedule --systemd. Needs no account and no network beyond loopback.

Options:
  --out <dir>  folder of the CSVs (default: demo-out)
  --keep       after the steps, keep the emulators running and write <dir>/demo.env (their addresses,
               their throwaway CA and credentials) and print the commands that run adopt, readiness,
               sync, status and verify --access against them by hand; Ctrl-C stops the emulators
  -h, --help   show this text
`;

/** The outcome of reading the arguments: what to run, or what to print and the exit code. */
export type Parsed = { run: DemoArguments } | { exit: number; stdout?: string; stderr?: string };

const ACCEPTED = "the demo takes --out <dir>, --keep and --help";

export function parseDemoArguments(argv: string[]): Parsed {
  let out = "demo-out";
  let keep = false;
  for (let i = 0; i < argv.length; i++) {
    const argument = argv[i]!;
    if (argument === "--help" || argument === "-h") return { exit: 0, stdout: DEMO_HELP };
    if (argument === "--keep") keep = true;
    else if (argument === "--out" || argument.startsWith("--out=")) {
      const value = argument === "--out" ? argv[++i] : argument.slice("--out=".length);
      if (!value || value.startsWith("-")) return { exit: 2, stderr: `demo: --out needs a folder (--out <dir>); ${ACCEPTED}.\n` };
      out = value;
    } else return { exit: 2, stderr: `demo: ${JSON.stringify(argument)} is not an argument of the demo; ${ACCEPTED}.\n` };
  }
  return { run: { out: path.resolve(out), keep } };
}

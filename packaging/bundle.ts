import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { build, type Metafile } from "esbuild";

export interface Bundle {
  /** The server-side CLI in one file. */
  code: Uint8Array;
  /** The licence texts of every npm package inside it. */
  thirdPartyLicenses: string;
  /** The npm packages inside it. */
  packages: string[];
}

/**
 * The server-side CLI (cli/server-main.ts) and everything it imports, in one minified CommonJS
 * file for Node 22: no loader and no node_modules at run time. Minified, which halves the time
 * Node needs to compile it; the launchers point Node's compile cache at the job's cache folder,
 * so a nightly start compiles nothing an earlier one compiled (packaging/launchers.ts).
 */
export async function bundleServerCli(repoRoot: string): Promise<Bundle> {
  const result = await build({
    entryPoints: [path.join(repoRoot, "cli", "server-main.ts")],
    outfile: "retain-m365-sync.cjs",
    absWorkingDir: repoRoot,
    bundle: true,
    platform: "node",
    target: "node22",
    format: "cjs",
    minify: true,
    legalComments: "none",
    write: false,
    metafile: true,
    logLevel: "silent",
  });
  // write: false and metafile: true, so both are there.
  const metafile = result.metafile as Metafile;
  const dirs = packageDirs(metafile, repoRoot);
  const packages = [...dirs.keys()].sort();
  const banner = `// retain-m365, the Retain-server CLI. Inside: ${packages.join(", ")} (licences in THIRD-PARTY-LICENSES.txt).\n`;
  const code = (result.outputFiles as { contents: Uint8Array }[])[0]?.contents as Uint8Array;
  return { code: Buffer.concat([Buffer.from(banner), code]), packages, thirdPartyLicenses: licenseTexts(packages, dirs) };
}

/** The npm packages esbuild read, by name, with their folders. */
function packageDirs(metafile: Metafile, repoRoot: string): Map<string, string> {
  const dirs = new Map<string, string>();
  for (const input of Object.keys(metafile.inputs)) {
    const match = /^(.*node_modules\/((?:@[^/]+\/)?[^/]+))\//.exec(input);
    if (match) dirs.set(match[2] as string, path.join(repoRoot, match[1] as string));
  }
  return dirs;
}

function licenseTexts(packages: string[], dirs: Map<string, string>): string {
  return packages
    .map((name) => {
      const dir = dirs.get(name) as string;
      const manifest = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as { version: string; license?: string };
      const file = ["LICENSE", "LICENSE.md", "LICENSE.txt", "license", "LICENCE", "LICENSE-MIT"]
        .map((candidate) => path.join(dir, candidate))
        .find((candidate) => existsSync(candidate));
      const text = file ? readFileSync(file, "utf8").trim() : `License: ${manifest.license ?? "see the package"}`;
      return `${name}@${manifest.version}\n${"-".repeat(name.length + manifest.version.length + 1)}\n${text}\n`;
    })
    .join("\n");
}

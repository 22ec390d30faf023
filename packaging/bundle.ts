import { readdirSync, readFileSync } from "node:fs";
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
 * so a nightly start compiles nothing an earlier one compiled (packaging/launchers.ts). `version` is
 * stamped in for --version.
 */
export async function bundleServerCli(repoRoot: string, version: string): Promise<Bundle> {
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
    // The package's version, for --version (core/version.ts): its VERSION file and archive names carry the same.
    define: { RETAIN_M365_PACKAGE_VERSION: JSON.stringify(version) },
  });
  // write: false and metafile: true, so both are there.
  const metafile = result.metafile as Metafile;
  const dirs = packageDirs(metafile, repoRoot);
  const packages = [...dirs.keys()].sort();
  const banner = `// retain-m365, the Retain-server CLI. Inside: ${packages.join(", ")} (licences in THIRD-PARTY-LICENSES.txt).\n`;
  const code = (result.outputFiles as { contents: Uint8Array }[])[0]?.contents as Uint8Array;
  return { code: Buffer.concat([Buffer.from(banner), code]), packages, thirdPartyLicenses: licenseTexts(packages, dirs) };
}

/** The npm packages esbuild read, as `name@version`, with their folders: two versions of one package are two entries. */
function packageDirs(metafile: Metafile, repoRoot: string): Map<string, string> {
  const dirs = new Map<string, string>();
  for (const input of Object.keys(metafile.inputs)) {
    const match = /^(.*node_modules\/((?:@[^/]+\/)?[^/]+))\//.exec(input);
    if (!match) continue;
    const dir = path.join(repoRoot, match[1] as string);
    const { version } = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as { version: string };
    dirs.set(`${match[2] as string}@${version}`, dir);
  }
  return dirs;
}

/** A package's licence file: LICENSE, LICENCE, license.md, LICENSE-MIT and the like, in any letter case. */
const LICENCE_FILE = /^licen[cs]e(\.(md|txt)|-[a-z0-9.-]+)?$/i;

function licenseTexts(packages: string[], dirs: Map<string, string>): string {
  return packages
    .map((heading) => {
      const dir = dirs.get(heading) as string;
      const file = readdirSync(dir)
        .filter((name) => LICENCE_FILE.test(name))
        .sort()[0];
      if (!file) throw new Error(`${heading} (${dir}) ships no licence file: add its licence text to the package before bundling it`);
      return `${heading}\n${"-".repeat(heading.length)}\n${readFileSync(path.join(dir, file), "utf8").trim()}\n`;
    })
    .join("\n");
}

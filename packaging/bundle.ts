import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { brotliCompressSync } from "node:zlib";
import { build, type BuildOptions, type Metafile, type Plugin } from "esbuild";
import type { LazySources } from "./lazy-require";

export interface Bundle {
  /** The server-side CLI in one file. */
  code: Uint8Array;
  /** The licence texts of every npm package inside it. */
  thirdPartyLicenses: string;
  /** The npm packages inside it. */
  packages: string[];
}

/**
 * Packages only some commands need (sync, verify, credential new), in groups compiled together the
 * first time one of their exports is read. Node compiles the whole file at every start; as code,
 * these 1.4 MB would more than double the start of `--help` or `status`.
 */
export const LAZY_GROUPS: readonly (readonly string[])[] = [
  ["@azure/identity"],
  ["@microsoft/microsoft-graph-client", "@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials"],
  ["zod"],
  ["yaml"],
  ["node-forge"],
];

const LAZY_SPECIFIERS = new Set(LAZY_GROUPS.flat());
const LAZY_SPECIFIER = new RegExp(`^(${[...LAZY_SPECIFIERS].map((specifier) => specifier.replace(/[/.]/g, "\\$&")).join("|")})$`);
const SOURCES_MODULE = "retain-m365:lazy-sources";

/**
 * Node's modules that the CLI imports at its top and that cost its start milliseconds (node:crypto
 * alone took 14 ms), none of which Node loads before a script runs. Each exports a plain object of
 * functions and classes, which a stand-in can mirror; the rest of Node's modules are required as
 * they are. Their export names come from the Node that builds (the lockfile's), so a build with
 * another Node version gives other bytes.
 */
const DEFERRED_NODE_MODULES = new Set(["child_process", "crypto", "dns", "net", "os"]);

/** One esbuild run, as every build here makes it: one minified CommonJS file for Node 22, in memory. */
async function bundleOnce(options: BuildOptions): Promise<{ code: Uint8Array; metafile: Metafile }> {
  const result = await build({ bundle: true, platform: "node", target: "node22", format: "cjs", minify: true, legalComments: "none", write: false, metafile: true, logLevel: "silent", ...options });
  // write: false and metafile: true, so both are there.
  return { code: (result.outputFiles as { contents: Uint8Array }[])[0]?.contents as Uint8Array, metafile: result.metafile as Metafile };
}

/**
 * The server-side CLI (cli/server-main.ts) and everything it imports, in one CommonJS file for
 * Node 22: no loader and no node_modules at run time. Minified, which halves the time Node needs
 * to start it. The LAZY_GROUPS are inside as brotli-compressed text and the DEFERRED_NODE_MODULES
 * are required where first used (packaging/lazy-require.ts), so a start compiles only what runs.
 */
export async function bundleServerCli(repoRoot: string): Promise<Bundle> {
  const sources: LazySources = { groups: [], groupOf: {} };
  const metafiles: Metafile[] = [];
  for (const [index, group] of LAZY_GROUPS.entries()) {
    const { code, metafile } = await bundleOnce({
      stdin: { contents: `module.exports = {${group.map((specifier) => `${JSON.stringify(specifier)}: require(${JSON.stringify(specifier)})`).join(", ")}};`, resolveDir: repoRoot, loader: "js" },
      plugins: [otherGroupsExternal(group)],
      absWorkingDir: repoRoot,
    });
    metafiles.push(metafile);
    sources.groups.push({ name: group[0] as string, packages: [...packageDirs([metafile], repoRoot).keys()].sort(), brotliBase64: brotliCompressSync(code).toString("base64") });
    for (const specifier of group) sources.groupOf[specifier] = index;
  }
  const cli = await bundleOnce({
    entryPoints: [path.join(repoRoot, "cli", "server-main.ts")],
    outfile: "retain-m365-sync.cjs",
    absWorkingDir: repoRoot,
    plugins: [standIns(repoRoot, sources)],
    banner: { js: `// retain-m365, the Retain-server CLI. Inside, brotli-compressed and compiled on first use: ${sources.groups.map((group) => group.packages.join(", ")).join("; ")} (licences in THIRD-PARTY-LICENSES.txt).` },
  });
  metafiles.push(cli.metafile);
  const dirs = packageDirs(metafiles, repoRoot);
  const packages = [...dirs.keys()].sort();
  return { code: cli.code, packages, thirdPartyLicenses: licenseTexts(packages, dirs) };
}

/** In the CLI's build: a lazily loading stand-in (lazyExports) for each lazy package and each of the DEFERRED_NODE_MODULES, and the groups' text. */
function standIns(repoRoot: string, sources: LazySources): Plugin {
  const runtime = path.join(repoRoot, "packaging", "lazy-require.ts");
  const requireFromRepo = createRequire(path.join(repoRoot, "package.json"));
  return {
    name: "lazy-stand-ins",
    setup(pluginBuild) {
      pluginBuild.onResolve({ filter: LAZY_SPECIFIER }, (args) => ({ path: args.path, namespace: "stand-in" }));
      pluginBuild.onResolve({ filter: /^(node:)?[a-z_]+$/ }, (args) => (DEFERRED_NODE_MODULES.has(args.path.replace(/^node:/, "")) ? { path: args.path, namespace: "stand-in" } : undefined));
      pluginBuild.onResolve({ filter: new RegExp(`^${SOURCES_MODULE}$`) }, (args) => ({ path: args.path, namespace: "lazy-sources" }));
      pluginBuild.onLoad({ filter: /.*/, namespace: "stand-in" }, (args) => {
        const exports = requireFromRepo(args.path) as Record<string, unknown>;
        if (typeof exports !== "object") throw new Error(`${args.path} exports a ${typeof exports}, which a stand-in cannot mirror`);
        return { contents: `module.exports = require(${JSON.stringify(runtime)}).lazyExports(${JSON.stringify(args.path)}, ${JSON.stringify(Object.keys(exports))}, ${exports.__esModule === true});`, loader: "js", resolveDir: repoRoot };
      });
      pluginBuild.onLoad({ filter: /.*/, namespace: "lazy-sources" }, () => ({ contents: `module.exports = ${JSON.stringify(sources)};`, loader: "js" }));
    },
  };
}

/** In a group's own build, the other groups' specifiers stay `require` calls, which lazyRequire answers. */
function otherGroupsExternal(group: readonly string[]): Plugin {
  return {
    name: "other-lazy-groups",
    setup(pluginBuild) {
      pluginBuild.onResolve({ filter: LAZY_SPECIFIER }, (args) => (group.includes(args.path) ? undefined : { path: args.path, external: true }));
    },
  };
}

/** The npm packages esbuild read, by name, with their folders. */
function packageDirs(metafiles: Metafile[], repoRoot: string): Map<string, string> {
  const dirs = new Map<string, string>();
  for (const input of metafiles.flatMap((metafile) => Object.keys(metafile.inputs))) {
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
      const file = ["LICENSE", "LICENSE.md", "LICENSE.txt", "license", "LICENCE", "LICENSE-MIT"].map((candidate) => path.join(dir, candidate)).find((candidate) => existsSync(candidate));
      const text = file ? readFileSync(file, "utf8").trim() : `License: ${manifest.license ?? "see the package"}`;
      return `${name}@${manifest.version}\n${"-".repeat(name.length + manifest.version.length + 1)}\n${text}\n`;
    })
    .join("\n");
}

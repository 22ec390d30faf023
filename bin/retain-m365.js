#!/usr/bin/env node
"use strict";
// Runs the CLI from one bundle of this checkout's TypeScript (build/retain-m365.cjs: esbuild, npm
// packages left in node_modules), so no TypeScript loader runs at start. `npm ci` builds it (the
// `prepare` script runs this file); it is built again whenever a source file differs from when it
// was built. The bundle lies one folder below the checkout, as cli/*.ts do, so their paths relative
// to __dirname hold in it too.
const { closeSync, mkdirSync, openSync, readSync, renameSync, rmSync, statSync, writeFileSync } = require("node:fs");
const { Buffer } = require("node:buffer");
const Module = require("node:module");
const path = require("node:path");

const root = path.resolve(__dirname, "..");
const bundle = path.join(root, "build", "retain-m365.cjs");

/**
 * Node's compile cache (node:module enableCompileCache): a start reads the code that earlier starts
 * compiled (the bundle, the Pulumi SDKs) instead of compiling it again. Its folder: the nightly
 * job's (systemd's CacheDirectory=, as $CACHE_DIRECTORY), else node_modules/.cache in this
 * checkout. Node skips a folder it cannot make or write, but hangs at start on one under /proc
 * (Node 22.23), so none is used there. A NODE_COMPILE_CACHE already set has enabled it and wins.
 */
function enableCompileCache() {
  const dir = path.resolve(process.env.CACHE_DIRECTORY || path.join(root, "node_modules", ".cache", "retain-m365"));
  if (dir !== "/proc" && !dir.startsWith("/proc/")) Module.enableCompileCache(dir);
}
// The bundle's first line records what it was built from, so bundle and record never disagree.
const HEADER = "// retain-m365 bundle of ";

const stampOf = (input) => {
  const stat = statSync(path.join(root, input));
  return `${stat.size}:${stat.mtimeMs}`;
};

function recorded() {
  let fd;
  try {
    fd = openSync(bundle, "r");
    const buffer = Buffer.alloc(256 * 1024);
    const line = buffer.toString("utf8", 0, readSync(fd, buffer, 0, buffer.length, 0)).split("\n", 1)[0];
    return line.startsWith(HEADER) ? JSON.parse(line.slice(HEADER.length)) : undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Fresh: built by this esbuild, every input as it was then, and none changed while it was being built. */
function isFresh() {
  const record = recorded();
  if (!record || record.esbuild !== require("esbuild/package.json").version) return false;
  try {
    return Object.entries(record.inputs).every(([input, stamp]) => stampOf(input) === stamp && Number(stamp.split(":")[1]) < record.started);
  } catch {
    return false; // an input is gone
  }
}

function build() {
  const started = Date.now();
  const result = require("esbuild").buildSync({
    entryPoints: [path.join(root, "cli", "main.ts")],
    absWorkingDir: root,
    bundle: true,
    packages: "external",
    platform: "node",
    target: "node22",
    format: "cjs",
    outfile: bundle,
    write: false,
    metafile: true,
    logLevel: "error",
  });
  const inputs = Object.keys(result.metafile.inputs)
    .filter((input) => !input.includes("node_modules"))
    .concat("tsconfig.json");
  const record = { esbuild: require("esbuild/package.json").version, started, inputs: Object.fromEntries(inputs.map((input) => [input, stampOf(input)])) };
  return `${HEADER}${JSON.stringify(record)}\n${result.outputFiles[0].text}`;
}

/** Writes the bundle (a rename: a CLI starting meanwhile reads the old one or the new one); false when this checkout cannot be written. */
function save(code) {
  const temp = `${bundle}.${process.pid}.tmp`;
  try {
    mkdirSync(path.dirname(bundle), { recursive: true });
    writeFileSync(temp, code);
    renameSync(temp, bundle);
    return true;
  } catch {
    try {
      rmSync(temp, { force: true });
    } catch {
      // no temp file was made
    }
    return false;
  }
}

function load() {
  if (isFresh()) return require(bundle);
  const code = build(); // a compile error stops here, with esbuild's message
  if (save(code)) return require(bundle);
  // A checkout this user may not write to: the same bundle, run from memory.
  const compiled = new Module(bundle, module);
  compiled.filename = bundle;
  compiled.paths = Module._nodeModulePaths(path.dirname(bundle));
  compiled._compile(code, bundle);
  return compiled.exports;
}

// The Node this project runs on (package.json's engines), said in a sentence rather than as the
// TypeError an older Node would meet first. `npm ci` runs on Node 20 too: it installs Node 22 into
// node_modules (the `node` dev dependency), which npx and npm scripts put first on PATH.
const neededNode = Number(/\d+/.exec(require(path.join(root, "package.json")).engines.node)[0]);

if (process.env.npm_lifecycle_event === "prepare") {
  if (!isFresh()) save(build()); // `npm ci`: build once, run nothing
} else if (Number(process.versions.node.split(".")[0]) < neededNode) {
  process.stderr.write(
    `retain-m365: needs Node ${neededNode} or later, and this is Node ${process.version}: run it as \`npx retain-m365\` (or through an npm script), which uses the Node ${neededNode} that npm ci installed into node_modules\n`,
  );
  process.exitCode = 2;
} else {
  enableCompileCache();
  load()
    .main(process.argv)
    .then((code) => {
      process.exitCode = code;
    });
}

#!/usr/bin/env node
"use strict";
// Runs the CLI from one bundle of this checkout's TypeScript (build/retain-m365.cjs: esbuild, npm
// packages left in node_modules), so no TypeScript loader runs at start. `npm ci` builds it (the
// `prepare` script runs this file); it is built again here whenever one of its source files changed since, so
// `npx retain-m365` always runs the code as it is. The bundle lies one folder below the checkout,
// as cli/*.ts do, so their paths relative to __dirname hold in it too.
const { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } = require("node:fs");
const path = require("node:path");

const root = path.resolve(__dirname, "..");
const bundle = path.join(root, "build", "retain-m365.cjs");
const inputsFile = path.join(root, "build", "retain-m365.inputs.json");

function isFresh() {
  if (!existsSync(bundle) || !existsSync(inputsFile)) return false;
  const built = statSync(bundle).mtimeMs;
  try {
    return JSON.parse(readFileSync(inputsFile, "utf8")).every((input) => statSync(path.join(root, input)).mtimeMs <= built);
  } catch {
    return false; // an input is gone, or the list is unreadable
  }
}

function build() {
  const { buildSync } = require("esbuild");
  const temp = `${bundle}.${process.pid}.tmp`;
  const result = buildSync({
    entryPoints: [path.join(root, "cli", "main.ts")],
    absWorkingDir: root,
    bundle: true,
    packages: "external",
    platform: "node",
    target: "node22",
    format: "cjs",
    outfile: temp,
    metafile: true,
    logLevel: "error",
  });
  const inputs = Object.keys(result.metafile.inputs).filter((input) => !input.includes("node_modules"));
  writeFileSync(`${inputsFile}.${process.pid}.tmp`, JSON.stringify(inputs));
  // Renames, so a CLI starting at the same moment reads the old bundle or the new one, never a part.
  renameSync(temp, bundle);
  renameSync(`${inputsFile}.${process.pid}.tmp`, inputsFile);
}

function load() {
  if (isFresh()) return require(bundle);
  try {
    mkdirSync(path.dirname(bundle), { recursive: true });
    build();
    return require(bundle);
  } catch (error) {
    for (const temp of [`${bundle}.${process.pid}.tmp`, `${inputsFile}.${process.pid}.tmp`]) rmSync(temp, { force: true });
    if (error && error.errors) throw error; // the TypeScript does not compile: say so
    // A checkout this user may not write to: run the TypeScript through tsx instead.
    require("tsx/cjs/api").register();
    return require("../cli/main.ts");
  }
}

if (process.env.npm_lifecycle_event === "prepare") {
  if (!isFresh()) build(); // `npm ci`: build once, run nothing
} else {
  load()
    .main(process.argv)
    .then((code) => {
      process.exitCode = code;
    });
}

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import ts from "typescript";
import { REPO_ROOT } from "./support/cli";

// The layering README's "Layout" section describes, held against the imports of every file; and
// its rooms: one folder per resource in components/ (declaration, provider, discovery, permissions),
// the nightly job's files in job/.

/** What each top-level part may import (besides itself), type imports included: the layers, bottom first. */
const MAY_IMPORT: Record<string, readonly string[]> = {
  // package.json: the version (core/version.ts), data below every layer.
  core: ["package.json"],
  m365: ["core"],
  cloudflare: ["core"],
  config: ["core", "m365"],
  components: ["core", "m365", "cloudflare"],
  job: ["core", "m365", "config"],
  sync: ["core", "m365"],
  program: ["core", "m365", "cloudflare", "config", "components", "sync", "job"],
  cli: ["core", "m365", "cloudflare", "config", "components", "sync", "job", "program"],
  "index.ts": ["core", "m365", "cloudflare", "config", "program"],
  bin: ["cli"],
  policy: ["m365"],
  emulators: [],
  bench: ["core", "m365", "sync", "emulators", "bin"],
  demo: ["emulators"],
  packaging: ["core"],
};
const PRODUCT_PARTS = ["core", "m365", "cloudflare", "config", "components", "sync", "job", "program", "cli", "index.ts", "bin", "policy"];

interface Import {
  target: string;
  /** Erased at compile time (`import type`, or only type names imported). */
  typeOnly: boolean;
}

const sourceFiles = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "*.ts", "*.js", "*.cjs"], {
  cwd: REPO_ROOT,
  encoding: "utf8",
})
  .split("\n")
  .filter((file) => file && !file.startsWith("test/") && existsSync(path.join(REPO_ROOT, file)));

const partOf = (file: string) => (file.includes("/") ? file.slice(0, file.indexOf("/")) : file);

function resolveImport(from: string, specifier: string): string | undefined {
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(from), specifier));
  if (base.endsWith(".json")) return existsSync(path.join(REPO_ROOT, base)) ? base : undefined;
  return ["", ".ts", ".js", "/index.ts"].map((ending) => base + ending).find((candidate) => sourceFiles.includes(candidate));
}

function importsOf(file: string): Import[] {
  const text = readFileSync(path.join(REPO_ROOT, file), "utf8");
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: Import[] = [];
  const add = (specifier: ts.Node | undefined, typeOnly: boolean) => {
    if (!specifier || !ts.isStringLiteralLike(specifier) || !specifier.text.startsWith(".")) return;
    const target = resolveImport(file, specifier.text);
    assert.ok(target, `${file}: cannot resolve "${specifier.text}"`);
    found.push({ target, typeOnly });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      const named = clause?.namedBindings && ts.isNamedImports(clause.namedBindings) ? clause.namedBindings.elements : undefined;
      const onlyTypes = !!clause && (clause.isTypeOnly || (!clause.name && !!named && named.length > 0 && named.every((element) => element.isTypeOnly)));
      add(node.moduleSpecifier, onlyTypes);
    } else if (ts.isExportDeclaration(node)) {
      add(node.moduleSpecifier, node.isTypeOnly);
    } else if (
      ts.isCallExpression(node) &&
      (node.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(node.expression) && node.expression.text === "require"))
    ) {
      add(node.arguments[0], false);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node.argument.literal, true);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const graph = new Map(sourceFiles.map((file) => [file, importsOf(file)]));

describe("layout: the folders are layers", () => {
  it("every part imports only the parts below it, type imports included", () => {
    const wrong: string[] = [];
    for (const [file, imports] of graph) {
      const from = partOf(file);
      const allowed = MAY_IMPORT[from];
      if (!allowed) continue;
      for (const { target } of imports) {
        const to = partOf(target);
        if (to !== from && !allowed.includes(to)) wrong.push(`${file} imports ${target}`);
      }
    }
    assert.deepEqual(wrong, []);
  });

  it("knows every top-level part that has code", () => {
    const unknown = [...new Set(sourceFiles.map(partOf))].filter((part) => !(part in MAY_IMPORT) && !part.endsWith(".mjs"));
    assert.deepEqual(unknown, []);
  });

  it("no file imports itself back at run time (no import cycle)", () => {
    const state = new Map<string, "visiting" | "done">();
    const cycles: string[] = [];
    const walk = (file: string, trail: string[]): void => {
      if (state.get(file) === "done") return;
      if (state.get(file) === "visiting") {
        cycles.push([...trail.slice(trail.indexOf(file)), file].join(" -> "));
        return;
      }
      state.set(file, "visiting");
      for (const { target, typeOnly } of graph.get(file) ?? []) if (!typeOnly) walk(target, [...trail, file]);
      state.set(file, "done");
    };
    for (const file of graph.keys()) walk(file, []);
    assert.deepEqual(cycles, []);
  });

  it("no product file keeps state on globalThis (a cache belongs to the object it serves)", () => {
    const usesGlobalThis = (node: ts.Node): boolean =>
      (ts.isIdentifier(node) && node.text === "globalThis") || (ts.forEachChild(node, usesGlobalThis) ?? false);
    const users = sourceFiles
      .filter((file) => PRODUCT_PARTS.includes(partOf(file)))
      .filter((file) => usesGlobalThis(ts.createSourceFile(file, readFileSync(path.join(REPO_ROOT, file), "utf8"), ts.ScriptTarget.Latest, true)));
    assert.deepEqual(users, []);
  });

  it("one folder per resource: each Exchange and identity component and dynamic resource is its folder's index.ts, beside its permissions.ts (and its provider.ts)", () => {
    // The DNS components keep their own seam (dns/providers/: one folder per DNS provider).
    const declares = (file: string, base: RegExp) => base.test(readFileSync(path.join(REPO_ROOT, file), "utf8"));
    const misplaced = sourceFiles
      .filter((file) => /^components\/(exchange|identity)\//.test(file))
      .flatMap((file) => {
        const dynamic = declares(file, /extends pulumi\.dynamic\.Resource\b/);
        if (!dynamic && !declares(file, /extends pulumi\.ComponentResource\b/)) return [];
        const folder = path.posix.dirname(file);
        const wanted = ["index.ts", "permissions.ts", ...(dynamic ? ["provider.ts"] : [])].map((name) => `${folder}/${name}`);
        return path.posix.basename(file) === "index.ts" && wanted.every((needed) => sourceFiles.includes(needed))
          ? []
          : [`${file}: wants ${wanted.join(", ")}`];
      });
    assert.deepEqual(misplaced, []);
  });

  it("README's Layout section names every top-level folder, and only folders that exist", () => {
    const readme = readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("## Layout"));
    const block = section.slice(section.indexOf("```") + 3, section.indexOf("```", section.indexOf("```") + 3));
    const named = new Set(
      block
        .split("\n")
        .flatMap((line) => (line.match(/^(\S.*?)(?:\s{2,}|$)/)?.[1] ?? "").split(",").map((name) => name.trim().replace(/\/$/, "")))
        .filter(Boolean),
    );
    for (const name of named) assert.ok(existsSync(path.join(REPO_ROOT, name)), `README names ${name}, which does not exist`);
    for (const part of Object.keys(MAY_IMPORT).filter((part) => existsSync(path.join(REPO_ROOT, part))))
      assert.ok(named.has(part), `README's Layout does not name ${part}`);
  });
});

import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { adminUserSchema, applicationSchema, directorySyncSchema, domainSchema, exchangeAccessSchema, keySchemas, workerUserSchema } from "../config/schema";
import { ExitCode } from "../core/errors";
import { AUTODISCOVER_TARGET } from "../m365/autodiscover";
import { CLOUDS } from "../m365/clouds";
import { GRAPH_APP_ROLES, MICROSOFT_GRAPH_APP_ID, READ_ONLY_DIRECTORY_ROLES } from "../m365/entra";
import { buildCli } from "../cli/main";
import { GROUP_COLUMNS, renderCsv, USER_COLUMNS } from "../sync/csv";
import { REPO_ROOT } from "./support/cli";
import { commandsIn, problemWith } from "./support/commands";

const SKIPPED = new Set(["node_modules", ".git", ".tmp", "dist"]);

/** The fields of an object schema, also when a transform follows it (a zod pipe: its input side). */
function objectShapeOf(schema: unknown): object {
  const s = schema as { shape?: object; in?: { shape?: object } };
  const shape = s.shape ?? s.in?.shape;
  assert.ok(shape, "not an object schema");
  return shape;
}

/** Every regular file of the repository, relative to its root. */
function repositoryFiles(dir = ""): string[] {
  return readdirSync(path.join(REPO_ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const relative = path.join(dir, entry.name);
    if (entry.isDirectory()) return SKIPPED.has(entry.name) ? [] : repositoryFiles(relative);
    return entry.isFile() ? [relative] : [];
  });
}

const read = (file: string) => readFileSync(path.join(REPO_ROOT, file), "utf8");
const docs = readdirSync(path.join(REPO_ROOT, "docs"))
  .filter((name) => name.endsWith(".md"))
  .map((name) => `docs/${name}`);

/** Heading texts of a Markdown file, outside code blocks. */
function headings(text: string): string[] {
  return text
    .replace(/```[\s\S]*?```/g, "")
    .split("\n")
    .flatMap((line) => /^#{1,6} (.+)$/.exec(line)?.[1] ?? []);
}
/** GitHub's anchor for a heading. */
const anchorOf = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");

/** The text of a `## name` section, up to the next heading of that level or higher. */
function section(text: string, heading: string): string {
  const lines = text.split("\n");
  const start = lines.findIndex((line) => line === heading);
  assert.ok(start >= 0, `no heading "${heading}"`);
  const level = heading.indexOf(" ");
  const end = lines.findIndex((line, i) => i > start && /^#+ /.test(line) && line.indexOf(" ") <= level);
  return lines.slice(start, end < 0 ? undefined : end).join("\n");
}

describe("docs: the references to them hold", () => {
  const files = repositoryFiles();

  it("every docs/….md a file names exists, with the heading it names", () => {
    let named = 0;
    for (const file of files) {
      for (const match of read(file).matchAll(/\bdocs\/([\w-]+\.md)(?:, "([^"]+)")?/g)) {
        named++;
        const doc = `docs/${match[1]}`;
        assert.ok(docs.includes(doc), `${file} names ${doc}, which does not exist`);
        const heading = match[2];
        if (heading) {
          assert.ok(
            headings(read(doc)).some((h) => h === heading || h.startsWith(`${heading} `)),
            `${file} names the heading "${heading}" of ${doc}, which has none`,
          );
        }
      }
    }
    assert.ok(named >= 10);
  });

  it("no file refers to notes outside the repository", () => {
    const outside = [["DESIGN", "md"].join("."), ["REFERENCE", "md"].join("."), ["..", "shared"].join("/")];
    for (const file of files) {
      const text = read(file);
      for (const name of outside) assert.ok(!text.includes(name), `${file} refers to ${name}`);
    }
  });

  it("every link of the README and docs/ leads to a file, and to a heading when it names one", () => {
    for (const file of ["README.md", ...docs]) {
      for (const match of read(file).matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = match[1]!;
        if (/^[a-z]+:/.test(target)) continue;
        const [linked, anchor] = target.split("#") as [string, string | undefined];
        const resolved = linked ? path.join(path.dirname(file), linked) : file;
        assert.ok(existsSync(path.join(REPO_ROOT, resolved)), `${file} links to ${target}, which does not exist`);
        if (anchor && resolved.endsWith(".md")) {
          assert.ok(headings(read(resolved)).map(anchorOf).includes(anchor), `${file} links to ${target}: ${resolved} has no such heading`);
        }
      }
    }
  });

  it("shows only retain-m365 commands and options that exist", () => {
    for (const doc of docs) for (const command of commandsIn(read(doc))) assert.equal(problemWith(command), undefined, `${doc}: ${command.join(" ")}`);
  });
});

describe("docs agree with the code", () => {
  it("cli.md: a section per subcommand naming each of its options, and every exit code", () => {
    const cli = read("docs/cli.md");
    const program = buildCli({ stdout: () => undefined, stderr: () => undefined });
    assert.ok(program.commands.length >= 5);
    for (const command of program.commands) {
      const text = section(cli, `## ${command.name()}`);
      for (const option of command.options) assert.ok(text.includes(`\`${option.long}`), `docs/cli.md, ${command.name()}: ${option.long} is not described`);
    }
    for (const option of program.options) assert.ok(cli.includes(`\`${option.long}\``), `docs/cli.md: ${option.long}`);
    const exitCodes = section(cli, "## Exit codes");
    for (const code of Object.values(ExitCode)) assert.match(exitCodes, new RegExp(`^\\| ${code} \\|`, "m"), `exit code ${code}`);
  });

  it("configuration.md: a section per key naming each field and its default", () => {
    const configuration = read("docs/configuration.md");
    for (const key of [...Object.keys(keySchemas), "cloudflare:apiToken"]) section(configuration, `### \`${key}\``);
    const fields: [string, unknown, Record<string, unknown>][] = [
      ["retain-m365:domains", domainSchema, { name: "contoso.com", zoneId: "0".repeat(32) }],
      ["retain-m365:adminUser", adminUserSchema, { userPrincipalName: "a@contoso.com" }],
      ["retain-m365:workerUser", workerUserSchema, { userPrincipalName: "w@contoso.com", usageLocation: "US", licenseSku: "EXCHANGESTANDARD" }],
      ["retain-m365:exchangeAccess", exchangeAccessSchema, { scopeGroup: "Retain Archived Users" }],
      ["retain-m365:directorySync", directorySyncSchema, {}],
      ["retain-m365:application", applicationSchema, {}],
    ];
    for (const [key, schema, minimal] of fields) {
      const text = section(configuration, `### \`${key}\``);
      for (const field of Object.keys(objectShapeOf(schema))) assert.ok(text.includes(`\`${field}\``), `${key}.${field} is not described`);
      // Field defaults are stated in the docs; a value derived from other fields by a transform is not a default.
      const fieldSide = (schema as { in?: unknown }).in ?? schema;
      const parsed = (fieldSide as { parse: (value: unknown) => Record<string, unknown> }).parse(minimal);
      for (const [field, value] of Object.entries(parsed)) {
        if (field in minimal || typeof value === "object") continue;
        assert.ok(text.includes(`\`${String(value)}\``), `${key}.${field}: the default ${String(value)} is not stated`);
      }
    }
  });

  it("csv-format.md: the header of each file as written", () => {
    const csv = read("docs/csv-format.md");
    for (const columns of [USER_COLUMNS, GROUP_COLUMNS]) assert.ok(csv.includes(`\n${renderCsv(columns, []).trimEnd()}\n`), columns.join(","));
  });

  it("microsoft-365.md: the targets, endpoints and ids the code uses", () => {
    const m365 = read("docs/microsoft-365.md");
    const facts = [
      AUTODISCOVER_TARGET,
      ...Object.values(CLOUDS).flatMap((cloud) => [cloud.graph, cloud.exchange, cloud.compliance, cloud.login]),
      MICROSOFT_GRAPH_APP_ID,
      ...Object.keys(GRAPH_APP_ROLES),
      ...Object.values(GRAPH_APP_ROLES),
      ...Object.values(READ_ONLY_DIRECTORY_ROLES),
    ];
    for (const fact of facts) assert.ok(m365.includes(fact), `docs/microsoft-365.md lacks ${fact}`);
  });
});

import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { CLOUDFLARE_AUTH_ERROR_CODES } from "../cloudflare/dns-api";
import { ExitCode } from "../core/errors";
import { EWS_POLICY_REASON } from "../m365/exchange-facts";
import { REPO_ROOT } from "./support/cli";
import { commandsIn, problemWith } from "./support/commands";
import { exitCodeTable } from "./support/contract";

// docs/troubleshooting.md held to the code: a section per exit code (core/errors.ts), a cause and a
// fix for every Microsoft and Cloudflare code it names, the messages it quotes as the code words
// them, and only links, anchors and commands that exist.

const PAGE = "docs/troubleshooting.md";
const read = (file: string) => readFileSync(path.join(REPO_ROOT, file), "utf8");
const page = read(PAGE);

/** Heading lines of a Markdown text, outside code blocks. */
const headingLines = (text: string) =>
  text
    .replace(/```[\s\S]*?```/g, "")
    .split("\n")
    .filter((line) => /^#{1,6} /.test(line));

/** GitHub's anchor for a heading (as test/docs.test.ts computes it). */
const anchorOf = (heading: string) =>
  heading
    .replace(/^#+ /, "")
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");

/** The sections under a heading level: each heading line with its text up to the next heading of that level or higher. */
function sections(text: string, level: number): { heading: string; body: string }[] {
  const lines = text.split("\n");
  const found: { heading: string; body: string }[] = [];
  let inCode = false;
  let current: { heading: string; lines: string[] } | undefined;
  for (const line of lines) {
    if (line.startsWith("```")) inCode = !inCode;
    const depth = inCode ? 0 : (/^(#+) /.exec(line)?.[1]?.length ?? 0);
    if (depth > 0 && depth <= level) {
      if (current) found.push({ heading: current.heading, body: current.lines.join("\n") });
      current = depth === level ? { heading: line, lines: [] } : undefined;
    } else current?.lines.push(line);
  }
  if (current) found.push({ heading: current.heading, body: current.lines.join("\n") });
  return found;
}

/** The `###` sections under a `##` heading. */
function subsections(heading: string): { heading: string; body: string }[] {
  const part = sections(page, 2).find((s) => s.heading === heading);
  assert.ok(part, `${PAGE} has no "${heading}"`);
  return sections(part.body, 3);
}

const exitSections = () => subsections("## Exit codes");
const refusals = () => subsections("## Refusals");

describe("docs/troubleshooting.md: every exit code", () => {
  it("has a section per ExitCode value, naming its key, and none for a code the CLI does not have", () => {
    const codes = Object.entries(ExitCode);
    for (const [key, code] of codes) {
      const matching = exitSections().filter((s) => s.heading.startsWith(`### Exit ${code}:`));
      assert.equal(matching.length, 1, `${PAGE}: one "### Exit ${code}: …" section for ExitCode.${key}`);
      assert.ok(matching[0]!.heading.includes(`\`${key}\``), `${PAGE}: the section of exit ${code} names ExitCode.${key}: ${matching[0]!.heading}`);
      assert.match(page, new RegExp(`^\\| ${code} \\| .+ \\| .+ \\|$`, "m"), `${PAGE}: the summary table has a row for exit ${code}`);
    }
    const documented = exitSections().map((s) => Number(/^### Exit (\d+):/.exec(s.heading)?.[1]));
    assert.deepEqual(documented, Object.values(ExitCode), "one section per code, in order, and no other");
  });

  it("names, in each code's section, every subcommand docs/cli.md says can return it", () => {
    const table = exitCodeTable(read("docs/cli.md"));
    assert.ok(table.size >= 8);
    for (const code of Object.values(ExitCode)) {
      const section = exitSections().find((s) => s.heading.startsWith(`### Exit ${code}:`));
      assert.ok(section, `${PAGE}: no section for exit ${code}`);
      for (const [subcommand, returns] of table) {
        if (returns.includes(code)) assert.ok(section.body.includes(`\`${subcommand}\``), `${PAGE}, exit ${code}: says what it means for ${subcommand}`);
      }
    }
  });

  it("gives each code something to do first", () => {
    for (const { heading, body } of exitSections()) {
      const code = Number(/^### Exit (\d+):/.exec(heading)?.[1]);
      assert.ok(code === ExitCode.ok || /\*\*First[,:]/.test(body), `${heading}: a **First:** paragraph`);
    }
  });
});

describe("docs/troubleshooting.md: the refusals", () => {
  it("each with what the user sees, its cause, its fix and a public source", () => {
    assert.ok(refusals().length >= 6);
    for (const { heading, body } of refusals()) {
      assert.ok(body.includes("**What you see**"), `${heading}: what the user sees`);
      assert.match(body, /\*\*Cause[^*]*:\*\*/, `${heading}: the cause`);
      assert.match(body, /\*\*(Fix|Cause and fix):\*\*/, `${heading}: the fix`);
      assert.match(body, /\*\*Source:\*\*[\s\S]*https:\/\/\S+/, `${heading}: a public source`);
    }
  });

  it("covers the refusals met most often", () => {
    const headings = refusals().map((s) => s.heading);
    for (const named of ["AADSTS700027", "AADSTS7000215", "AADSTS700213", "Exchange", "X-EWS-Policy-Reason", "Cloudflare 10000", "9109"]) {
      assert.ok(
        headings.some((h) => h.includes(named)),
        `${PAGE}: a refusal section for ${named}`,
      );
    }
    if (existsSync(path.join(REPO_ROOT, "docs", "compliance.md"))) {
      const compliance = refusals().find((s) => s.heading.includes("Security & Compliance"));
      assert.ok(compliance?.body.includes("](compliance.md"), `${PAGE}: the Security & Compliance refusals link docs/compliance.md`);
    }
  });

  it("explains every AADSTS code it names in a refusal with a fix", () => {
    const named = new Set([...page.matchAll(/AADSTS\d+/g)].map((m) => m[0]));
    assert.ok(named.size >= 4);
    for (const code of named) {
      assert.ok(
        refusals().some((s) => (s.heading + s.body).includes(code) && /\*\*(Fix|Cause and fix):\*\*/.test(s.body)),
        `${PAGE}: ${code} is explained in a refusal with a fix`,
      );
    }
  });

  it("names only Cloudflare codes the client treats as a refused credential (exit 3), 10000 and 9109 among them", () => {
    const cloudflare = refusals().filter((s) => /^### Cloudflare /.test(s.heading));
    assert.equal(cloudflare.length, 1);
    const codes = [...cloudflare[0]!.heading.matchAll(/\b\d{3,5}\b/g)].map((m) => Number(m[0]));
    assert.deepEqual(codes, [10000, 9109]);
    for (const code of codes) {
      assert.ok(CLOUDFLARE_AUTH_ERROR_CODES.includes(code), `Cloudflare ${code} is a refusal in cloudflare/dns-api.ts`);
      assert.match(cloudflare[0]!.body, new RegExp(`\\*\\*Cause, ${code}`), `Cloudflare ${code}: its own cause`);
    }
  });

  it("quotes both X-EWS-Policy-Reason values EWS answers with", () => {
    const ews = refusals().find((s) => s.heading.includes("X-EWS-Policy-Reason"))!;
    for (const reason of Object.values(EWS_POLICY_REASON)) assert.ok(ews.body.includes(reason), `${PAGE}: "${reason}"`);
  });

  it("quotes the messages as the code words them", () => {
    // Each fragment is literal text of the file named (no interpolation inside), and the page shows it.
    const fragments: [string, string][] = [
      ["m365/app-certificate.ts", ") is not registered for Retain's app: add it to the stack's "],
      ["m365/app-certificate.ts", "retain-m365:application.credential.certificates and run pulumi up ("],
      ["cli/sync-credential.ts", "Entra ID refused the certificate "],
      ["cli/sync-credential.ts", "; trying the next newest, "],
      ["cli/sync-credential.ts", "no credential: give --certificate <pem> or set the client secret in "],
      ["m365/graph-client.ts", " was refused (authentication or permission): "],
      ["cli/verify-access.ts", "Entra ID refused to sign in Retain's app "],
      ["cli/verify-access.ts", "is refused by the organization's EWS allow list: EwsAllowedAppIDs leaves Retain's app "],
      ["cli/verify-access.ts", "is refused because EWS is disabled for this mailbox or the organization"],
      ["cli/verify-access.ts", "Retain's app holds no EWS permission in Exchange (the role "],
      ["cli/verify-access.ts", "the mailbox is outside Retain's management scope, or the app holds no "],
      ["m365/credentials.ts", "GitHub's OIDC token request "],
      ["m365/credentials.ts", "(ACTIONS_ID_TOKEN_REQUEST_TOKEN is wrong or expired)"],
      ["m365/credentials.ts", "could not reach the Entra ID login host "],
      [
        "program/readiness/exchange-reads.ts",
        "and the Entra role Global Reader (or Exchange's View-Only Organization Management role group), for the identity running readiness",
      ],
      ["components/exchange/discovery.ts", ", for the identity running adopt"],
      ["components/exchange/objects.ts", " — reading Exchange back (a refresh) needs "],
      ["components/identity/accounts/discovery.ts", "Reading the declared users needs the Graph permission "],
      ["components/compliance/retention-policy/provider.ts", "deploying the retention policy"],
      ["components/dns/providers/cloudflare/zone.ts", " — the token needs Zone › DNS › Read on that zone"],
      ["components/dns/providers/cloudflare/zone.ts", "reading them needs a Cloudflare API token (Zone › DNS › Read)"],
      ["cli/run-command.ts", "unexpected failure: "],
      ["cli/run-command.ts", " (run with --debug for details)"],
      ["sync/safety-guard.ts", "; the previous files are left untouched"],
      ["cli/adopt.ts", " a decision before the first deploy: set the key"],
      ["program/program.ts", " the stack would have to change, and nothing changes until a decision is made"],
      ["cli/readiness.ts", "Retain cannot archive every mailbox it should through EWS today: "],
      ["cli/verify.ts", " checks failed"],
    ];
    for (const [file, fragment] of fragments) {
      assert.ok(read(file).includes(fragment), `${file} no longer says "${fragment}": update ${PAGE}`);
      assert.ok(page.includes(fragment.trim()), `${PAGE} does not show "${fragment.trim()}" (${file})`);
    }
  });
});

describe("docs/troubleshooting.md: its links and commands", () => {
  it("links only to files that exist, and to headings they have", () => {
    const links = [...page.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((target) => !/^[a-z]+:/.test(target));
    assert.ok(links.length >= 20);
    for (const target of links) {
      const [linked, anchor] = target.split("#") as [string, string | undefined];
      const file = linked ? path.join("docs", linked) : PAGE;
      assert.ok(existsSync(path.join(REPO_ROOT, file)), `${PAGE} links to ${target}, which does not exist`);
      if (anchor) assert.ok(headingLines(read(file)).map(anchorOf).includes(anchor), `${PAGE} links to ${target}: ${file} has no such heading`);
    }
  });

  it("shows only retain-m365 subcommands and options that exist", () => {
    const commands = commandsIn(page).filter(([tool]) => tool === "retain-m365");
    assert.ok(commands.length >= 8);
    for (const command of commandsIn(page)) assert.equal(problemWith(command), undefined, command.join(" "));
  });

  it("is linked from docs/cli.md's exit codes", () => {
    const exitCodes = read("docs/cli.md").split("\n## Exit codes\n")[1]!.split("\n## ")[0]!;
    assert.ok(exitCodes.includes("](troubleshooting.md)"));
  });
});

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { before, describe, it } from "node:test";
import { parse } from "yaml";
import { MATRIX_MAX_JOBS } from "../cli/stacks";
import { ewsShutdown } from "../m365/ews-retirement";
import { MINIMUM_PULUMI_CLI } from "../program/pulumi-cli";
import { REPO_ROOT } from "./support/cli";
import { commandsIn, problemWith } from "./support/commands";

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
  if?: string;
}
interface Job {
  name?: string;
  "runs-on"?: string;
  environment?: string;
  concurrency?: { group: string; "cancel-in-progress"?: boolean };
  strategy?: { matrix?: Record<string, unknown>; "fail-fast"?: boolean; "max-parallel"?: number };
  permissions?: Record<string, string>;
  needs?: string;
  if?: string;
  steps: Step[];
  /** Set on a job that, as this file has it, calls a reusable workflow of the repository (see `workflow`). */
  calls?: { uses: string; strategy?: Job["strategy"]; with?: Record<string, string>; secrets?: Record<string, string> };
}
interface Workflow {
  name: string;
  on: Record<string, unknown>;
  jobs: Record<string, Job>;
}
/** A job as the YAML has it: steps, or `uses:` of a reusable workflow with `with:` and `secrets:`. */
type RawJob = Omit<Job, "steps"> & { steps?: Step[]; uses?: string; with?: Record<string, string>; secrets?: Record<string, string> };
interface ActionMetadata {
  inputs?: Record<string, { required?: boolean; default?: string }>;
  runs: { using: string; steps: Step[] };
}

const WORKFLOWS = path.join(REPO_ROOT, ".github", "workflows");
const workflowFiles = readdirSync(WORKFLOWS).filter((name) => /\.ya?ml$/.test(name));
const rawWorkflow = (name: string) => parse(readFileSync(path.join(WORKFLOWS, name), "utf8")) as Omit<Workflow, "jobs"> & { jobs: Record<string, RawJob> };
/** The repository's reusable workflows (on: workflow_call only): their jobs are checked where they are called. */
const reusableFiles = workflowFiles.filter((file) => Object.keys(rawWorkflow(file).on).join() === "workflow_call");
const clone = <T>(value: T): T => structuredClone(value);
const LEVELS: Record<string, number> = { none: 0, read: 1, write: 2 };
/**
 * A workflow as its jobs run: a job calling one of the repository's reusable workflows stands for
 * the called workflow's one job, with the caller's `if` before its own (both must hold), the
 * caller's permissions as the ceiling of its own (GitHub: a called workflow can only lower them),
 * the secrets the caller passes, and the call itself under `calls`.
 */
const workflow = (name: string): Workflow => {
  const raw = rawWorkflow(name);
  const jobs = Object.fromEntries(
    Object.entries(raw.jobs).map(([key, job]) => {
      if (!job.uses) return [key, job as Job];
      assert.match(job.uses, /^\.\/\.github\/workflows\/[\w-]+\.yml$/, `${name} ${key}: a reusable workflow of this repository`);
      const called = Object.values(rawWorkflow(path.basename(job.uses)).jobs);
      assert.equal(called.length, 1, `${job.uses}: one job`);
      const inner = called[0]!;
      const ceiling = job.permissions ?? (raw as { permissions?: Record<string, string> }).permissions ?? {};
      const permissions = Object.fromEntries(
        Object.entries(inner.permissions ?? {}).map(([scope, level]) => [
          scope,
          LEVELS[level]! <= LEVELS[ceiling[scope] ?? "none"]! ? level : (ceiling[scope] ?? "none"),
        ]),
      );
      const expanded: Job = {
        ...(inner as Job),
        if: [job.if, inner.if].filter(Boolean).join(" && ") || undefined,
        permissions,
        secrets: job.secrets,
        calls: { uses: job.uses, strategy: job.strategy, with: job.with, secrets: job.secrets },
      } as Job;
      return [key, expanded];
    }),
  );
  return { ...raw, jobs } as Workflow;
};
const localActions = readdirSync(path.join(REPO_ROOT, ".github", "actions")).map((name) => `./.github/actions/${name}`);
const action = (uses: string) => parse(readFileSync(path.join(REPO_ROOT, uses, "action.yml"), "utf8")) as ActionMetadata;
const allSteps = (): { where: string; step: Step }[] => [
  ...workflowFiles
    .filter((file) => !reusableFiles.includes(file))
    .flatMap((file) => Object.entries(workflow(file).jobs).flatMap(([job, j]) => j.steps.map((step) => ({ where: `${file} ${job}`, step })))),
  ...localActions.flatMap((uses) => action(uses).runs.steps.map((step) => ({ where: uses, step }))),
];

/**
 * A stub `gh` for issue scripts: logs each call's arguments (one line each) to <bin>/calls;
 * `gh issue list … --json …` prints `issues` as JSON, through the real jq when the call has a
 * --jq program (as gh would); other calls print nothing.
 */
function writeStubGh(bin: string, issues: { number: number; title: string }[]): void {
  writeFileSync(path.join(bin, "issues.json"), JSON.stringify(issues));
  writeFileSync(
    path.join(bin, "gh"),
    `#!/bin/bash
printf '%s\\n' "$*" >> "${bin}/calls"
[ "$2" = list ] || exit 0
program=""
while [ $# -gt 0 ]; do [ "$1" = --jq ] && program="$2"; shift; done
if [ -n "$program" ]; then jq -r "$program" "${bin}/issues.json"; else cat "${bin}/issues.json"; fi
`,
    { mode: 0o755 },
  );
}

/** Each remote action's `uses:` value (owner/repo@ref) with the comment after it on the line, in every workflow and composite action. */
function pinComments(): Map<string, string> {
  const pins = new Map<string, string>();
  for (const { uses, comment } of usesLines()) pins.set(uses, comment);
  return pins;
}
const yamlFiles = (): { file: string; text: string }[] => [
  ...workflowFiles.map((name) => ({ file: `.github/workflows/${name}`, text: readFileSync(path.join(WORKFLOWS, name), "utf8") })),
  ...localActions.map((uses) => ({ file: `${uses.slice(2)}/action.yml`, text: readFileSync(path.join(REPO_ROOT, uses, "action.yml"), "utf8") })),
];
/** Every `uses:` line of the given YAML texts, with its value and the comment after it. */
function usesLines(files = yamlFiles()): { file: string; uses: string; comment: string }[] {
  return files.flatMap(({ file, text }) =>
    [...text.matchAll(/^\s*(?:-\s+)?uses:\s*["']?([^\s"'#]+)["']?[ \t]*(?:#[ \t]*(.*))?$/gm)].map((match) => ({
      file,
      uses: match[1]!,
      comment: (match[2] ?? "").trim(),
    })),
  );
}

// pulumi/actions v6 inputs (action.yml of pulumi/actions v6): a misspelt input is otherwise ignored silently.
const PULUMI_ACTION_INPUTS = new Set([
  "command",
  "stack-name",
  "work-dir",
  "comment-on-pr",
  "comment-on-pr-number",
  "comment-on-summary",
  "github-token",
  "cloud-url",
  "secrets-provider",
  "parallel",
  "message",
  "config-map",
  "expect-no-changes",
  "diff",
  "replace",
  "exclude",
  "exclude-dependents",
  "target",
  "target-dependents",
  "policyPacks",
  "policyPackConfigs",
  "refresh",
  "upsert",
  "remove",
  "edit-pr-comment",
  "color",
  "exclude-protected",
  "plan",
  "suppress-outputs",
  "suppress-progress",
  "always-include-summary",
  "continue-on-error",
  "log-verbosity",
  "log-flow",
  "debug",
  "pulumi-version",
  "pulumi-version-file",
]);

describe("GitHub workflows: valid", () => {
  it("pass actionlint (syntax, expressions, contexts, known actions' inputs)", () => {
    const linter = path.join(REPO_ROOT, "node_modules", "@tktco", "node-actionlint", "bin", "node-actionlint.js");
    const result = spawnSync(process.execPath, [linter], { cwd: REPO_ROOT, encoding: "utf8", timeout: 60_000 });
    assert.equal(result.status, 0, result.stdout + result.stderr);
    assert.match(result.stdout, new RegExp(`Checking ${workflowFiles.length} workflow file`));
  });

  it("give the repository's own composite actions only the inputs they declare, and every required one", () => {
    for (const { where, step } of allSteps().filter(({ step }) => step.uses?.startsWith("./"))) {
      assert.ok(localActions.includes(step.uses!), `${where}: ${step.uses} does not exist`);
      const inputs = action(step.uses!).inputs ?? {};
      for (const key of Object.keys(step.with ?? {})) assert.ok(key in inputs, `${where}: ${step.uses} has no input ${key}`);
      for (const [key, input] of Object.entries(inputs)) {
        if (input.required && input.default === undefined) assert.ok(key in (step.with ?? {}), `${where}: ${step.uses} needs ${key}`);
      }
    }
  });

  it("give pulumi/actions only its v6 inputs, always with the policy pack", () => {
    const pulumiSteps = allSteps().filter(({ step }) => step.uses?.startsWith("pulumi/actions@"));
    assert.ok(pulumiSteps.length > 0);
    for (const { where, step } of pulumiSteps) {
      assert.match(step.uses!, /^pulumi\/actions@[0-9a-f]{40}$/, where);
      assert.match(pinComments().get(step.uses!) ?? "", /^v6\./, `${where}: pulumi/actions v6, whose inputs these are`);
      for (const key of Object.keys(step.with ?? {})) assert.ok(PULUMI_ACTION_INPUTS.has(key), `${where}: pulumi/actions has no input ${key}`);
      assert.equal(step.with?.policyPacks, "policy", `${where}: runs the policy pack`);
      assert.ok(existsSync(path.join(REPO_ROOT, "policy", "PulumiPolicy.yaml")), "the policy pack is in policy/");
    }
  });

  it("pin the Pulumi CLI to the installed SDK's release, at least the program's minimum", () => {
    // The CLI and @pulumi/pulumi are released in lockstep: pin the CLI of the SDK the program runs on.
    const sdk = (JSON.parse(readFileSync(path.join(REPO_ROOT, "node_modules", "@pulumi", "pulumi", "package.json"), "utf8")) as { version: string }).version;
    const parts = (version: string) => version.split(".").map(Number);
    const atLeast = (version: string, minimum: string) => {
      const [a, b] = [parts(version), parts(minimum)];
      const i = a.findIndex((n, k) => n !== b[k]);
      return i === -1 || a[i]! > b[i]!;
    };
    const pulumiSteps = allSteps().filter(({ step }) => step.uses?.startsWith("pulumi/actions@"));
    assert.ok(pulumiSteps.length > 0);
    for (const { where, step } of pulumiSteps) {
      const pinned = step.with?.["pulumi-version"];
      assert.ok(typeof pinned === "string" && /^\d+\.\d+\.\d+$/.test(pinned), `${where}: pulumi-version ${String(pinned)} is not an exact x.y.z`);
      assert.ok(atLeast(pinned, MINIMUM_PULUMI_CLI), `${where}: pulumi-version ${pinned} is older than ${MINIMUM_PULUMI_CLI}, which the program needs`);
      assert.equal(pinned, sdk, `${where}: pulumi-version ${pinned} is not the installed @pulumi/pulumi ${sdk}; move them together`);
    }
    assert.ok(atLeast("3.182.0", "3.182.0") && atLeast("3.1000.0", "3.182.0") && !atLeast("3.181.9", "3.182.0") && !atLeast("2.999.0", "3.182.0"));
  });

  it("run only commands this package has (subcommands, options, npm scripts, files)", () => {
    const commands = allSteps().flatMap(({ where, step }) => commandsIn(step.run ?? "").map((command) => ({ where, command })));
    assert.ok(commands.some(({ command }) => command[1] === "stacks"));
    for (const { where, command } of commands) assert.equal(problemWith(command), undefined, `${where}: ${command.join(" ")}`);
  });
});

describe("GitHub workflows: what each does", () => {
  it("CI builds the Retain-server package and keeps both archives and their checksums as an artifact", () => {
    const job = workflow("ci.yml").jobs.package!;
    const build = job.steps.findIndex((step) => step.run === "npm run package");
    const upload = job.steps.findIndex((step) => step.uses?.startsWith("actions/upload-artifact@"));
    assert.ok(build >= 0 && upload > build, "npm run package, then the upload");
    assert.equal(job.steps[upload]?.with?.path, "dist/");
    assert.equal(job.steps[upload]?.with?.["if-no-files-found"], "error");
  });

  it("pull requests: a preview per changed stack with its diff as a comment; forks get the offline plan instead", () => {
    const preview = workflow("preview.yml");
    assert.ok("pull_request" in preview.on);
    const online = preview.jobs.preview!;
    assert.match(online.if ?? "", /fork == 'false'/);
    assert.equal(online.environment, "preview-${{ matrix.stack }}");
    assert.equal(online.permissions?.["id-token"], "write", "OIDC workload identity federation");
    const run = online.steps.find((step) => step.uses === "./.github/actions/pulumi")!;
    assert.deepEqual([run.with?.command, run.with?.["comment-on-pr"]], ["preview", "true"]);
    const fork = preview.jobs["offline-plan"]!;
    assert.match(fork.if ?? "", /fork == 'true'/);
    assert.ok(!fork.permissions && !fork.environment, "no credentials for code from a fork");
    assert.ok(fork.steps.some((step) => /retain-m365 plan --stack/.test(step.run ?? "")));
    const comment = workflow("offline-plan-comment.yml");
    assert.deepEqual((comment.on.workflow_run as { workflows: string[] }).workflows, [preview.name]);
  });

  it("merge to main: pulumi up of each changed stack, one job per stack, serialized per stack, behind its environment", () => {
    const deploy = workflow("deploy.yml");
    assert.deepEqual((deploy.on.push as { branches: string[] }).branches, ["main"]);
    const up = deploy.jobs.up!;
    assert.equal(up.calls?.strategy?.matrix?.stacks, "${{ fromJSON(needs.stacks.outputs.shards) }}", "one job per shard of stacks");
    assert.equal(up.strategy?.matrix?.stack, "${{ fromJSON(inputs.stacks) }}", "one job per stack of the shard");
    assert.equal(up.environment, "deploy-${{ matrix.stack }}");
    assert.deepEqual(up.concurrency, { group: "deploy-${{ matrix.stack }}", "cancel-in-progress": false });
    assert.equal(up.steps.find((step) => step.uses === "./.github/actions/pulumi")?.with?.command, "up");
  });

  it("nightly: drift detection per stack that fails the job and opens or updates one issue per stack", () => {
    const drift = workflow("drift.yml");
    assert.ok(Array.isArray(drift.on.schedule));
    const job = drift.jobs.drift!;
    const check = job.steps.find((step) => step.uses === "./.github/actions/pulumi")!;
    assert.deepEqual([check.with?.command, check.with?.["expect-no-changes"], check.with?.refresh], ["preview", "true", "true"]);
    assert.equal(job.permissions?.issues, "write");
    const open = job.steps.find((step) => step.if === "failure()")!;
    assert.match(open.run ?? "", /title="Drift: tenant stack \$STACK"/);
    assert.match(open.run ?? "", /gh issue comment[\s\S]*gh issue create/);
  });

  describe("nightly: one issue per stack whose app credential expires within 30 days, from its stack outputs", () => {
    const step = () => workflow("drift.yml").jobs.drift!.steps.find((s) => /applicationCredentialExpires/.test(s.run ?? ""))!;
    /** Runs the step's script with a stub `pulumi` answering `outputs` and a stub `gh` that logs its arguments and answers `openIssue`. */
    const runStep = (outputs: Record<string, unknown>, openIssue: string): string[] => {
      const bin = mkdtempSync(path.join(tmpdir(), "retain-drift-bin-"));
      writeFileSync(
        path.join(bin, "pulumi"),
        `#!/bin/sh
[ "$1" = login ] && exit 0
echo '${JSON.stringify(outputs)}'
`,
        { mode: 0o755 },
      );
      writeStubGh(
        bin,
        openIssue
          ? [
              { number: Number(openIssue), title: "Credential expiring: tenant stack contoso" },
              { number: 7, title: "Credential expiring: tenant stack other" },
            ]
          : [],
      );
      const result = spawnSync("bash", ["-eo", "pipefail", "-c", step().run!], {
        env: {
          PATH: `${bin}:${process.env.PATH}`,
          REPO: "o/r",
          STACK: "contoso",
          RUN_URL: "https://run",
          WITHIN_DAYS: step().env?.WITHIN_DAYS,
          BACKEND_URL: "file://x",
        },
        encoding: "utf8",
      });
      assert.equal(result.status, 0, result.stderr);
      return existsSync(path.join(bin, "calls")) ? readFileSync(path.join(bin, "calls"), "utf8").trim().split("\n") : [];
    };
    const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();

    it("runs whatever the drift check found and reads the stack output applicationCredentialExpires", () => {
      assert.equal(step().if, "${{ !cancelled() }}");
      assert.equal(step().env?.WITHIN_DAYS, "30");
      assert.match(step().run!, /pulumi stack output --json --stack "\$STACK"/);
    });

    it("opens an issue when the credential expires within 30 days, comments on the open one after that", () => {
      const opened = runStep({ applicationCredentialExpires: inDays(10) }, "");
      assert.ok(
        opened.some((call) =>
          /^issue create --repo o\/r --title Credential expiring: tenant stack contoso --label credential-expiry --body .*expires on /.test(call),
        ),
        opened.join("\n"),
      );
      const updated = runStep({ applicationCredentialExpires: inDays(10) }, "42");
      assert.ok(
        updated.some((call) => call.startsWith("issue comment 42 ")),
        updated.join("\n"),
      );
      assert.ok(!updated.some((call) => call.startsWith("issue create")));
    });

    it("closes the open issue once the credential is renewed, and opens none for a distant expiry", () => {
      const renewed = runStep({ applicationCredentialExpires: inDays(200) }, "42");
      assert.ok(
        renewed.some((call) => call.startsWith("issue close 42 ")),
        renewed.join("\n"),
      );
      assert.ok(!runStep({ applicationCredentialExpires: inDays(31) }, "").some((call) => /^issue (create|comment)/.test(call)));
    });
  });

  describe("nightly: ONE issue for the repository listing the stacks still relying on EWS, from 60 days before it ends", () => {
    const job = () => workflow("drift.yml").jobs.stacks!;
    const step = () => job().steps.find((s) => /--relying-on-ews/.test(s.run ?? ""))!;
    const exampleStack = readFileSync(path.join(REPO_ROOT, "stacks", "Pulumi.example.yaml"), "utf8");
    /**
     * Runs the step's script in a checkout whose stacks/ holds `relying` stacks on EWS and one on
     * Graph roles only, with the real CLI behind a stub `npx`, and a stub `gh` that logs its
     * arguments and answers `openIssue` to a list.
     */
    const runStep = (relying: number, openIssue: string, withinDays: string): { calls: string; created: number } => {
      const checkout = mkdtempSync(path.join(tmpdir(), "retain-ews-issue-"));
      mkdirSync(path.join(checkout, "stacks"));
      for (let i = 0; i < relying; i++) writeFileSync(path.join(checkout, "stacks", `Pulumi.tenant-${String(i).padStart(3, "0")}.yaml`), exampleStack);
      writeFileSync(
        path.join(checkout, "stacks", "Pulumi.graph-only.yaml"),
        exampleStack.replace("      - Application EWS.AccessAsApp", "      - Application Mail.Read"),
      );
      const bin = path.join(checkout, "bin");
      mkdirSync(bin);
      writeFileSync(
        path.join(bin, "npx"),
        `#!/bin/sh\n[ "$1" = retain-m365 ] && shift\nexec "${process.execPath}" "${path.join(REPO_ROOT, "bin", "retain-m365.js")}" "$@"\n`,
        { mode: 0o755 },
      );
      writeFileSync(path.join(bin, "gh"), `#!/bin/sh\nprintf '%s\\n' "$*" >> "${bin}/calls"\n[ "$2" = list ] && echo "${openIssue}"\nexit 0\n`, {
        mode: 0o755,
      });
      const result = spawnSync("bash", ["-eo", "pipefail", "-c", step().run!], {
        cwd: checkout,
        env: { PATH: `${bin}:${process.env.PATH}`, REPO: "o/r", RUN_URL: "https://run", WITHIN_DAYS: withinDays, HOME: process.env.HOME },
        encoding: "utf8",
      });
      assert.equal(result.status, 0, result.stderr);
      const calls = existsSync(path.join(bin, "calls")) ? readFileSync(path.join(bin, "calls"), "utf8") : "";
      return { calls, created: calls.split("\n").filter((line) => line.startsWith("issue create")).length };
    };
    const { shutdown, daysLeft } = ewsShutdown("global");
    if (daysLeft === null) throw new Error("the worldwide cloud's shutdown date is known");
    const always = "100000";

    it("runs once for the repository, in the job that lists the stacks, 60 days ahead", () => {
      assert.equal(job().strategy, undefined, "not once per stack");
      assert.equal(job().permissions?.issues, "write");
      assert.equal(step().env?.WITHIN_DAYS, "60");
      assert.equal(step().if, undefined);
    });

    it("opens one issue naming the one stack on EWS with the date and the days left; none before the window", () => {
      const { calls, created } = runStep(1, "", always);
      assert.equal(created, 1, calls);
      assert.match(
        calls,
        new RegExp(
          `^issue create --repo o/r --title EWS ends on ${shutdown}: tenant stacks still relying on it --label ews-shutdown --body EWS in Exchange Online ends for good on ${shutdown}, in ${daysLeft} days`,
          "m",
        ),
      );
      assert.match(calls, /^- `tenant-000`$/m);
      assert.doesNotMatch(calls, /graph-only/, "a stack on Graph roles only does not rely on EWS");
      assert.doesNotMatch(runStep(1, "", String(daysLeft - 1)).calls, /issue (create|edit|comment)/, "more than WITHIN_DAYS away: no issue");
    });

    it("300 stacks make one issue listing all of them, and the next night rewrites that issue instead of opening another", () => {
      const first = runStep(300, "", always);
      assert.equal(first.created, 1);
      assert.equal(first.calls.match(/^- `tenant-\d{3}`$/gm)?.length, 300);
      const next = runStep(300, "17", always);
      assert.equal(next.created, 0);
      assert.match(next.calls, /^issue edit 17 --repo o\/r --body EWS in Exchange Online ends/m);
      assert.equal(next.calls.match(/^- `tenant-\d{3}`$/gm)?.length, 300);
    });

    it("closes the issue once no stack relies on EWS", () => {
      const { calls } = runStep(0, "17", always);
      assert.match(calls, /^issue close 17 --repo o\/r --comment No tenant stack relies on EWS any more/m);
      assert.doesNotMatch(calls, /issue (create|edit)/);
    });
  });

  it("Pulumi signs in with the job's GitHub OIDC token: the deployer's ids in its step, id-token: write on every job using it, the tenant never through the Azure CLI", () => {
    const pulumi = action("./.github/actions/pulumi");
    const step = pulumi.runs.steps.find((s) => s.uses?.startsWith("pulumi/actions@"))!;
    // ARM_* for the azuread provider; AZURE_* for the program and the dynamic providers (credentialFromEnvironment).
    for (const [name, input] of [
      ["ARM_CLIENT_ID", "azure-client-id"],
      ["ARM_TENANT_ID", "azure-tenant-id"],
      ["AZURE_CLIENT_ID", "azure-client-id"],
      ["AZURE_TENANT_ID", "azure-tenant-id"],
    ]) {
      assert.equal(step.env?.[name], `\${{ inputs.${input} }}`, `the pulumi step gets ${name}`);
    }
    assert.equal(step.env?.ARM_USE_OIDC, "true");
    assert.equal(step.env?.ARM_USE_CLI, "false", "the azuread provider never takes the Azure CLI session");
    assert.ok(!step.env?.AZURE_CLIENT_SECRET && !step.env?.ARM_CLIENT_SECRET, "no stored Azure secret");
    assert.ok(!pulumi.runs.steps.some((s) => s.uses?.startsWith("azure/login@")), "no azure/login");
    // The only Azure CLI session is the state identity's, in the operator's tenant (state container and Key Vault key).
    const signIn = pulumi.runs.steps.find((s) => s.name === "Sign in to the state backend")!;
    assert.match(
      signIn.run ?? "",
      /az login --service-principal --username "\$STATE_CLIENT_ID" --tenant "\$STATE_TENANT_ID" --federated-token "\$\(oidc_token api:\/\/AzureADTokenExchange\)"/,
    );
    assert.doesNotMatch(JSON.stringify(signIn), /\$AZURE_CLIENT_ID|\$ARM_CLIENT_ID|inputs\.azure-client-id/, "the tenant's deployer app has no CLI session");
    for (const removed of ["pulumi-access-token", "pulumi-config-passphrase", "azure-storage-key"])
      assert.ok(!(removed in (pulumi.inputs ?? {})), `no ${removed} input: nothing stored decrypts or writes a stack`);
    const users = workflowFiles.flatMap((file) => {
      const w = workflow(file) as Workflow & { permissions?: Record<string, string> };
      return Object.entries(w.jobs)
        .filter(([, job]) => job.steps.some((s) => s.uses === "./.github/actions/pulumi"))
        .map(([name, job]) => ({ where: `${file} ${name}`, permissions: job.permissions ?? w.permissions }));
    });
    assert.ok(users.length >= 3, "preview, deploy and drift run Pulumi");
    for (const { where, permissions } of users)
      assert.equal(permissions?.["id-token"], "write", `${where}: GitHub sets ACTIONS_ID_TOKEN_REQUEST_* only with id-token: write`);
  });

  it("the package's own CI: install, lint, typecheck and tests on Node 22 and 24 through .ci/run", () => {
    const ci = workflow("ci.yml");
    assert.deepEqual(ci.jobs.test!.strategy?.matrix?.node, [22, 24]);
    assert.ok(ci.jobs.test!.steps.some((step) => step.run === "bash .ci/run"));
    assert.ok(ci.jobs.stacks!.steps.some((step) => /retain-m365 plan --all/.test(step.run ?? "")));
  });
});

/**
 * What each GitHub environment holds and allows (docs/runbook.md, "GitHub environments and OIDC",
 * says the same and how to set it up). Deployment branches and required reviewers are repository
 * settings that no YAML shows: the workflows' side is which environment each job names.
 */
const ENVIRONMENTS: Record<string, { reviewers: boolean; mainOnly: boolean; secrets: string[] }> = {
  preview: { reviewers: true, mainOnly: false, secrets: ["CLOUDFLARE_API_TOKEN"] },
  drift: { reviewers: false, mainOnly: true, secrets: ["CLOUDFLARE_API_TOKEN"] },
  deploy: { reviewers: true, mainOnly: true, secrets: ["CLOUDFLARE_API_TOKEN"] },
};
type AnyWorkflow = Workflow & { permissions?: Record<string, string>; env?: Record<string, string> };
const MAIN_ONLY_IF = /^github\.ref == 'refs\/heads\/main'(?: && .+)?$/;
const environmentKind = (job: Job): string | undefined => /^([a-z]+)-\$\{\{ matrix\.stack \}\}$/.exec(job.environment ?? "")?.[1];
const triggers = (w: AnyWorkflow): string[] => (typeof w.on === "string" ? [w.on] : Array.isArray(w.on) ? (w.on as string[]) : Object.keys(w.on));

/** A job's steps, with the steps of the repository's composite actions in place of the `uses:` that runs them. */
function expandedSteps(steps: Step[]): Step[] {
  return steps.flatMap((step) => (step.uses?.startsWith("./") ? expandedSteps(action(step.uses).runs.steps) : [step]));
}

/** (a) Remote actions pinned to a full commit, the release tag in a comment, one commit per tag. */
function pinProblems(lines: { file: string; uses: string; comment: string }[]): string[] {
  const problems: string[] = [];
  const commitOf = new Map<string, string>();
  for (const { file, uses, comment } of lines) {
    if (uses.startsWith("./")) continue;
    const pinned = /^([\w.-]+\/[\w.-]+)(?:\/[\w./-]+)?@([0-9a-f]{40})$/.exec(uses);
    if (!pinned) {
      problems.push(`${file}: ${uses} is not owner/repo@<40-hex commit>`);
      continue;
    }
    if (!/^v\d+\.\d+\.\d+$/.test(comment)) problems.push(`${file}: ${uses} has no "# vX.Y.Z" comment naming its release (got "${comment}")`);
    const key = `${pinned[1]} ${comment}`;
    if (commitOf.has(key) && commitOf.get(key) !== pinned[2]) problems.push(`${file}: ${pinned[1]} ${comment} is pinned to two commits`);
    commitOf.set(key, pinned[2]!);
  }
  return problems;
}

/** (b) Secrets only through an environment that holds them; in workflows that run pull-request code, only through one with required reviewers. */
function secretProblems(file: string, w: AnyWorkflow): string[] {
  const problems: string[] = [];
  const on = triggers(w);
  if (on.includes("pull_request_target")) problems.push(`${file}: pull_request_target runs with the base repository's secrets`);
  const runsPullRequestCode = on.includes("pull_request");
  if (JSON.stringify(w.env ?? {}).includes("secrets.")) problems.push(`${file}: a workflow-level env reads a secret`);
  for (const [name, job] of Object.entries(w.jobs)) {
    const used = [...new Set([...JSON.stringify(job).matchAll(/secrets\.([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!))].filter((s) => s !== "GITHUB_TOKEN");
    const oidc = (job.permissions ?? w.permissions)?.["id-token"] === "write";
    if (used.length === 0 && !(oidc && runsPullRequestCode)) continue;
    const kind = environmentKind(job);
    const environment = kind ? ENVIRONMENTS[kind] : undefined;
    if (!environment) {
      problems.push(
        `${file} ${name}: ${used.length ? `reads ${used.join(", ")}` : "can mint OIDC tokens"} without a per-stack environment (${job.environment ?? "none"}): a repository-level secret or an OIDC subject any branch can get`,
      );
      continue;
    }
    for (const secret of used)
      if (!environment.secrets.includes(secret)) problems.push(`${file} ${name}: ${secret} is not a secret of the ${kind}-<stack> environments`);
    if (runsPullRequestCode && !environment.reviewers)
      problems.push(`${file} ${name}: runs pull-request code with ${kind}-<stack>, which has no required reviewers`);
  }
  return problems;
}

/** (c) Deployments from main only: pushes to main, manual runs on main, nothing else. */
function mainOnlyProblems(file: string, w: AnyWorkflow): string[] {
  const problems: string[] = [];
  const on = w.on as Record<string, unknown>;
  for (const [name, job] of Object.entries(w.jobs)) {
    const kind = environmentKind(job);
    if (kind && ENVIRONMENTS[kind]?.mainOnly) {
      if (!MAIN_ONLY_IF.test(job.if ?? "")) problems.push(`${file} ${name}: uses ${kind}-<stack> without if: github.ref == 'refs/heads/main' && …`);
      if (file !== `${kind}.yml`) problems.push(`${file} ${name}: ${kind}-<stack> belongs to ${kind}.yml only`);
    }
  }
  if (file !== "deploy.yml") return problems;
  const extra = Object.keys(on).filter((trigger) => !["push", "workflow_dispatch"].includes(trigger));
  if (extra.length) problems.push(`deploy.yml: also runs on ${extra.join(", ")}`);
  const push = (on.push ?? {}) as Record<string, unknown>;
  if (JSON.stringify(push) !== JSON.stringify({ branches: ["main"] }))
    problems.push(`deploy.yml: push must be branches: [main] only (got ${JSON.stringify(push)})`);
  if (on.workflow_dispatch && Object.keys(on.workflow_dispatch as object).length > 0)
    problems.push("deploy.yml: workflow_dispatch takes no inputs (no ref, no stack)");
  for (const [name, job] of Object.entries(w.jobs)) {
    if (!MAIN_ONLY_IF.test(job.if ?? "")) problems.push(`deploy.yml ${name}: runs without if: github.ref == 'refs/heads/main' && …`);
    for (const step of job.steps) if (step.with && "ref" in step.with) problems.push(`deploy.yml ${name}: checks out another ref (${String(step.with.ref)})`);
  }
  if (!Object.values(w.jobs).some((job) => environmentKind(job) === "deploy")) problems.push("deploy.yml: no job deploys through deploy-<stack>");
  return problems;
}

/** (d) Jobs that can mint OIDC tokens install with --ignore-scripts, then build the CLI bundle themselves. */
function oidcInstallProblems(file: string, w: AnyWorkflow): string[] {
  const problems: string[] = [];
  if (w.permissions?.["id-token"] === "write") problems.push(`${file}: id-token: write for every job`);
  for (const [name, job] of Object.entries(w.jobs)) {
    if ((job.permissions ?? w.permissions)?.["id-token"] !== "write") continue;
    const runs = expandedSteps(job.steps).map((step) => step.run ?? "");
    const installs = runs
      .map((run, index) => ({ run, index }))
      .filter(({ run }) => /\bnpm (?:ci|install|i|rebuild)\b|\bbash \.ci\/run\b|\b(?:yarn|pnpm)\b/.test(run));
    if (installs.length === 0) problems.push(`${file} ${name}: installs nothing (expected npm ci --ignore-scripts)`);
    for (const { run } of installs)
      if (!/^npm ci --ignore-scripts\b/.test(run.trim()))
        problems.push(`${file} ${name}: "${run.trim()}" can run install scripts in a job that mints OIDC tokens`);
    const build = runs.findIndex((run) => run.trim() === "npm run prepare");
    if (installs.length > 0 && build < Math.max(...installs.map(({ index }) => index)))
      problems.push(`${file} ${name}: does not build the CLI bundle (npm run prepare) after installing`);
  }
  return problems;
}

/** (e) jq programs that the shell expands: a value (a stack name, a title) inside one would be code. */
function jqProblems(where: string, script: string): string[] {
  const problems: string[] = [];
  const value = String.raw`(?:"(?:[^"\\]|\\.)*"|'[^']*'|[^\s'"|;)]+)`;
  const call = new RegExp(String.raw`(?:\bjq|--jq)((?:\s+(?:--arg(?:json)?\s+\w+\s+${value}|-{1,2}[A-Za-z][\w-]*))*)\s+(${value})`, "g");
  for (const match of script.matchAll(call)) {
    const program = match[2]!;
    if (!program.startsWith("'") && program.includes("$")) problems.push(`${where}: the jq program ${program} is built by the shell; pass values with --arg`);
  }
  return problems;
}

/**
 * GitHub Actions concurrent jobs on GitHub Free, the smallest plan (docs.github.com, "Actions limits":
 * 20 concurrent jobs on standard hosted runners): no workflow asks for more at once.
 */
const MAX_CONCURRENT_JOBS = 20;

describe("GitHub workflows: many stacks (issue 27), within GitHub's 256 jobs per matrix", () => {
  /** The per-stack workflows: the job that picks the stacks, the job that runs them, and that step's environment. */
  const CASES: { file: string; job: string; env: Record<string, string> }[] = [
    { file: "drift.yml", job: "drift", env: {} },
    { file: "deploy.yml", job: "up", env: { BEFORE: "" } },
    { file: "preview.yml", job: "preview", env: { BASE: "0".repeat(40), FORK: "false" } },
    { file: "preview.yml", job: "offline-plan", env: { BASE: "0".repeat(40), FORK: "true" } },
  ];
  let checkout: string;
  let names: string[];
  before(() => {
    checkout = mkdtempSync(path.join(tmpdir(), "retain-many-stacks-"));
    mkdirSync(path.join(checkout, "stacks"));
    names = Array.from({ length: 1000 }, (_, i) => `tenant-${String(i).padStart(4, "0")}`);
    for (const name of names) writeFileSync(path.join(checkout, "stacks", `Pulumi.${name}.yaml`), "config: {}\n");
    const bin = path.join(checkout, "bin");
    mkdirSync(bin);
    writeFileSync(
      path.join(bin, "npx"),
      `#!/bin/sh\n[ "$1" = retain-m365 ] && shift\nexec "${process.execPath}" "${path.join(REPO_ROOT, "bin", "retain-m365.js")}" "$@"\n`,
      { mode: 0o755 },
    );
  });

  /**
   * What GitHub would run for 1,000 stack files: the stacks job's step (the real CLI behind `npx`)
   * makes the output the job's matrix reads; each of its entries is one job, or, for a job calling a
   * reusable workflow, one run of that workflow whose own matrix has one job per element of the
   * entry. Returns what breaks GitHub's limit, leaves a stack out or twice, or runs too much at once.
   */
  const manyStackProblems = (w: Workflow, jobName: string, env: Record<string, string>): string[] => {
    const job = w.jobs[jobName]!;
    const outer = job.calls?.strategy ?? job.strategy ?? {};
    const inner = job.calls ? (job.strategy ?? {}) : undefined;
    const [[, expression]] = Object.entries(outer.matrix ?? {}) as [[string, string]];
    const output = /^\$\{\{ fromJSON\(needs\.stacks\.outputs\.(\w+)\) \}\}$/.exec(expression)?.[1];
    if (!output) return [`the matrix is not the stacks job's output (${expression})`];
    const [, stepId, stepOutput] = /^\$\{\{ steps\.([\w-]+)\.outputs\.(\w+) \}\}$/.exec(
      (w.jobs.stacks as Job & { outputs: Record<string, string> }).outputs[output]!,
    )!;
    const step = w.jobs.stacks!.steps.find((s) => (s as Step & { id?: string }).id === stepId)!;
    const githubOutput = path.join(mkdtempSync(path.join(tmpdir(), "retain-many-output-")), "output");
    const result = spawnSync("bash", ["-eo", "pipefail", "-c", step.run!], {
      cwd: checkout,
      env: { PATH: `${path.join(checkout, "bin")}:${process.env.PATH}`, GITHUB_OUTPUT: githubOutput, HOME: process.env.HOME, ...env },
      encoding: "utf8",
    });
    assert.equal(result.status, 0, result.stderr);
    const line = readFileSync(githubOutput, "utf8")
      .split("\n")
      .find((l) => l.startsWith(`${stepOutput}=`))!;
    const shards = (JSON.parse(line.slice(stepOutput!.length + 1)) as (string | string[])[]).map((entry) => (Array.isArray(entry) ? entry : [entry]));
    const problems: string[] = [];
    if (shards.length > MATRIX_MAX_JOBS) problems.push(`${shards.length} jobs in one matrix`);
    const widest = Math.max(...shards.map((shard) => shard.length));
    if (inner && widest > MATRIX_MAX_JOBS) problems.push(`${widest} jobs in one run of the reusable workflow's matrix`);
    if (JSON.stringify(shards.flat().sort()) !== JSON.stringify(names)) problems.push("not every stack exactly once");
    // Jobs at once: the outer matrix's max-parallel (all of it when unset) times, for a reusable
    // workflow, its own matrix's max-parallel (a whole shard when unset).
    const parallel = Math.min(outer["max-parallel"] ?? shards.length, shards.length) * (inner ? Math.min(inner["max-parallel"] ?? widest, widest) : 1);
    if (outer["max-parallel"] === undefined || parallel > MAX_CONCURRENT_JOBS) problems.push(`${parallel} jobs at once`);
    if (outer["fail-fast"] !== false || (inner && inner["fail-fast"] !== false)) problems.push("a failing job cancels the others (fail-fast)");
    return problems;
  };

  for (const { file, job, env } of CASES) {
    it(`${file} ${job}: 1,000 stack files make at most 256 jobs at each level, every stack once, at most ${MAX_CONCURRENT_JOBS} at a time`, () => {
      assert.deepEqual(manyStackProblems(workflow(file), job, env), []);
    });
  }

  it("the check fails one job per stack in one matrix, an unbounded or too wide parallelism, shards past 256, fail-fast", () => {
    const drift = workflow("drift.yml");
    const shardStep = () => drift.jobs.stacks!.steps.findIndex((s) => /--shard-size/.test(s.run ?? ""));
    // The layout before issue 27: the drift job's own matrix of every stack.
    const flat = clone(drift);
    flat.jobs.stacks!.steps[shardStep()]!.run = flat.jobs.stacks!.steps[shardStep()]!.run!.replace(/ --shard-size \d+/, "");
    const { calls, ...perStack } = flat.jobs.drift!;
    assert.ok(calls);
    flat.jobs.drift = { ...perStack, strategy: { "fail-fast": false, "max-parallel": 10, matrix: { stack: "${{ fromJSON(needs.stacks.outputs.shards) }}" } } };
    assert.deepEqual(manyStackProblems(flat, "drift", {}), ["1000 jobs in one matrix"]);
    const unbounded = clone(drift);
    delete unbounded.jobs.drift!.calls!.strategy!["max-parallel"];
    assert.match(manyStackProblems(unbounded, "drift", {}).join(), /jobs at once/);
    const wide = clone(drift);
    wide.jobs.drift!.strategy!["max-parallel"] = 50;
    assert.match(manyStackProblems(wide, "drift", {}).join(), /100 jobs at once/);
    const fast = clone(drift);
    delete fast.jobs.drift!.strategy!["fail-fast"];
    assert.deepEqual(manyStackProblems(fast, "drift", {}), ["a failing job cancels the others (fail-fast)"]);
  });

  it("a job that names an environment runs one stack: the per-stack environment is the reusable workflow's job's, never shared by a shard", () => {
    for (const { file, job } of CASES) {
      const j = workflow(file).jobs[job]!;
      if (!j.environment) {
        assert.ok(!j.permissions && !JSON.stringify(j).includes("secrets."), `${file} ${job}: several stacks per job only where no credential is`);
        continue;
      }
      assert.match(j.environment, /^[a-z]+-\$\{\{ matrix\.stack \}\}$/);
      assert.equal(j.strategy?.matrix?.stack, "${{ fromJSON(inputs.stacks) }}", `${file} ${job}: one job per stack of the shard`);
    }
  });

  it("the reusable workflows: workflow_call only, called by their own workflow only, the secret passed by name and required", () => {
    assert.deepEqual(reusableFiles.sort(), ["deploy-stacks.yml", "drift-stacks.yml", "preview-stacks.yml"]);
    for (const file of reusableFiles) {
      const callers = workflowFiles.flatMap((caller) =>
        Object.values(rawWorkflow(caller).jobs)
          .filter((j) => j.uses === `./.github/workflows/${file}`)
          .map((j) => ({ caller, j })),
      );
      assert.deepEqual(
        callers.map(({ caller }) => caller),
        [file.replace("-stacks", "")],
        `${file} is called by its own workflow only`,
      );
      const on = rawWorkflow(file).on.workflow_call as { secrets: Record<string, { required: boolean }> };
      assert.deepEqual(Object.keys(on.secrets), ["CLOUDFLARE_API_TOKEN"]);
      assert.equal(
        on.secrets.CLOUDFLARE_API_TOKEN!.required,
        true,
        "a caller that forgets to pass it fails, instead of an empty token (docs.github.com, reusing workflows)",
      );
      // Passed by name, never `secrets: inherit`: the environment's value takes precedence in the called job.
      for (const { j } of callers) assert.deepEqual(j.secrets, { CLOUDFLARE_API_TOKEN: "${{ secrets.CLOUDFLARE_API_TOKEN }}" });
    }
  });
});

describe("GitHub workflows: no repository-level secret decrypts or writes a tenant (issue 26)", () => {
  const all = () => workflowFiles.filter((file) => !reusableFiles.includes(file)).map((file) => ({ file, w: workflow(file) as AnyWorkflow }));

  it("(a) every remote action is pinned to a full commit with its release tag in a comment", () => {
    const lines = usesLines();
    assert.ok(lines.filter(({ uses }) => !uses.startsWith("./")).length >= 10);
    assert.deepEqual(pinProblems(lines), []);
    // The check catches a tag, a branch, a short commit, a missing or vague comment, and one tag on two commits.
    const bad = usesLines([
      {
        file: "bad.yml",
        text: `steps:\n  - uses: actions/checkout@v4\n  - uses: actions/checkout@main # v4.4.0\n  - uses: actions/setup-node@49933ea # v4.4.0\n  - uses: actions/setup-node@${"a".repeat(40)}\n  - uses: actions/setup-node@${"b".repeat(40)} # v4\n  - uses: pulumi/actions@${"c".repeat(40)} # v6.6.1\n  - uses: pulumi/actions@${"d".repeat(40)} # v6.6.1\n  - uses: docker://alpine:3\n`,
      },
    ]);
    assert.equal(pinProblems(bad).length, 7, pinProblems(bad).join("\n"));
  });

  it("(b) secrets only through a per-stack environment that holds them; pull-request code reaches them only through preview-<stack> (required reviewers)", () => {
    for (const { file, w } of all()) assert.deepEqual(secretProblems(file, w), [], file);
    const preview = workflow("preview.yml") as AnyWorkflow;
    assert.ok(JSON.stringify(preview.jobs.preview).includes("secrets.CLOUDFLARE_API_TOKEN"), "the preview job is what the check looks at");
    // Each of these fails the check: no environment, one without reviewers, a secret no environment holds, a repository-level secret in the job that picks the stacks, pull_request_target.
    const unprotected = clone(preview);
    delete unprotected.jobs.preview!.environment;
    const noReviewers = clone(preview);
    noReviewers.jobs.preview!.environment = "drift-${{ matrix.stack }}";
    const foreignSecret = clone(preview);
    foreignSecret.jobs.preview!.steps.push({ run: "pulumi login", env: { PULUMI_CONFIG_PASSPHRASE: "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}" } });
    const repositorySecret = clone(preview);
    repositorySecret.jobs.stacks!.steps.push({ run: "true", env: { TOKEN: "${{ secrets.PULUMI_ACCESS_TOKEN }}" } });
    const target = clone(preview);
    target.on = { pull_request_target: null };
    for (const [label, changed] of Object.entries({ unprotected, noReviewers, foreignSecret, repositorySecret, target })) {
      assert.ok(secretProblems("preview.yml", changed).length > 0, label);
    }
    // The composite actions cannot read secrets: what they get, they get as inputs.
    for (const uses of localActions) assert.doesNotMatch(readFileSync(path.join(REPO_ROOT, uses, "action.yml"), "utf8"), /secrets\./, uses);
  });

  it("(c) deployments and nightly drift run from main only; workflow_dispatch cannot deploy another ref", () => {
    for (const { file, w } of all()) assert.deepEqual(mainOnlyProblems(file, w), [], file);
    const deploy = workflow("deploy.yml") as AnyWorkflow;
    const noIf = clone(deploy);
    noIf.jobs.up!.if = "needs.stacks.outputs.stacks != '[]'";
    const orIf = clone(deploy);
    orIf.jobs.up!.if = "github.ref == 'refs/heads/main' || github.event_name == 'workflow_dispatch'";
    const refInput = clone(deploy);
    (refInput.on as Record<string, unknown>).workflow_dispatch = { inputs: { ref: { required: true } } };
    refInput.jobs.up!.steps[0]!.with = { ref: "${{ inputs.ref }}" };
    const otherBranch = clone(deploy);
    (otherBranch.on as Record<string, unknown>).push = { branches: ["main", "release/*"] };
    const tags = clone(deploy);
    (tags.on as Record<string, unknown>).push = { branches: ["main"], tags: ["v*"] };
    for (const [label, changed] of Object.entries({ noIf, orIf, refInput, otherBranch, tags })) {
      assert.ok(mainOnlyProblems("deploy.yml", changed).length > 0, label);
    }
    const previewDeploys = clone(workflow("preview.yml") as AnyWorkflow);
    previewDeploys.jobs.preview!.environment = "deploy-${{ matrix.stack }}";
    assert.ok(mainOnlyProblems("preview.yml", previewDeploys).length > 0, "deploy-<stack> from a pull request");
  });

  it("(d) jobs that can mint OIDC tokens run npm ci --ignore-scripts, then build the CLI bundle themselves", () => {
    const minting = all().flatMap(({ file, w }) =>
      Object.entries(w.jobs)
        .filter(([, job]) => (job.permissions ?? w.permissions)?.["id-token"] === "write")
        .map(([name]) => `${file} ${name}`),
    );
    assert.deepEqual(minting.sort(), ["deploy.yml up", "drift.yml drift", "preview.yml preview", "release.yml package"]);
    for (const { file, w } of all()) assert.deepEqual(oidcInstallProblems(file, w), [], file);
    // "prepare" is what builds the bundle on install, and the bin builds it when it is stale.
    const scripts = (JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
    assert.equal(scripts.prepare, "node bin/retain-m365.js");
    const withScripts = clone(workflow("deploy.yml") as AnyWorkflow);
    withScripts.jobs.up!.steps.splice(1, 1, { run: "npm ci --no-audit" }, { run: "npm run prepare" });
    const ciScript = clone(workflow("deploy.yml") as AnyWorkflow);
    ciScript.jobs.up!.steps.splice(1, 1, { run: "bash .ci/run" });
    const noBuild = clone(workflow("deploy.yml") as AnyWorkflow);
    noBuild.jobs.up!.steps.splice(1, 1, { run: "npm ci --ignore-scripts" });
    const everyJob = clone(workflow("ci.yml") as AnyWorkflow);
    everyJob.permissions = { contents: "read", "id-token": "write" };
    for (const [label, changed] of Object.entries({ withScripts, ciScript, noBuild, everyJob })) {
      assert.ok(oidcInstallProblems(label, changed).length > 0, label);
    }
  });

  it("(e) stack names reach jq as --arg values, never inside a jq program", () => {
    const scripts = all().flatMap(({ file, w }) =>
      Object.entries(w.jobs).flatMap(([name, job]) => expandedSteps(job.steps).map((step) => ({ where: `${file} ${name}`, run: step.run ?? "" }))),
    );
    const drift = scripts
      .filter(({ where }) => where.startsWith("drift.yml"))
      .map(({ run }) => run)
      .join("\n");
    assert.ok((drift.match(/--arg title "\$title"/g) ?? []).length >= 3, "the drift and credential issues find theirs by title with --arg");
    for (const { where, run } of scripts) assert.deepEqual(jqProblems(where, run), [], where);
    for (const built of [
      String.raw`gh issue list --json number,title --jq ".[] | select(.title == \"$title\") | .number"`,
      String.raw`echo "$x" | jq -r ".[] | select(.name == \"$STACK\")"`,
      String.raw`jq -r --arg a "$a" ".[\$a] | .[\"$b\"]" file`,
      "gh api x --jq .$field",
    ]) {
      assert.equal(jqProblems("example", built).length, 1, built);
    }
    assert.deepEqual(jqProblems("example", `gh issue list --json number,title | jq -r --arg title "$title" '.[] | select(.title == $title) | .number'`), []);
  });

  it("(e) a stack name full of jq and shell syntax only fails to match: the drift step opens that stack's issue, never comments on another's", () => {
    const step = workflow("drift.yml").jobs.drift!.steps.find((s) => s.if === "failure()")!;
    const bin = mkdtempSync(path.join(tmpdir(), "retain-drift-jq-"));
    writeStubGh(bin, [{ number: 5, title: "Drift: tenant stack other" }]);
    const stack = 'x" or true or "$(touch pwned)';
    const result = spawnSync("bash", ["-eo", "pipefail", "-c", step.run!], {
      cwd: bin,
      env: { PATH: `${bin}:${process.env.PATH}`, REPO: "o/r", STACK: stack, RUN_URL: "https://run" },
      encoding: "utf8",
    });
    assert.equal(result.status, 0, result.stderr);
    const calls = readFileSync(path.join(bin, "calls"), "utf8");
    assert.doesNotMatch(calls, /^issue comment 5 /m, "another stack's issue");
    assert.ok(calls.includes(`issue create --repo o/r --title Drift: tenant stack ${stack} `), calls);
    assert.ok(!existsSync(path.join(bin, "pwned")));
  });

  it("the runbook's environment table says, per environment, its branches, its reviewers and every variable and secret the workflows read there", () => {
    const runbook = readFileSync(path.join(REPO_ROOT, "docs", "runbook.md"), "utf8");
    for (const [kind, environment] of Object.entries(ENVIRONMENTS)) {
      const row = runbook.split("\n").find((line) => line.startsWith(`| \`${kind}-<stack>\` |`));
      assert.ok(row, `the runbook has a table row for ${kind}-<stack>`);
      const [, , branches, reviewers, variables, secrets] = row.split(" | ");
      assert.equal(/^`main` only/.test(branches ?? ""), environment.mainOnly, `${kind}: deployment branches`);
      assert.equal(/^required/.test(reviewers ?? ""), environment.reviewers, `${kind}: required reviewers`);
      const jobs = all().flatMap(({ w }) => Object.values(w.jobs).filter((job) => environmentKind(job) === kind));
      assert.ok(jobs.length > 0, kind);
      const read = (what: string) =>
        new Set(jobs.flatMap((job) => [...JSON.stringify(job).matchAll(new RegExp(`${what}\\.([A-Z_]+)`, "g"))].map((m) => m[1]!)));
      for (const name of read("vars")) assert.ok(variables?.includes(`\`${name}\``), `${kind}-<stack>: the runbook does not list the variable ${name}`);
      assert.deepEqual([...read("secrets")].sort(), [...environment.secrets].sort());
      for (const name of environment.secrets) assert.ok(secrets?.includes(`\`${name}\``), `${kind}-<stack>: the runbook does not list the secret ${name}`);
    }
  });
});

describe("fork pull requests: the offline plan is posted as text in a code block it cannot break out of", () => {
  const step = () => workflow("offline-plan-comment.yml").jobs.comment!.steps.find((s) => s.run?.includes("plans/offline-plan-"))!;
  const MARKER = "<!-- offline-plan:contoso -->";
  /** Runs the step on one artifact holding `plan`, with a stub gh; returns the comment body it posted. */
  const post = (plan: string | Buffer): string => {
    const work = mkdtempSync(path.join(tmpdir(), "retain-offline-comment-"));
    const dir = path.join(work, "plans", "offline-plan-contoso");
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, "pr-number"), "7\n");
    writeFileSync(path.join(dir, "stack"), "contoso\n");
    writeFileSync(path.join(dir, "plan.md"), plan);
    const bin = path.join(work, "bin");
    mkdirSync(bin);
    writeFileSync(
      path.join(bin, "gh"),
      `#!/bin/bash
case "$2" in
  repos/o/r/pulls/7) echo abc123 ;;
  repos/o/r/issues/7/comments) echo '[{"id": 9, "user": {"login": "someone"}, "body": "${MARKER} planted"}]' ;;
esac
for arg in "$@"; do case "$arg" in body=*) printf '%s' "\${arg#body=}" > "${bin}/body"; printf '%s\\n' "$*" | head -c 60 >> "${bin}/calls"; echo >> "${bin}/calls" ;; esac; done
`,
      { mode: 0o755 },
    );
    const result = spawnSync("bash", ["-eo", "pipefail", "-c", step().run!], {
      cwd: work,
      env: { PATH: `${bin}:${process.env.PATH}`, REPO: "o/r", HEAD_SHA: "abc123", GH_TOKEN: "x" },
      encoding: "utf8",
    });
    assert.equal(result.status, 0, result.stderr);
    assert.match(
      readFileSync(path.join(bin, "calls"), "utf8"),
      /^api -X POST repos\/o\/r\/issues\/7\/comments /,
      "a new comment: the planted one is not the workflow's",
    );
    return readFileSync(path.join(bin, "body"), "utf8");
  };
  /** The text inside the body's code block, checking that nothing in it can close the block. */
  const codeBlock = (body: string): { fence: string; text: string } => {
    const lines = body.split("\n");
    assert.equal(lines[0], MARKER);
    const open = lines.findIndex((line) => /^`{3,}$/.test(line));
    assert.ok(
      open > 0 && lines.slice(1, open).every((line) => !line.includes("`") || /^Offline plan of stack `contoso`/.test(line)),
      "only the marker and a line of our own before the block",
    );
    const fence = lines[open]!;
    assert.equal(lines.at(-1), fence, "the block ends the comment");
    const text = lines.slice(open + 1, -1).join("\n");
    const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
    assert.ok(longest < fence.length, `a run of ${longest} backticks inside a fence of ${fence.length}`);
    for (const line of text.split("\n")) assert.ok(!new RegExp(`^ {0,3}\`{${fence.length},}\\s*$`).test(line), `closes the block: ${line}`);
    return { fence, text };
  };

  it("a plan of markdown is shown as its text, in a plain ``` block", () => {
    const plan =
      "| Op | Type |\n|---|---|\n| create | azuread:index/user:User |\n\n@everyone <img src=x onerror=alert(1)> [click](https://example.com) <!-- offline-plan:other -->";
    assert.deepEqual(codeBlock(post(`${plan}\n`)), { fence: "```", text: plan });
  });

  it("fences in the plan (```, ~~~, a longer one, indented ones) stay text: the block's fence is longer than any of them", () => {
    const plan = "before\n```\n</details>\n``````\n   ```````\n~~~\n# heading\n``inline``\nafter";
    const { fence, text } = codeBlock(post(plan));
    assert.equal(fence, "`".repeat(8));
    assert.equal(text, plan);
  });

  it("what a comment cannot hold is cut: 40,000 bytes, whole characters; a run of more than 10,000 backticks is not shown", () => {
    const long = codeBlock(post(`a${"é".repeat(30_000)}`)).text;
    assert.equal(Buffer.byteLength(long), 39_999, "cut at 40,000 bytes, less the half character");
    assert.ok(!long.includes("\uFFFD"));
    assert.deepEqual(codeBlock(post(`${"`".repeat(20_000)}\nx`)), { fence: "```", text: "(not shown: the plan has a run of 20000 backticks)" });
  });
});

describe("the state backend's sign-in: short-lived, for the environment's stack only, nothing stored", () => {
  const signIn = () => action("./.github/actions/pulumi").runs.steps.find((s) => s.name === "Sign in to the state backend")!;
  /** Runs the sign-in step with stub curl and az; returns what they were asked, what went to GITHUB_ENV, and the output. */
  const run = (env: Record<string, string>) => {
    const bin = mkdtempSync(path.join(tmpdir(), "retain-state-signin-"));
    writeFileSync(
      path.join(bin, "curl"),
      `#!/bin/bash
printf 'curl %s\\n' "$*" >> "${bin}/calls"
data=""; post=""
while [ $# -gt 0 ]; do
  case "$1" in
    --data-urlencode) printf '{"value": "gh-oidc-for-%s"}' "\${2#audience=}"; exit 0 ;;
    --data) data="$2"; shift ;;
    POST) post=1 ;;
  esac
  shift
done
[ -n "$post" ] && printf '%s' "$data" > "${bin}/exchange.json" && echo '{"access_token": "pul-team-token"}'
`,
      { mode: 0o755 },
    );
    writeFileSync(
      path.join(bin, "az"),
      `#!/bin/bash
printf 'az %s\\n' "$*" >> "${bin}/calls"
[ "$2" = container ] && echo "se=2030&sp=rl&sig=delegated"
exit 0
`,
      { mode: 0o755 },
    );
    writeFileSync(path.join(bin, "github_env"), "");
    const step = signIn();
    const result = spawnSync("bash", ["-c", step.run!], {
      env: {
        PATH: `${bin}:${process.env.PATH}`,
        GITHUB_ENV: path.join(bin, "github_env"),
        ACTIONS_ID_TOKEN_REQUEST_URL: "https://token.invalid/issue?api-version=2.0",
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: "request-token",
        COMMAND: "preview",
        PULUMI_CLOUD_ORGANIZATION: "",
        PULUMI_CLOUD_TEAM: "",
        STATE_CLIENT_ID: "",
        STATE_TENANT_ID: "",
        STATE_STORAGE_ACCOUNT: "",
        ...env,
      },
      encoding: "utf8",
    });
    const read = (name: string) => (existsSync(path.join(bin, name)) ? readFileSync(path.join(bin, name), "utf8") : "");
    return { code: result.status, stdout: result.stdout, calls: read("calls"), githubEnv: read("github_env"), exchange: read("exchange.json") };
  };
  const blob = {
    BACKEND_URL: "azblob://state-contoso",
    STATE_CLIENT_ID: "state-app",
    STATE_TENANT_ID: "operator-tenant",
    STATE_STORAGE_ACCOUNT: "retainstate",
  };

  it("takes every input from the step's env (no expression inside the script), and only the inputs it needs", () => {
    assert.doesNotMatch(signIn().run!, /\$\{\{/);
    assert.deepEqual(Object.keys(signIn().env ?? {}).sort(), [
      "BACKEND_URL",
      "COMMAND",
      "PULUMI_CLOUD_ORGANIZATION",
      "PULUMI_CLOUD_TEAM",
      "STATE_CLIENT_ID",
      "STATE_STORAGE_ACCOUNT",
      "STATE_TENANT_ID",
    ]);
  });

  it("Azure Blob: the CLI signs in as the environment's identity with the job's OIDC token; a read-only SAS of the stack's container for a preview", () => {
    const { code, stdout, calls, githubEnv } = run(blob);
    assert.equal(code, 0, stdout);
    assert.match(calls, /^curl .*--data-urlencode audience=api:\/\/AzureADTokenExchange https:\/\/token\.invalid\/issue\?api-version=2\.0$/m);
    assert.match(
      calls,
      /^az login --service-principal --username state-app --tenant operator-tenant --federated-token gh-oidc-for-api:\/\/AzureADTokenExchange --allow-no-subscriptions --output none$/m,
    );
    assert.match(
      calls,
      /^az storage container generate-sas --account-name retainstate --name state-contoso --as-user --auth-mode login --permissions rl --expiry \d{4}-\d\d-\d\dT\d\d:\d\dZ --https-only --output tsv$/m,
    );
    assert.equal(githubEnv, "AZURE_STORAGE_ACCOUNT=retainstate\nAZURE_STORAGE_SAS_TOKEN=se=2030&sp=rl&sig=delegated\nAZURE_KEYVAULT_AUTH_VIA_CLI=true\n");
    assert.match(stdout, /^::add-mask::se=2030&sp=rl&sig=delegated$/m, "the SAS is masked in the log");
  });

  it("Azure Blob: write access (racwdl) for `up` only; a folder in the URL is not part of the container", () => {
    assert.match(
      run({ ...blob, COMMAND: "up", BACKEND_URL: "azblob://state-contoso/sub?x=1" }).calls,
      /--name state-contoso --as-user --auth-mode login --permissions racwdl /,
    );
  });

  it("Pulumi Cloud: the job's OIDC token (audience urn:pulumi:org:<org>) exchanged for a team token, masked", () => {
    const { code, stdout, calls, githubEnv, exchange } = run({
      BACKEND_URL: "https://api.pulumi.com",
      PULUMI_CLOUD_ORGANIZATION: "acme",
      PULUMI_CLOUD_TEAM: "contoso-deploy",
    });
    assert.equal(code, 0, stdout);
    assert.match(calls, /^curl -fsS -X POST -H Content-Type: application\/json --data .* https:\/\/api\.pulumi\.com\/api\/oauth\/token$/m);
    assert.deepEqual(JSON.parse(exchange), {
      audience: "urn:pulumi:org:acme",
      grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
      subject_token_type: "urn:ietf:params:oauth:token-type:id_token",
      requested_token_type: "urn:pulumi:token-type:access_token:team",
      scope: "team:contoso-deploy",
      expiration: 7200,
      subject_token: "gh-oidc-for-urn:pulumi:org:acme",
    });
    assert.equal(githubEnv, "PULUMI_ACCESS_TOKEN=pul-team-token\n");
    assert.match(stdout, /^::add-mask::pul-team-token$/m);
    assert.doesNotMatch(calls, /^az /m);
  });

  it("refuses, naming what to set: a backend's missing variables, another backend, a job without id-token: write", () => {
    for (const [env, message] of [
      [{ BACKEND_URL: "azblob://state-contoso" }, /STATE_AZURE_CLIENT_ID, STATE_AZURE_TENANT_ID and AZURE_STORAGE_ACCOUNT/],
      [{ BACKEND_URL: "https://api.pulumi.com", PULUMI_CLOUD_ORGANIZATION: "acme" }, /PULUMI_CLOUD_ORGANIZATION and PULUMI_CLOUD_TEAM/],
      [{ BACKEND_URL: "file:///tmp/state" }, /must be azblob:\/\/<container> or https:\/\/api\.pulumi\.com/],
      [{ ...blob, ACTIONS_ID_TOKEN_REQUEST_URL: "" }, /needs permissions: id-token: write/],
    ] as const) {
      const { code, stdout, githubEnv } = run(env);
      assert.equal(code, 1, JSON.stringify(env));
      assert.match(stdout, message);
      assert.equal(githubEnv, "");
    }
  });
});

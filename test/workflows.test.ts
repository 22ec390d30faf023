import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { ewsShutdown } from "../m365/ews-retirement";
import { MINIMUM_PULUMI_CLI } from "../program/pulumi-cli";
import { REPO_ROOT } from "./support/cli";
import { commandsIn, problemWith } from "./support/commands";

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
  if?: string;
}
interface Job {
  "runs-on"?: string;
  environment?: string;
  concurrency?: { group: string; "cancel-in-progress"?: boolean };
  strategy?: { matrix?: Record<string, unknown>; "fail-fast"?: boolean };
  permissions?: Record<string, string>;
  needs?: string;
  if?: string;
  steps: Step[];
}
interface Workflow {
  name: string;
  on: Record<string, unknown>;
  jobs: Record<string, Job>;
}
interface ActionMetadata {
  inputs?: Record<string, { required?: boolean; default?: string }>;
  runs: { using: string; steps: Step[] };
}

const WORKFLOWS = path.join(REPO_ROOT, ".github", "workflows");
const workflowFiles = readdirSync(WORKFLOWS).filter((name) => /\.ya?ml$/.test(name));
const workflow = (name: string) => parse(readFileSync(path.join(WORKFLOWS, name), "utf8")) as Workflow;
const localActions = readdirSync(path.join(REPO_ROOT, ".github", "actions")).map((name) => `./.github/actions/${name}`);
const action = (uses: string) => parse(readFileSync(path.join(REPO_ROOT, uses, "action.yml"), "utf8")) as ActionMetadata;
const allSteps = (): { where: string; step: Step }[] => [
  ...workflowFiles.flatMap((file) => Object.entries(workflow(file).jobs).flatMap(([job, j]) => j.steps.map((step) => ({ where: `${file} ${job}`, step })))),
  ...localActions.flatMap((uses) => action(uses).runs.steps.map((step) => ({ where: uses, step }))),
];

// pulumi/actions v6 inputs (action.yml of pulumi/actions v6): a misspelt input is otherwise ignored silently.
const PULUMI_ACTION_INPUTS = new Set([
  "command", "stack-name", "work-dir", "comment-on-pr", "comment-on-pr-number", "comment-on-summary", "github-token", "cloud-url",
  "secrets-provider", "parallel", "message", "config-map", "expect-no-changes", "diff", "replace", "exclude", "exclude-dependents",
  "target", "target-dependents", "policyPacks", "policyPackConfigs", "refresh", "upsert", "remove", "edit-pr-comment", "color",
  "exclude-protected", "plan", "suppress-outputs", "suppress-progress", "always-include-summary", "continue-on-error",
  "log-verbosity", "log-flow", "debug", "pulumi-version", "pulumi-version-file",
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
      assert.equal(step.uses, "pulumi/actions@v6", where);
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
    assert.equal(up.strategy?.matrix?.stack, "${{ fromJSON(needs.stacks.outputs.stacks) }}");
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
      writeFileSync(path.join(bin, "pulumi"), `#!/bin/sh
[ "$1" = login ] && exit 0
echo '${JSON.stringify(outputs)}'
`, { mode: 0o755 });
      writeFileSync(path.join(bin, "gh"), `#!/bin/sh
echo "$*" >> "${bin}/calls"
[ "$2" = list ] && echo "${openIssue}"
exit 0
`, { mode: 0o755 });
      const result = spawnSync("bash", ["-eo", "pipefail", "-c", step().run!], {
        env: { PATH: `${bin}:${process.env.PATH}`, REPO: "o/r", STACK: "contoso", RUN_URL: "https://run", WITHIN_DAYS: step().env?.WITHIN_DAYS, BACKEND_URL: "file://x" },
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
      assert.ok(opened.some((call) => /^issue create --repo o\/r --title Credential expiring: tenant stack contoso --label credential-expiry --body .*expires on /.test(call)), opened.join("\n"));
      const updated = runStep({ applicationCredentialExpires: inDays(10) }, "42");
      assert.ok(updated.some((call) => call.startsWith("issue comment 42 ")), updated.join("\n"));
      assert.ok(!updated.some((call) => call.startsWith("issue create")));
    });

    it("closes the open issue once the credential is renewed, and opens none for a distant expiry", () => {
      const renewed = runStep({ applicationCredentialExpires: inDays(200) }, "42");
      assert.ok(renewed.some((call) => call.startsWith("issue close 42 ")), renewed.join("\n"));
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
      writeFileSync(path.join(checkout, "stacks", "Pulumi.graph-only.yaml"), exampleStack.replace("      - Application EWS.AccessAsApp", "      - Application Mail.Read"));
      const bin = path.join(checkout, "bin");
      mkdirSync(bin);
      writeFileSync(path.join(bin, "npx"), `#!/bin/sh\n[ "$1" = retain-m365 ] && shift\nexec "${process.execPath}" "${path.join(REPO_ROOT, "bin", "retain-m365.js")}" "$@"\n`, { mode: 0o755 });
      writeFileSync(path.join(bin, "gh"), `#!/bin/sh\nprintf '%s\\n' "$*" >> "${bin}/calls"\n[ "$2" = list ] && echo "${openIssue}"\nexit 0\n`, { mode: 0o755 });
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
      assert.match(calls, new RegExp(`^issue create --repo o/r --title EWS ends on ${shutdown}: tenant stacks still relying on it --label ews-shutdown --body EWS in Exchange Online ends for good on ${shutdown}, in ${daysLeft} days`, "m"));
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

  it("Pulumi signs in with the job's GitHub OIDC token: the deployer's ids in its step, id-token: write on every job using it, no Azure CLI login", () => {
    const pulumi = action("./.github/actions/pulumi");
    const step = pulumi.runs.steps.find((s) => s.uses?.startsWith("pulumi/actions@"))!;
    // ARM_* for the azuread provider; AZURE_* for the program and the dynamic providers (credentialFromEnvironment).
    for (const [name, input] of [["ARM_CLIENT_ID", "azure-client-id"], ["ARM_TENANT_ID", "azure-tenant-id"], ["AZURE_CLIENT_ID", "azure-client-id"], ["AZURE_TENANT_ID", "azure-tenant-id"]]) {
      assert.equal(step.env?.[name], `\${{ inputs.${input} }}`, `the pulumi step gets ${name}`);
    }
    assert.equal(step.env?.ARM_USE_OIDC, "true");
    assert.ok(!step.env?.AZURE_CLIENT_SECRET && !step.env?.ARM_CLIENT_SECRET, "no stored Azure secret");
    assert.ok(!pulumi.runs.steps.some((s) => s.uses?.startsWith("azure/login@")), "nothing uses an Azure CLI session");
    const users = workflowFiles.flatMap((file) => {
      const w = workflow(file) as Workflow & { permissions?: Record<string, string> };
      return Object.entries(w.jobs)
        .filter(([, job]) => job.steps.some((s) => s.uses === "./.github/actions/pulumi"))
        .map(([name, job]) => ({ where: `${file} ${name}`, permissions: job.permissions ?? w.permissions }));
    });
    assert.ok(users.length >= 3, "preview, deploy and drift run Pulumi");
    for (const { where, permissions } of users) assert.equal(permissions?.["id-token"], "write", `${where}: GitHub sets ACTIONS_ID_TOKEN_REQUEST_* only with id-token: write`);
  });

  it("the package's own CI: install, lint, typecheck and tests on Node 22 and 24 through .ci/run", () => {
    const ci = workflow("ci.yml");
    assert.deepEqual(ci.jobs.test!.strategy?.matrix?.node, [22, 24]);
    assert.ok(ci.jobs.test!.steps.some((step) => step.run === "bash .ci/run"));
    assert.ok(ci.jobs.stacks!.steps.some((step) => /retain-m365 plan --all/.test(step.run ?? "")));
  });
});

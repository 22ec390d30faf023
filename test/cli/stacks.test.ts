import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { before, describe, it } from "node:test";
import { stackName } from "../../cli/arguments";
import { stacksTouchedBy } from "../../cli/changed-stacks";
import { MATRIX_MAX_JOBS, shardStacks } from "../../cli/stacks";
import { isStackName, listStacks } from "../../config/stack-file";
import { runMain } from "../support/contract";

describe("which stacks a change touches", () => {
  const stacks = ["contoso", "fabrikam"];
  it("a changed stack file is that stack only", () => {
    assert.deepEqual(stacksTouchedBy(["stacks/Pulumi.fabrikam.yaml"], "stacks", stacks), ["fabrikam"]);
  });
  it("a change to the program is every stack", () => {
    for (const file of ["components/dns.ts", "program/program.ts", "package-lock.json", "Pulumi.yaml", "policy/policies.ts", "index.ts"]) {
      assert.deepEqual(stacksTouchedBy(["stacks/Pulumi.contoso.yaml", file], "stacks", stacks), stacks, file);
    }
  });
  it("docs, tests, benchmarks, the demo and CI definitions touch no stack; nor does a deleted or unknown stack file", () => {
    assert.deepEqual(
      stacksTouchedBy(
        [
          "README.md",
          "docs/runbook.md",
          "test/sync.test.ts",
          "bench/run.ts",
          "demo/run.ts",
          "demo/Pulumi.contoso.yaml",
          ".github/workflows/ci.yml",
          "stacks/Pulumi.gone.yaml",
        ],
        "stacks",
        stacks,
      ),
      [],
    );
  });
});

describe("retain-m365 stacks", () => {
  let repo: string;
  const git = (...args: string[]) =>
    execFileSync("git", args, {
      cwd: repo,
      encoding: "utf8",
      env: { ...process.env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@example.com", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@example.com" },
    });
  const write = (file: string, text: string) => {
    mkdirSync(path.dirname(path.join(repo, file)), { recursive: true });
    writeFileSync(path.join(repo, file), text);
  };
  const stacksOf = async (...args: string[]) => {
    const result = await runMain(["stacks", "--json", ...args], { cwd: repo });
    assert.equal(result.code, 0, result.stderr);
    return JSON.parse(result.stdout) as string[];
  };

  before(() => {
    repo = mkdtempSync(path.join(tmpdir(), "retain-stacks-"));
    git("init", "-q", "-b", "main");
    for (const stack of ["contoso", "fabrikam", "northwind"]) write(`stacks/Pulumi.${stack}.yaml`, "config: {}\n");
    write("components/dns.ts", "export {};\n");
    git("add", "-A");
    git("commit", "-qm", "base");
  });

  it("lists every stack without --changed-since, as lines or JSON", async () => {
    assert.deepEqual(await stacksOf(), ["contoso", "fabrikam", "northwind"]);
    assert.equal((await runMain(["stacks"], { cwd: repo })).stdout, "contoso\nfabrikam\nnorthwind\n");
  });

  it("on a branch: the stacks whose files changed since the base; every stack once the program changes", async () => {
    git("checkout", "-qb", "change");
    write("stacks/Pulumi.fabrikam.yaml", "config: { retain-m365:passwordRotation: '2027-01' }\n");
    write("README.md", "docs\n");
    git("commit", "-qam", "rotate fabrikam");
    assert.deepEqual(await stacksOf("--changed-since", "main"), ["fabrikam"]);
    write("components/dns.ts", "export const x = 1;\n");
    git("commit", "-qam", "change the program");
    assert.deepEqual(await stacksOf("--changed-since", "main"), ["contoso", "fabrikam", "northwind"]);
    git("checkout", "-q", "main");
  });

  it("every stack after a push with no previous commit (GitHub's all-zero `before`)", async () => {
    assert.deepEqual(await stacksOf("--changed-since", "0".repeat(40)), ["contoso", "fabrikam", "northwind"]);
  });

  it("exits 2 naming the git problem for an unknown commit", async () => {
    const result = await runMain(["stacks", "--changed-since", "no-such-ref"], { cwd: repo });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /git diff .*no-such-ref\.\.\.HEAD failed/);
  });
});

describe("retain-m365 stacks --shard-size: shards for GitHub's nested matrices (at most 256 jobs each)", () => {
  const names = (count: number) => Array.from({ length: count }, (_, i) => `tenant-${String(i).padStart(5, "0")}`);

  it("1,000 stacks in shards of at most 64: 16 shards of 62 or 63, every stack once and in order", () => {
    const shards = shardStacks(names(1000), 64);
    assert.equal(shards.length, 16);
    assert.deepEqual([...new Set(shards.map((shard) => shard.length))].sort(), [62, 63]);
    assert.deepEqual(shards.flat(), names(1000));
  });

  it("as even as can be (300 in shards of 256 is 150 + 150); none for no stack", () => {
    assert.deepEqual(
      shardStacks(names(300), 256).map((shard) => shard.length),
      [150, 150],
    );
    assert.deepEqual(shardStacks(names(3), 2), [names(3).slice(0, 2), names(3).slice(2)]);
    assert.deepEqual(shardStacks([], 64), []);
  });

  it("the most one shard size can hold is 256 shards of it; one stack more is exit 2, naming the limit", () => {
    assert.equal(shardStacks(names(MATRIX_MAX_JOBS * 3), 3).length, MATRIX_MAX_JOBS);
    assert.throws(
      () => shardStacks(names(MATRIX_MAX_JOBS * 3 + 1), 3),
      /769 stacks in shards of at most 3 make 257 shards, more than the 256 jobs GitHub runs per matrix; raise --shard-size/,
    );
  });

  it("the CLI prints the shards as JSON arrays, or one line per shard; refuses a size outside 1–256 and --relying-on-ews", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "retain-stacks-shards-"));
    mkdirSync(path.join(dir, "stacks"));
    for (const name of names(5)) writeFileSync(path.join(dir, "stacks", `Pulumi.${name}.yaml`), "config: {}\n");
    const json = await runMain(["stacks", "--json", "--shard-size", "2"], { cwd: dir });
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout), [names(5).slice(0, 2), names(5).slice(2, 4), names(5).slice(4)]);
    assert.equal((await runMain(["stacks", "--shard-size", "3"], { cwd: dir })).stdout, `${names(5).slice(0, 3).join(" ")}\n${names(5).slice(3).join(" ")}\n`);
    for (const bad of ["0", "257", "1.5", "x", "-1"]) {
      const result = await runMain(["stacks", "--json", "--shard-size", bad], { cwd: dir });
      assert.equal(result.code, 2, bad);
      assert.match(result.stderr, /--shard-size must be a whole number from 1 to 256, GitHub's limit of jobs per matrix/, bad);
    }
    const ews = await runMain(["stacks", "--json", "--relying-on-ews", "--shard-size", "2"], { cwd: dir });
    assert.equal(ews.code, 2);
    assert.match(ews.stderr, /--shard-size and --relying-on-ews cannot be used together/);
  });
});

describe("stack names: only what Pulumi allows, wherever a name is read", () => {
  const allowed = ["contoso", "Contoso-2", "eu_west.prod", "a", "x".repeat(100), "v1.2", ".hidden", "-dash"];
  // Names that would be code in a shell, a jq program, markdown or a path.
  const refused = ["", ".", "..", "x".repeat(101), "a b", 'a"b', "a'b", "a`b", "a$(touch pwned)", "a;b", "a\nb", "a/b", "a\\b", "ä", "a|b", "a)", "a\\(.x)"];

  it("isStackName (stack files) and --stack (stackName) agree: letters, digits, -, _ and ., 1 to 100 of them, not only dots", () => {
    for (const name of allowed) {
      assert.ok(isStackName(name), name);
      assert.equal(stackName(name), name);
    }
    for (const name of refused) {
      assert.ok(!isStackName(name), JSON.stringify(name));
      assert.throws(() => stackName(name), /--stack must be a stack name/, JSON.stringify(name));
    }
  });

  it("a stack file whose name Pulumi does not allow: `stacks` and `plan --all` exit 2 naming the file; nothing of the name runs", async () => {
    for (const bad of ["a$(touch pwned)", 'x") | .number, ("', "a b", "a`id`"]) {
      const dir = mkdtempSync(path.join(tmpdir(), "retain-stack-names-"));
      mkdirSync(path.join(dir, "stacks"));
      writeFileSync(path.join(dir, "stacks", "Pulumi.good.yaml"), "config: {}\n");
      writeFileSync(path.join(dir, "stacks", `Pulumi.${bad}.yaml`), "config: {}\n");
      assert.throws(
        () => listStacks(path.join(dir, "stacks")),
        (error: Error) => error.message.includes(JSON.stringify(bad)),
      );
      for (const args of [["stacks", "--json"], ["stacks"], ["plan", "--all"]]) {
        const result = await runMain(args, { cwd: dir });
        assert.equal(result.code, 2, `${args.join(" ")}: ${result.stdout}${result.stderr}`);
        assert.ok(result.stderr.includes(`stack file ${JSON.stringify(path.join("stacks", `Pulumi.${bad}.yaml`))}`), result.stderr);
        assert.match(result.stderr, /is not a stack name Pulumi allows/);
        assert.equal(result.stdout, "", "no stack is listed");
      }
      assert.ok(!readdirSync(dir).includes("pwned"));
    }
  });

  it("names Pulumi allows are listed as they are, sorted", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "retain-stack-names-"));
    for (const name of ["eu_west.prod", "Contoso-2", "a"]) writeFileSync(path.join(dir, `Pulumi.${name}.yaml`), "config: {}\n");
    writeFileSync(path.join(dir, "README.md"), "not a stack\n");
    assert.deepEqual(listStacks(dir), ["Contoso-2", "a", "eu_west.prod"]);
  });
});

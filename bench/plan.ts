// `npm run bench -- d`: the offline plan, one stack and a hundred (docs/bench.md).
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { runCaptured } from "./child-process";

const ROOT = path.resolve(__dirname, "..");
const CLI = path.join(ROOT, "bin", "retain-m365.js");

async function cli(args: string[]): Promise<{ seconds: number; stdout: string }> {
  const { code, stdout, stderr, ms } = await runCaptured(process.execPath, [CLI, ...args], { cwd: ROOT, env: process.env });
  if (code !== 0) throw new Error(`${args.join(" ")} exited ${String(code)}: ${stderr}`);
  return { seconds: ms / 1000, stdout };
}

/** `count` tenants made from the example stack: their own tenant id and domains. */
function stackFolder(count: number): string {
  const dir = mkdtempSync(path.join(tmpdir(), "bench-stacks-"));
  const example = readFileSync(path.join(ROOT, "stacks", "Pulumi.example.yaml"), "utf8");
  for (let i = 1; i <= count; i++) {
    const id = String(i).padStart(3, "0");
    const text = example
      .replace("00000000-0000-4000-8000-000000000001", `00000000-0000-4000-8000-000000000${id}`)
      .replace(/example\.(com|net)/g, `tenant${id}.$1`);
    writeFileSync(path.join(dir, `Pulumi.tenant${id}.yaml`), text);
  }
  return dir;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export async function benchPlans(): Promise<void> {
  console.log("\n## (d) the offline plan\n");
  const one: number[] = [];
  for (let i = 0; i < 3; i++) one.push((await cli(["plan", "--stack", "example", "--json"])).seconds);
  console.log(`plan --stack example: ${median(one).toFixed(2)} s, median of 3 (${one.map((s) => s.toFixed(2)).join(", ")}; target ≤ 2.5 s)`);

  const dir = stackFolder(100);
  const all = await cli(["plan", "--all", "--stacks-dir", dir, "--json"]);
  const plans = (JSON.parse(all.stdout) as { stacks: { stack: string }[] }).stacks;
  console.log(`plan --all over ${plans.length} stacks: ${all.seconds.toFixed(1)} s (target ≤ 60 s)`);
  const checked = ["tenant001", "tenant050", "tenant100"];
  const same = [];
  for (const stack of checked) {
    const own = JSON.parse((await cli(["plan", "--stack", stack, "--stacks-dir", dir, "--json"])).stdout) as unknown;
    same.push(JSON.stringify(own) === JSON.stringify(plans.find((plan) => plan.stack === stack)));
  }
  console.log(`each plan the same as its own plan --stack: ${same.every(Boolean) ? "yes" : "NO"} (checked ${checked.join(", ")})`);
}

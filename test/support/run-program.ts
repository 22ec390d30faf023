// Runs the whole tenant program under Pulumi's mock runtime (not a preview: providers' outputs are
// faked) for the stack file given as argument, and prints every registered resource as JSON. A
// second argument names a JSON file with what the tenant holds already (a Discovery, resource names
// as urns), as `pulumi up` would have read it; a failure prints its message and exits with its code.
import { readFileSync } from "node:fs";
import path from "node:path";
import { loadIntoRuntime } from "../../program/runtime-config";
import { loadConfigFile } from "../../config/stack-file";
import { parseServiceConfigurationRecords } from "../../m365/service-records";
import { isSecretValue, startMockRuntime } from "../../program/mock-runtime";
import { deployTenant } from "../../program/program";
import type { Discovery } from "../../program/adopt/findings";
import { fakeCall, fakeOutputs } from "./fake-tenant";

async function run(file: string, discoveryFile?: string) {
  const runtime = await startMockRuntime({ project: "retain-m365", stack: "run", preview: false, outputs: fakeOutputs, call: fakeCall });
  loadIntoRuntime(loadConfigFile(file));
  const graphAnswer = JSON.parse(readFileSync(path.join(__dirname, "..", "fixtures", "service-configuration-records.json"), "utf8")) as { value: unknown[] };
  const discovery = discoveryFile ? (JSON.parse(readFileSync(discoveryFile, "utf8")) as Discovery) : undefined;
  try {
    await deployTenant({
      recordSource: () => ({ recordsFor: (domain) => Promise.resolve(parseServiceConfigurationRecords(domain, graphAnswer.value)) }),
      ...(discovery ? { discover: () => Promise.resolve(discovery) } : {}),
    });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit((error as { exitCode?: number }).exitCode ?? 1);
  }
  await runtime.settle();
  await runtime.stop();
  const unwrap = (value: unknown): unknown =>
    isSecretValue(value)
      ? { secret: unwrap(value.value) }
      : Array.isArray(value)
        ? value.map(unwrap)
        : value !== null && typeof value === "object"
          ? Object.fromEntries(Object.entries(value).filter(([k]) => k !== "__provider").map(([k, v]) => [k, unwrap(v)]))
          : value;
  process.stdout.write(JSON.stringify(runtime.resources.map((r) => ({ name: r.name, type: r.type, protect: r.protect, retainOnDelete: r.retainOnDelete, importId: r.importId, ignoreChanges: r.ignoreChanges, inputs: unwrap(r.inputs) }))));
}

void run(process.argv[2] ?? "", process.argv[3]);

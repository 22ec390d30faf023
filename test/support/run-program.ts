// Runs the whole tenant program under Pulumi's mock runtime (not a preview: providers' outputs are
// faked) for the stack file given as argument, and prints every registered resource as JSON.
import { readFileSync } from "node:fs";
import path from "node:path";
import { loadIntoRuntime } from "../../program/runtime-config";
import { loadConfigFile } from "../../config/stack-file";
import { parseServiceConfigurationRecords } from "../../m365/service-records";
import { isSecretValue, startMockRuntime } from "../../program/mock-runtime";
import { deployTenant } from "../../program/program";
import { fakeCall, fakeOutputs } from "./fake-tenant";

async function run(file: string) {
  const runtime = await startMockRuntime({ project: "retain-m365", stack: "run", preview: false, outputs: fakeOutputs, call: fakeCall });
  loadIntoRuntime(loadConfigFile(file));
  const graphAnswer = JSON.parse(readFileSync(path.join(__dirname, "..", "fixtures", "service-configuration-records.json"), "utf8")) as { value: unknown[] };
  await deployTenant({ recordSource: () => ({ recordsFor: (domain) => Promise.resolve(parseServiceConfigurationRecords(domain, graphAnswer.value)) }) });
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
  process.stdout.write(JSON.stringify(runtime.resources.map((r) => ({ name: r.name, type: r.type, protect: r.protect, inputs: unwrap(r.inputs) }))));
}

void run(process.argv[2] ?? "");

// Runs the whole tenant program under Pulumi's mock runtime (not a preview: providers' outputs are
// faked) for the stack file given, in this process, and gives every registered resource as JSON
// would show it. `discovery` is what the tenant holds already (resource names as urns), as
// `pulumi up` would have read it; a failure gives its message and its exit code instead.
import { readFileSync } from "node:fs";
import path from "node:path";
import { format } from "node:util";
import { loadIntoRuntime } from "../../program/runtime-config";
import { loadConfigFile } from "../../config/stack-file";
import { parseServiceConfigurationRecords } from "../../m365/microsoft-dns-records/records";
import { isSecretValue, startMockRuntime } from "../../program/mock-runtime";
import { deployTenant } from "../../program/program";
import type { Discovery } from "../../components/discovery";
import { fakeCall, fakeOutputs } from "./fake-tenant";

export interface ProgramRun {
  code: number;
  /** Each dynamic resource type's provider, as Pulumi serialized it into the resource's inputs. */
  providers: Record<string, string>;
  resources: {
    name: string;
    type: string;
    protect: boolean;
    retainOnDelete: boolean;
    importId?: string;
    ignoreChanges: string[];
    inputs: Record<string, unknown>;
  }[];
  stderr: string;
}

export async function runProgram(file: string, discovery?: Discovery): Promise<ProgramRun> {
  const runtime = await startMockRuntime({ project: "retain-m365", stack: "run", preview: false, outputs: fakeOutputs, call: fakeCall });
  loadIntoRuntime(loadConfigFile(file));
  const graphAnswer = JSON.parse(readFileSync(path.join(__dirname, "..", "fixtures", "service-configuration-records.json"), "utf8")) as { value: unknown[] };
  // As read from a file: JSON.
  const discovered = discovery ? (JSON.parse(JSON.stringify(discovery)) as Discovery) : undefined;
  // Without an engine, Pulumi's log.warn writes to console.warn: the stderr of a run.
  let stderr = "";
  const warn = console.warn;
  console.warn = (...args: unknown[]) => void (stderr += `${format(...args)}\n`);
  try {
    await deployTenant({
      recordSource: () => ({ recordsFor: (domain) => Promise.resolve(parseServiceConfigurationRecords(domain, graphAnswer.value)) }),
      ...(discovered ? { discover: () => Promise.resolve(discovered) } : {}),
    });
    await runtime.settle();
  } catch (error) {
    return { code: (error as { exitCode?: number }).exitCode ?? 1, resources: [], providers: {}, stderr: `${stderr}${(error as Error).message}\n` };
  } finally {
    console.warn = warn;
    await runtime.stop();
  }
  const unwrap = (value: unknown): unknown =>
    isSecretValue(value)
      ? { secret: unwrap(value.value) }
      : Array.isArray(value)
        ? value.map(unwrap)
        : value !== null && typeof value === "object"
          ? Object.fromEntries(
              Object.entries(value)
                .filter(([k]) => k !== "__provider")
                .map(([k, v]) => [k, unwrap(v)]),
            )
          : value;
  const resources = runtime.resources.map((r) => ({
    name: r.name,
    type: r.type,
    protect: r.protect,
    retainOnDelete: r.retainOnDelete,
    importId: r.importId,
    ignoreChanges: r.ignoreChanges,
    inputs: unwrap(r.inputs),
  }));
  const providers = Object.fromEntries(
    runtime.resources.flatMap((r) => (typeof r.inputs.__provider === "string" ? [[r.type, r.inputs.__provider] as const] : [])),
  );
  return { code: 0, resources: JSON.parse(JSON.stringify(resources)) as ProgramRun["resources"], providers, stderr };
}

import * as pulumi from "@pulumi/pulumi";

/** A resource the program registered, with its inputs as the engine would receive them. */
export interface RegisteredResource {
  urn: string;
  type: string;
  name: string;
  custom: boolean;
  parent?: string;
  /** Whether `pulumi destroy` and removal are refused for this resource. */
  protect: boolean;
  /** Whether `pulumi destroy` and removal leave the real object in place. */
  retainOnDelete: boolean;
  /** The id of an existing object the deploy imports (the `import` option), if any. */
  importId?: string;
  /** Resource hooks bound to it, by event. */
  hooks: { afterCreate: string[] };
  /** Earlier names the engine matches it to (the `aliases` option, name specs), so a rename does not replace it. */
  aliasNames: string[];
  /** Inputs whose changes the engine ignores (the `ignoreChanges` option). */
  ignoreChanges: string[];
  /** Deserialized inputs: secrets keep Pulumi's secret wrapper, unknowns are `pulumi.unknown`. */
  inputs: Record<string, unknown>;
}

export interface MockRuntime {
  /** Resources in registration order. */
  resources: RegisteredResource[];
  /** Resolves when every pending registration has reached the mock monitor. */
  settle(): Promise<void>;
  /** Stops the runtime, and the callback server that resource hooks start. */
  stop(): Promise<void>;
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getCustom(): boolean;
  getParent(): string;
  getProtect(): boolean;
  getRetainondelete(): boolean | undefined;
  getImportid(): string;
  getHooks(): { getAfterCreateList(): string[] } | undefined;
  getAliasesList(): { getSpec(): { getName(): string } | undefined }[];
  getIgnorechangesList(): string[];
  getObject(): Parameters<typeof pulumi.runtime.deserializeProperties>[0];
}
type RegisterCallback = (error: unknown, response?: { getUrn(): string }) => void;
interface MonitorWithRegister {
  registerResource(request: RegisterRequest, callback: RegisterCallback): Promise<void> | void;
  registerResourceHook?: (request: unknown, callback: (error: unknown, response?: unknown) => void) => void;
}
type RuntimeInternals = typeof pulumi.runtime & { waitForRPCs?: () => Promise<void> };

/**
 * Starts Pulumi's mock runtime and records every registration, parents included (the `Mocks`
 * interface alone does not see parents). Must run before the program is imported.
 */
export interface MockRuntimeOptions {
  project: string;
  stack: string;
  preview: boolean;
  /** Outputs a provider would compute, added to the echoed inputs (tests); none in a preview. */
  outputs?: (args: pulumi.runtime.MockResourceArgs) => Record<string, unknown>;
  /** Results of provider functions (data sources); by default the inputs are echoed. */
  call?: (args: pulumi.runtime.MockCallArgs) => Record<string, unknown>;
}

export async function startMockRuntime(options: MockRuntimeOptions): Promise<MockRuntime> {
  const resources: RegisteredResource[] = [];
  await pulumi.runtime.setMocks(
    {
      // In a preview the engine knows no ids or computed outputs: echo the inputs only.
      newResource: (args) => ({
        id: options.preview ? undefined : `${args.name}-id`,
        state: { ...args.inputs, ...options.outputs?.(args) },
      }),
      call: (args) => options.call?.(args) ?? args.inputs,
    },
    options.project,
    options.stack,
    options.preview,
  );
  // Pulumi SDK internals, because the public mock API is not enough: `newResource` sees a
  // resource's type, name and inputs but not its parent, `protect` or hooks, which the plan and the
  // tests show, and nothing public says when every registration has reached the monitor. So the
  // mock monitor's `registerResource` is wrapped to read its gRPC request, the monitor gets the
  // `registerResourceHook` it lacks (declaring a `ResourceHook` fails without it), and `settle`
  // calls the runtime's internal `waitForRPCs`. Written against @pulumi/pulumi 3.270: a release that
  // renames these or the request's getters makes registrations throw or lose fields, and `plan`
  // and the component tests fail (`settle` names this file when `waitForRPCs` is gone).
  const monitor = pulumi.runtime.getMonitor() as unknown as MonitorWithRegister;
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (request, callback) =>
    register(request, (error, response) => {
      if (!error && response) {
        resources.push({
          urn: response.getUrn(),
          type: request.getType(),
          name: request.getName(),
          custom: request.getCustom(),
          parent: request.getParent() || undefined,
          protect: request.getProtect(),
          retainOnDelete: request.getRetainondelete() ?? false,
          importId: request.getImportid() || undefined,
          hooks: { afterCreate: request.getHooks()?.getAfterCreateList() ?? [] },
          aliasNames: request.getAliasesList().flatMap((alias) => alias.getSpec()?.getName() || []),
          ignoreChanges: request.getIgnorechangesList(),
          inputs: pulumi.runtime.deserializeProperties(request.getObject()) as Record<string, unknown>,
        });
      }
      callback(error, response);
    });

  // The mock monitor has no hook registration; the engine would keep the hook for its event.
  monitor.registerResourceHook = (_request, callback) => callback(null, {});

  const runtime = pulumi.runtime as RuntimeInternals;
  return {
    resources,
    settle: async () => {
      if (!runtime.waitForRPCs) throw new Error("this @pulumi/pulumi version has no waitForRPCs; update program/mock-runtime.ts");
      await runtime.waitForRPCs();
    },
    stop: () => pulumi.runtime.disconnect(),
  };
}

/** Whether a deserialized value is a Pulumi secret. */
export function isSecretValue(value: unknown): value is { value: unknown } {
  return value !== null && typeof value === "object" && (value as Record<string, unknown>)[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig;
}

/** Replaces secrets with `[secret]` and deploy-time values with `[unknown]`, recursively. */
export function displayValue(value: unknown): unknown {
  if (value !== null && typeof value === "object" && !Array.isArray(value) && "__provider" in value) {
    // A dynamic resource's serialized provider code: noise in a plan.
    return displayValue(Object.fromEntries(Object.entries(value).filter(([key]) => key !== "__provider")));
  }
  if (isSecretValue(value)) return "[secret]";
  if (pulumi.isUnknown(value)) return "[unknown]";
  if (Array.isArray(value)) return value.map(displayValue);
  if (value !== null && typeof value === "object") {
    const record = value as Record<string, unknown>;
    if (record[pulumi.runtime.specialSigKey] === pulumi.runtime.specialResourceSig) return record.urn;
    return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, displayValue(v)]));
  }
  return value;
}

import * as pulumi from "@pulumi/pulumi";
import { validatedOrThrow, type RawConfig } from "../config/validate";
import { OfflineServiceConfigurationRecordSource } from "../m365/microsoft-dns-records/offline";
import { deployTenant } from "./program";
import { displayValue, startMockRuntime, type RegisteredResource } from "./mock-runtime";
import type { ManualDnsRecord } from "../components/dns/providers/manual";

export const PROJECT = "retain-m365";

/** Data sources the program reads at deploy time, and the result fields only the tenant knows. */
const DEPLOY_TIME_RESULTS: Record<string, readonly string[]> = {
  "azuread:index/getServicePrincipal:getServicePrincipal": ["objectId", "appRoleIds", "displayName"],
};

/** One step, shaped like a step of `pulumi preview --json`. */
export interface PlanStep {
  op: "create";
  urn: string;
  newState: {
    type: string;
    urn: string;
    custom: boolean;
    parent?: string;
    protect?: boolean;
    inputs: Record<string, unknown>;
  };
}

export interface PlanHook {
  name: string;
  event: string;
  resource: string;
}

export interface Plan {
  stack: string;
  steps: PlanStep[];
  hooks: PlanHook[];
  changeSummary: { create: number };
  warnings: string[];
  /**
   * The records the admin creates by hand, of the domains whose provider is `manual` (the stack
   * output of the same name); a value only Graph knows is `[unknown]`. Empty where every domain's
   * provider writes its records.
   */
  manualDnsRecords: ManualDnsRecord[];
}

/**
 * Renders what `pulumi up` of a new stack would create, offline: the configuration is validated,
 * then the stack's program runs under Pulumi's mock runtime (no credentials, no network).
 * Pulumi's runtime is process-global: one plan per process.
 */
export async function planStack(stack: string, raw: RawConfig): Promise<Plan> {
  const { config, warnings } = validatedOrThrow(raw, `stack ${stack}`);

  const runtime = await startMockRuntime({
    project: PROJECT,
    stack,
    preview: true,
    call: (args) => ({
      ...args.inputs,
      ...Object.fromEntries((DEPLOY_TIME_RESULTS[args.token] ?? []).map((field) => [field, pulumi.unknown])),
    }),
  });
  const outputs = await deployTenant({ recordSource: () => new OfflineServiceConfigurationRecordSource(), config });
  await runtime.settle();
  await runtime.stop();

  return toPlan(stack, runtime.resources, warnings, offlineValues(outputs.manualDnsRecords ?? []) as ManualDnsRecord[]);
}

/** Plain values as they are; a value known only at deploy time (an Output, offline) as `[unknown]`. */
function offlineValues(value: unknown): unknown {
  if (pulumi.Output.isInstance(value)) return "[unknown]";
  if (Array.isArray(value)) return value.map(offlineValues);
  if (value !== null && typeof value === "object")
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, offlineValues(v)]),
    );
  return value;
}

export function toPlan(stack: string, resources: readonly RegisteredResource[], warnings: string[], manualDnsRecords: ManualDnsRecord[] = []): Plan {
  const stackUrn = `urn:pulumi:${stack}::${PROJECT}::pulumi:pulumi:Stack::${PROJECT}-${stack}`;
  const steps: PlanStep[] = [
    { op: "create", urn: stackUrn, newState: { type: "pulumi:pulumi:Stack", urn: stackUrn, custom: false, inputs: {} } },
    ...treeOrder(resources).map((r): PlanStep => ({
      op: "create",
      urn: r.urn,
      newState: {
        type: r.type,
        urn: r.urn,
        custom: r.custom,
        parent: r.parent ?? stackUrn,
        ...(r.protect ? { protect: true } : {}),
        inputs: displayValue(r.inputs) as Record<string, unknown>,
      },
    })),
  ];
  const hooks = resources.flatMap((r) => r.hooks.afterCreate.map((name): PlanHook => ({ name, event: "afterCreate", resource: r.urn })));
  return { stack, steps, hooks, changeSummary: { create: steps.length }, warnings, manualDnsRecords };
}

/** Parents before children, siblings components-first then by name: stable from run to run. */
function treeOrder(resources: readonly RegisteredResource[]): RegisteredResource[] {
  const byParent = new Map<string | undefined, RegisteredResource[]>();
  for (const r of resources) byParent.set(r.parent, [...(byParent.get(r.parent) ?? []), r]);
  const ordered: RegisteredResource[] = [];
  const visit = (parent: string | undefined) => {
    const children = [...(byParent.get(parent) ?? [])].sort((a, b) => Number(a.custom) - Number(b.custom) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const child of children) {
      ordered.push(child);
      visit(child.urn);
    }
  };
  visit(undefined);
  return ordered;
}

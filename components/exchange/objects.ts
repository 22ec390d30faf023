import type * as pulumi from "@pulumi/pulumi";
import {
  invokeCommand,
  unlessNotFound,
  type CmdletParameters,
  type ExchangeCommandError,
  type ExchangeObject,
  type ExchangeTarget,
} from "../../m365/exchange-admin-api";
import { EXCHANGE_MANAGE_AS_APP, EXCHANGE_ONLINE_APP_ID } from "../../m365/exchange-facts";
import { requiredInputFailures, type InputFailure } from "../provider-inputs";
import { EXCHANGE_READER_ROLE } from "./access-rights";

// Shared by the Exchange dynamic providers; serialized with them (functions only).

/** Where every Exchange dynamic resource points. */
export interface ExchangeTargetArgs {
  tenantId: pulumi.Input<string>;
  /** Exchange Online base URL; the global cloud by default. */
  exchangeEndpoint?: pulumi.Input<string>;
}

export async function getOptional(target: ExchangeTarget, cmdlet: string, identity: string): Promise<ExchangeObject | undefined> {
  return unlessNotFound(async () => (await invokeCommand(target, cmdlet, { Identity: identity }))[0]);
}

export async function removeIfPresent(target: ExchangeTarget, cmdlet: string, identity: string, extra: CmdletParameters = {}): Promise<void> {
  await unlessNotFound(() => invokeCommand(target, cmdlet, { Identity: identity, Confirm: false, ...extra }));
}

/**
 * Every id an Exchange service principal reference has: an app's role assignment shows its
 * assignee as one of them, not necessarily the id it was made with (docs/exchange.md).
 */
export function referenceIds(servicePrincipal: ExchangeObject | undefined): string[] {
  return ["Identity", "ObjectId", "ServiceId", "AppId", "Name"]
    .map((key) => servicePrincipal?.[key])
    .filter((id): id is string => typeof id === "string" && id !== "");
}

/** A role assignment that gives its role (a delegating one only lets its holder hand the role on). */
export function isRegularAssignment(assignment: ExchangeObject): boolean {
  return !/^Delegating/i.test(String(assignment.RoleAssignmentDelegationType ?? "Regular"));
}

/** What differs between an Exchange object and the settings wanted ("" and absent are the same). */
export function differences(existing: ExchangeObject, wanted: Record<string, string | undefined>): string[] {
  const text = (value: unknown) => (value === undefined || value === null ? "" : String(value));
  return Object.entries(wanted)
    .filter(([key, value]) => text(existing[key]).toLowerCase() !== text(value).toLowerCase())
    .map(([key, value]) => `${key} is "${text(existing[key])}" there, "${text(value)}" here`);
}

export interface AdoptOrCreate {
  /** Human name of the kind of object, e.g. "management scope". */
  kind: string;
  identity: string;
  getCmdlet: string;
  newCmdlet: string;
  newParameters: CmdletParameters;
  /** Settings an existing object must have to be adopted. */
  wanted: Record<string, string | undefined>;
  /** Further differences that need more than a field comparison (e.g. another lookup). */
  moreDifferences?: (existing: ExchangeObject) => Promise<string[]>;
}

/** Idempotent create: an identical existing object is adopted, a different one is an error saying how. */
export async function adoptOrCreate(target: ExchangeTarget, spec: AdoptOrCreate): Promise<{ object: ExchangeObject; adopted: boolean }> {
  const existing = await getOptional(target, spec.getCmdlet, spec.identity);
  if (existing) {
    const diff = [...differences(existing, spec.wanted), ...((await spec.moreDifferences?.(existing)) ?? [])];
    if (diff.length > 0) {
      throw new Error(
        `${spec.kind} "${spec.identity}" already exists in Exchange with other settings (${diff.join("; ")}); remove it or change the configuration to match`,
      );
    }
    return { object: existing, adopted: true };
  }
  const [created] = await invokeCommand(target, spec.newCmdlet, spec.newParameters);
  return { object: created ?? {}, adopted: false };
}

/** `check` failures of an Exchange object's inputs: its target's and those `required` besides. */
export function exchangeInputFailures(inputs: object, required: readonly string[]): InputFailure[] {
  return requiredInputFailures(inputs, ["tenantId", "exchangeEndpoint", ...required], ["exchangeEndpoint"]);
}

/** Properties whose change means a different object; `tenantId` always is. */
export function changedProperties(olds: Record<string, unknown>, news: Record<string, unknown>, keys: readonly string[]): string[] {
  return keys.filter((key) => (olds[key] ?? "") !== (news[key] ?? ""));
}

/**
 * A `read` (refresh) of an object that no longer exists: no id. The SDK's dynamic provider server
 * passes the id on as the ReadResponse's (@pulumi/pulumi cmd/dynamic-provider/index.js `read`;
 * dynamic/index.d.ts `ReadResult.id`: "blank if missing"); the engine takes an empty id for a missing
 * resource (pulumi/pulumi pkg/resource/plugin/provider_plugin.go `Read`: "If the resource was
 * missing, simply return a nil property map"), and its RefreshStep then drops the resource from the
 * state (OpDelete), so the next `pulumi up` creates it again.
 */
export function gone(): { id: string } {
  return { id: "" };
}

/** What reading the Exchange objects back (a refresh: `pulumi refresh`, `pulumi preview --refresh`, the Drift workflow) needs. */
export const EXCHANGE_REFRESH_ACCESS = `${EXCHANGE_MANAGE_AS_APP} on Office 365 Exchange Online (${EXCHANGE_ONLINE_APP_ID}) and the Entra role ${EXCHANGE_READER_ROLE}`;

/**
 * Runs a refresh's reads. A refusal (HTTP 401/403, or a cmdlet outside the caller's roles, which
 * Exchange leaves out of its session: CommandNotFoundException) is an error naming what the reading
 * identity needs, never "gone": only ManagementObjectNotFoundException means the object is not there.
 */
export async function readingBack<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    const { status, exceptionType } = error as Partial<ExchangeCommandError>;
    if (status === 401 || status === 403 || exceptionType === "CommandNotFoundException") {
      throw new Error(`${(error as Error).message} — reading Exchange back (a refresh) needs ${EXCHANGE_REFRESH_ACCESS} for the identity running it`);
    }
    throw error;
  }
}

/** The recorded value where Exchange shows the same in another letter case (no diff), else Exchange's. */
export function asRecorded(recorded: string, live: unknown): string {
  const shown = live === undefined || live === null ? "" : String(live);
  return shown.toLowerCase() === recorded.toLowerCase() ? recorded : shown;
}

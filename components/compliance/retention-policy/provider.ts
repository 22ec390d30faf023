import type * as pulumi from "@pulumi/pulumi";
import { ExitCode, UserFacingError } from "../../../core/errors";
import { complianceClient, type ComplianceClient, type ComplianceObject } from "../../../m365/compliance-api";
import { COMPLIANCE_READ_ROLE, COMPLIANCE_WRITE_ROLE, MAX_RETAIN_DAYS } from "../../../m365/compliance-facts";
import { unlessNotFound, type ExchangeCommandError } from "../../../m365/exchange-admin-api";
import { EXCHANGE_MANAGE_AS_APP, EXCHANGE_ONLINE_APP_ID } from "../../../m365/exchange-facts";
import { requiredInputFailures, type InputFailure } from "../../provider-inputs";

// Pulumi serializes the provider below into the stack state and runs it in another process: its
// methods use only globals, functions and constants (here, in m365/ and components/provider-inputs.ts).

/** How long a retention policy keeps mailbox items: days, or without end. */
export type RetainDays = number | "unlimited";

export interface RetentionPolicyInputs {
  tenantId: string;
  /** The cloud's Security & Compliance base URL (m365/clouds.ts `compliance`). */
  complianceEndpoint: string;
  /** The policy's unique name in Purview. */
  name: string;
  retainDays: RetainDays;
  /** `All` (every mailbox, those created later too), or the mailboxes named. */
  exchangeLocation: "All" | string[];
}

export interface RetentionPolicyOutputs extends RetentionPolicyInputs {
  /** Purview's Guid of the policy. */
  policyGuid: string;
  /** False where someone turned the policy off by hand (a refresh shows it; the next deployment turns it on again). */
  enabled: boolean;
  /** The rule's action as Purview has it: Keep, as created, unless changed by hand. */
  retentionAction: string;
}

/** The retention rule of the policy `name` (one per policy: New-RetentionComplianceRule). */
export function retentionRuleName(name: string): string {
  return `${name} rule`;
}

/** Purview's `-RetentionDuration`: days, or `Unlimited` (New-RetentionComplianceRule). */
export function retentionDuration(days: RetainDays): number | "Unlimited" {
  return days === "unlimited" ? "Unlimited" : days;
}

/** A rule's RetentionDuration as Purview shows it (days as a number or a string, or Unlimited), as the stack writes it. */
export function retainDaysOf(duration: unknown): RetainDays | undefined {
  if (typeof duration === "string" && /^unlimited$/i.test(duration.trim())) return "unlimited";
  const days = typeof duration === "string" && /^\s*\d+\s*$/.test(duration) ? Number(duration) : duration;
  return typeof days === "number" && Number.isInteger(days) && days > 0 ? days : undefined;
}

/**
 * A location list as Get-RetentionCompliancePolicy returns it: objects with a Name (Microsoft365DSC
 * reads `$PolicyObject.ExchangeLocation.Name`), or names (docs/compliance.md).
 */
export function locationNames(value: unknown): string[] {
  return (Array.isArray(value) ? value : value === undefined || value === null ? [] : [value])
    .map((entry) =>
      typeof entry === "object" && entry !== null ? ((entry as { Name?: unknown }).Name ?? (entry as { DisplayName?: unknown }).DisplayName) : entry,
    )
    .filter((name): name is string => typeof name === "string" && name !== "");
}

/** The Exchange location as the stack writes it: `All`, or the names in order. */
export function exchangeLocationOf(names: readonly string[]): "All" | string[] {
  return names.length === 1 && /^all$/i.test(names[0]!) ? "All" : [...names];
}

const sameLocation = (a: "All" | readonly string[], b: "All" | readonly string[]) =>
  JSON.stringify(a === "All" ? "all" : [...a].map((x) => x.toLowerCase()).sort()) ===
  JSON.stringify(b === "All" ? "all" : [...b].map((x) => x.toLowerCase()).sort());

/**
 * Why these arguments cannot be a retention policy: every problem, each naming its property (a pure
 * function: `check` and the tests call it). Assumed (docs/compliance.md): a name of at most 64
 * characters, as Purview's portal takes.
 */
export function retentionPolicyInputFailures(inputs: Partial<Record<keyof RetentionPolicyInputs, unknown>>): InputFailure[] {
  const failures = requiredInputFailures(inputs, ["tenantId", "complianceEndpoint", "name"], ["complianceEndpoint"]);
  const { name, retainDays, exchangeLocation } = inputs;
  if (typeof name === "string" && (name.length > 64 || /[\p{Cc}]/u.test(name) || name.trim() !== name)) {
    failures.push({ property: "name", reason: "must be at most 64 characters, without control characters or surrounding spaces" });
  }
  const days = typeof retainDays === "number" && Number.isInteger(retainDays) && retainDays >= 1 && retainDays <= MAX_RETAIN_DAYS;
  if (!days && retainDays !== "unlimited")
    failures.push({ property: "retainDays", reason: `must be a whole number of days from 1 to ${MAX_RETAIN_DAYS}, or "unlimited"` });
  const list =
    Array.isArray(exchangeLocation) &&
    exchangeLocation.length > 0 &&
    exchangeLocation.every((m) => typeof m === "string" && m.trim() !== "" && !/^all$/i.test(m));
  if (exchangeLocation !== "All" && !list) {
    failures.push({
      property: "exchangeLocation",
      reason: 'must be "All" or a list of mailboxes (All only by itself: New-RetentionCompliancePolicy -ExchangeLocation)',
    });
  }
  return failures;
}

/** Purview's refusal of the identity (HTTP 401/403, or a cmdlet outside its roles) as exit 3 naming the role; anything else as it is. */
export function complianceRefusal(error: unknown, doing: string, role: string): unknown {
  const { status, exceptionType } = (error ?? {}) as Partial<ExchangeCommandError>;
  if (status === 401 || status === 403 || exceptionType === "CommandNotFoundException") {
    return new UserFacingError(
      `${(error as Error).message} — ${doing} needs the Entra role ${role} and ${EXCHANGE_MANAGE_AS_APP} on Office 365 Exchange Online (${EXCHANGE_ONLINE_APP_ID}) for the identity running it`,
      ExitCode.auth,
    );
  }
  return error;
}

async function asReader<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw complianceRefusal(error, "reading retention policies back (a refresh)", COMPLIANCE_READ_ROLE);
  }
}

async function asWriter<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw complianceRefusal(error, "deploying the retention policy", COMPLIANCE_WRITE_ROLE);
  }
}

/** The policy of that name or Guid with its locations as they are (-DistributionDetail), or undefined. */
export async function policyNamed(client: ComplianceClient, identity: string): Promise<ComplianceObject | undefined> {
  return unlessNotFound(async () => (await client.invoke("Get-RetentionCompliancePolicy", { Identity: identity, DistributionDetail: true }))[0]);
}

/** The policy's rule (one at most), or undefined. */
export async function ruleOf(client: ComplianceClient, policyGuid: string): Promise<ComplianceObject | undefined> {
  return (await client.invoke("Get-RetentionComplianceRule", { Policy: policyGuid }))[0];
}

/** What differs between an existing policy (and its rule) and the one declared; empty when it can be adopted. */
export function policyDifferences(policy: ComplianceObject, rule: ComplianceObject | undefined, inputs: RetentionPolicyInputs): string[] {
  const differences: string[] = [];
  const location = exchangeLocationOf(locationNames(policy.ExchangeLocation));
  if (!sameLocation(location, inputs.exchangeLocation)) {
    differences.push(`its Exchange location is ${JSON.stringify(location === "All" ? "All" : location)}, ${JSON.stringify(inputs.exchangeLocation)} here`);
  }
  if (policy.Enabled === false) differences.push("it is turned off");
  if (rule) {
    const days = retainDaysOf(rule.RetentionDuration);
    if (days !== inputs.retainDays)
      differences.push(`it keeps items ${days === undefined ? String(rule.RetentionDuration) : days} days, ${inputs.retainDays} here`);
    if (String(rule.RetentionComplianceAction ?? "") !== "Keep") differences.push(`its rule's action is ${String(rule.RetentionComplianceAction)}, Keep here`);
  }
  return differences;
}

function outputs(inputs: RetentionPolicyInputs, policy: ComplianceObject): RetentionPolicyOutputs {
  return { ...inputs, policyGuid: String(policy.Guid ?? policy.Identity ?? ""), enabled: true, retentionAction: "Keep" };
}

/** The rule as declared: Keep for the declared days (New-RetentionComplianceRule's first example, with days). */
async function createRule(client: ComplianceClient, inputs: RetentionPolicyInputs, policyGuid: string): Promise<void> {
  await client.invoke("New-RetentionComplianceRule", {
    Name: retentionRuleName(inputs.name),
    Policy: policyGuid,
    RetentionDuration: retentionDuration(inputs.retainDays),
    RetentionComplianceAction: "Keep",
  });
}

/**
 * A retention policy for Exchange mailboxes with one rule that keeps items for the declared days:
 * deleted and purged items too, until Retain archives again (Retain's "Preventing the Deletion of
 * Unarchived Messages").
 */
export const retentionPolicyProvider: pulumi.dynamic.ResourceProvider<RetentionPolicyInputs, RetentionPolicyOutputs> = {
  async check(_olds, news) {
    return { inputs: news, failures: retentionPolicyInputFailures(news) };
  },
  /** Adopts a policy of the name that keeps what is declared (or one left without its rule by an interrupted create); else creates it and its rule. */
  async create(inputs) {
    const client = complianceClient(inputs);
    return asWriter(async () => {
      const existing = await policyNamed(client, inputs.name);
      if (existing) {
        const guid = String(existing.Guid ?? existing.Identity ?? inputs.name);
        const rule = await ruleOf(client, guid);
        const differences = policyDifferences(existing, rule, inputs);
        if (differences.length > 0) {
          throw new Error(
            `the retention policy "${inputs.name}" already exists in Purview with other settings (${differences.join("; ")}); remove it (Remove-RetentionCompliancePolicy -Identity "${inputs.name}") or give the stack's policy another name`,
          );
        }
        if (!rule) await createRule(client, inputs, guid);
        return { id: guid, outs: outputs(inputs, existing) };
      }
      const [policy] = await client.invoke("New-RetentionCompliancePolicy", { Name: inputs.name, ExchangeLocation: inputs.exchangeLocation });
      const created = policy ?? (await policyNamed(client, inputs.name)) ?? {};
      const guid = String(created.Guid ?? created.Identity ?? inputs.name);
      await createRule(client, inputs, guid);
      return { id: guid, outs: outputs(inputs, created) };
    });
  },
  /**
   * A refresh: the policy as Purview has it. Removed by hand → gone (the next deployment creates it
   * again); its days, its rule's action, its location or its switch changed by hand show, and the
   * next deployment sets them back. A refusal names the role, never "gone".
   */
  async read(id, props) {
    const state = props as RetentionPolicyOutputs;
    const client = complianceClient(state);
    return asReader(async () => {
      const policy = await policyNamed(client, id || state.name);
      if (!policy) return { id: "" };
      const rule = await ruleOf(client, String(policy.Guid ?? id));
      const location = exchangeLocationOf(locationNames(policy.ExchangeLocation));
      return {
        id,
        props: {
          ...state,
          exchangeLocation: sameLocation(location, state.exchangeLocation) ? state.exchangeLocation : location,
          // A rule removed by hand keeps nothing: 0 days shows as the change it is.
          retainDays: rule ? (retainDaysOf(rule.RetentionDuration) ?? 0) : 0,
          retentionAction: rule ? String(rule.RetentionComplianceAction ?? "") : "",
          enabled: policy.Enabled !== false,
        },
      };
    });
  },
  async diff(_id, olds, news) {
    const replaces = ["tenantId", "name"].filter((key) => olds[key as keyof RetentionPolicyInputs] !== news[key as keyof RetentionPolicyInputs]);
    if (!sameLocation(olds.exchangeLocation, news.exchangeLocation)) replaces.push("exchangeLocation");
    const changed =
      olds.retainDays !== news.retainDays ||
      olds.enabled === false ||
      (olds.retentionAction ?? "Keep") !== "Keep" ||
      olds.complianceEndpoint !== news.complianceEndpoint;
    return { changes: replaces.length > 0 || changed, replaces, deleteBeforeReplace: true };
  },
  /** The days (Set-RetentionComplianceRule -RetentionDuration), the action back to Keep, the policy back on; a rule removed by hand made again. */
  async update(id, olds, news) {
    const client = complianceClient(news);
    return asWriter(async () => {
      const policy = (await policyNamed(client, id || news.name)) ?? {};
      const guid = String(policy.Guid ?? id);
      if (policy.Enabled === false || olds.enabled === false) await client.invoke("Set-RetentionCompliancePolicy", { Identity: guid, Enabled: true });
      const rule = await ruleOf(client, guid);
      if (!rule) {
        await createRule(client, news, guid);
      } else {
        const changes: Record<string, unknown> = {};
        if (retainDaysOf(rule.RetentionDuration) !== news.retainDays) changes.RetentionDuration = retentionDuration(news.retainDays);
        if (String(rule.RetentionComplianceAction ?? "") !== "Keep") changes.RetentionComplianceAction = "Keep";
        if (Object.keys(changes).length > 0)
          await client.invoke("Set-RetentionComplianceRule", { Identity: String(rule.Guid ?? rule.Identity ?? rule.Name), ...changes });
      }
      return { outs: { ...news, policyGuid: guid, enabled: true, retentionAction: "Keep" } };
    });
  },
  /** Remove-RetentionCompliancePolicy, which "also removes the corresponding retention rule"; a policy already gone is fine. */
  async delete(id, props) {
    const client = complianceClient(props);
    await asWriter(async () => {
      await unlessNotFound(() => client.invoke("Remove-RetentionCompliancePolicy", { Identity: id || props.name, Confirm: false }));
    });
  },
};

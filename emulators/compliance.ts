import { randomUUID } from "node:crypto";
import { exchangeError } from "./exchange";
import { startGraphEmulator, type EmulatorResponse, type GraphEmulator, type Route } from "./graph";

// Security & Compliance PowerShell's REST endpoint (ExchangeOnlineManagement 3.2.0 or later) as far
// as retention policies and holds go, served the way CIPP's New-ExoRequest -Compliance reaches it:
// `GET /adminapi/beta/{tenant}/EXOBanner('AutogenSession')` redirects to the tenant's regional host,
// where `POST /adminapi/beta/{tenant}/InvokeCommand` runs the cmdlet with the Exchange admin API's
// body and X-AnchorMailbox header. What Microsoft does not document is listed in docs/compliance.md.

type Obj = Record<string, unknown>;

/** A retention policy as Get-RetentionCompliancePolicy shows it (the properties read; the locations as names). */
export interface RetentionPolicyRecord {
  Name: string;
  Guid: string;
  Enabled: boolean;
  /** Enforce, or Test / AuditAndNotify (Get-RetentionCompliancePolicy's description). */
  Mode: string;
  /** Pending until Microsoft has distributed the policy, then Success. */
  DistributionStatus: string;
  ExchangeLocation: string[];
  ExchangeLocationException: string[];
  /** Another workload's locations (a SharePoint-only policy has none for Exchange). */
  SharePointLocation: string[];
  Comment: string;
}

/** A retention rule: one per policy ("Only one rule can be added to each retention policy", New-RetentionComplianceRule). */
export interface RetentionRuleRecord {
  Name: string;
  Guid: string;
  /** The policy's Guid. */
  Policy: string;
  /** Days, or "Unlimited". */
  RetentionDuration: number | "Unlimited";
  RetentionComplianceAction: string;
  Disabled: boolean;
  Mode: string;
}

/** A hold of an eDiscovery case (Get-CaseHoldPolicy). */
export interface CaseHoldRecord {
  Name: string;
  Guid: string;
  Case: string;
  Enabled: boolean;
  DistributionStatus: string;
  ExchangeLocation: string[];
}

export interface ComplianceState {
  tenantId: string;
  /** The first label of the tenant's regional host, as the AutogenSession redirect names it. */
  region: string;
  policies: RetentionPolicyRecord[];
  rules: RetentionRuleRecord[];
  caseHolds: CaseHoldRecord[];
  /** The Entra roles each app (by application id) holds, as its token carries them. */
  roles: Record<string, string[]>;
  commands: { cmdlet: string; parameters: Obj }[];
}

/** Entra roles that run the Get- cmdlets here and those that run the others (docs/compliance.md: Learn's app-only table, with an assumption). */
export const COMPLIANCE_READER_ROLES = ["Global Reader", "Compliance Administrator", "Global Administrator"];
export const COMPLIANCE_WRITER_ROLES = ["Compliance Administrator", "Global Administrator"];

export function complianceState(tenantId: string, roles: Record<string, string[]> = {}): ComplianceState {
  return { tenantId, region: "nam12b", policies: [], rules: [], caseHolds: [], roles, commands: [] };
}

/** A policy of the state with its defaults, as a test or the demo sets a tenant up. */
export function retentionPolicy(name: string, settings: Partial<RetentionPolicyRecord> = {}): RetentionPolicyRecord {
  return {
    Name: name,
    Guid: randomUUID(),
    Enabled: true,
    Mode: "Enforce",
    DistributionStatus: "Success",
    ExchangeLocation: [],
    ExchangeLocationException: [],
    SharePointLocation: [],
    Comment: "",
    ...settings,
  };
}

/** The rule of `policy` with a retention of `days` and `action`. */
export function retentionRule(policy: RetentionPolicyRecord, days: number | "Unlimited", action = "Keep"): RetentionRuleRecord {
  return {
    Name: `${policy.Name} rule`,
    Guid: randomUUID(),
    Policy: policy.Guid,
    RetentionDuration: days,
    RetentionComplianceAction: action,
    Disabled: false,
    Mode: "Enforce",
  };
}

/** Commands that could have changed the tenant: every cmdlet but a `Get-`. */
export function complianceWrites(state: ComplianceState): ComplianceState["commands"] {
  return state.commands.filter((command) => !/^Get-/i.test(command.cmdlet));
}

/**
 * A Security & Compliance endpoint on its own loopback port, signed in to at `issuer`'s token
 * endpoint (a second service at the same authority): it accepts the tokens `issuer` issued for its
 * own audience (`{url}/.default`) only.
 */
export async function startComplianceEmulator(state: () => ComplianceState, issuer: GraphEmulator): Promise<GraphEmulator> {
  return startGraphEmulator({
    token: `compliance-${randomUUID()}`,
    routes: [],
    tokenIssuer: issuer,
    adminApi: (request, emulator) => complianceRoutes(state(), issuer)(request, emulator),
  });
}

const ANCHOR = (tenantId: string) => `APP:SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}@${tenantId}`;

/** The AutogenSession redirect and InvokeCommand over the state; `issuer` holds what each token was issued for. */
export function complianceRoutes(state: ComplianceState, issuer: GraphEmulator): Route {
  return (request, emulator) => {
    const match = /^\/adminapi\/beta\/([^/]+)\/(EXOBanner\('AutogenSession'\)|InvokeCommand)$/.exec(request.path);
    if (!match) return undefined;
    if (decodeURIComponent(match[1]!) !== state.tenantId)
      return exchangeError(400, "System.ArgumentException", "The tenant in the URL is not this organization.");
    const bearer = /^Bearer (.+)$/.exec(String(request.headers.authorization ?? ""))?.[1] ?? "";
    const claims = issuer.tokenClaims.get(bearer);
    // The audience CIPP asks for is the endpoint's own origin (`https://ps.compliance.protection.outlook.com/.default`);
    // a token for Exchange's or Graph's audience is refused as Entra-issued APIs refuse one for another.
    if (claims?.scope !== `${emulator.url}/.default`) {
      return { status: 401, body: { error: { code: "InvalidAuthenticationToken", message: "Access token validation failure. Invalid audience." } } };
    }
    if (match[2] !== "InvokeCommand") {
      if (request.method !== "GET") return undefined;
      // CIPP reads only the Location of this answer, redirects not followed; the regional host's first label is what it keeps.
      // A loopback emulator names its own origin (the client takes a loopback redirect of a loopback endpoint as it is).
      return { status: 302, headers: { location: `${emulator.url}/adminapi/beta/${state.tenantId}/EXOBanner('AutogenSession')?region=${state.region}` } };
    }
    if (request.method !== "POST") return undefined;
    if (request.headers["x-anchormailbox"] !== ANCHOR(state.tenantId))
      return exchangeError(400, "System.ArgumentException", "X-AnchorMailbox is missing or wrong.");
    const input = (request.body as { CmdletInput?: { CmdletName?: string; Parameters?: Obj } } | undefined)?.CmdletInput;
    if (!input?.CmdletName) return exchangeError(400, "System.ArgumentException", "CmdletInput.CmdletName is required.");
    const roles = state.roles[claims.appId] ?? [];
    // Assumed (docs/compliance.md): an app with no Security & Compliance role is refused outright, HTTP 403; one whose
    // roles do not include the cmdlet does not have it in its session, as Exchange answers (CommandNotFoundException).
    if (!roles.some((role) => COMPLIANCE_READER_ROLES.includes(role))) {
      return exchangeError(
        403,
        "System.UnauthorizedAccessException",
        `The application ${claims.appId} has no role in Security & Compliance; assign it ${COMPLIANCE_WRITER_ROLES[0]} or ${COMPLIANCE_READER_ROLES[0]}.`,
      );
    }
    const parameters = input.Parameters ?? {};
    state.commands.push({ cmdlet: input.CmdletName, parameters });
    if (!/^Get-/i.test(input.CmdletName) && !roles.some((role) => COMPLIANCE_WRITER_ROLES.includes(role))) {
      return exchangeError(
        400,
        "System.Management.Automation.CommandNotFoundException",
        `The term '${input.CmdletName}' is not recognized as a name of a cmdlet.`,
      );
    }
    const result = runCmdlet(state, input.CmdletName, parameters);
    if (!Array.isArray(result)) return result;
    return {
      status: 200,
      body: { "@odata.context": `${emulator.url}/adminapi/beta/${state.tenantId}/$metadata#Collection(Exchange.GenericHashTable)`, value: result },
    };
  };
}

const same = (a: unknown, b: unknown) => String(a ?? "").toLowerCase() === String(b ?? "").toLowerCase();
const notFound = (identity: unknown) =>
  exchangeError(
    400,
    "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException",
    `The operation couldn't be performed because object '${String(identity)}' couldn't be found on 'NAMPR12A001DC01.NAMPR12A001.prod.outlook.com'.`,
  );
/** A parameter this emulator does not implement: refused loudly rather than accepted and ignored. */
const notEmulated = (cmdlet: string, names: string[]) =>
  exchangeError(400, "System.NotImplementedException", `emulator: ${cmdlet} -${names.join(", -")} is not emulated.`);

/** Parameters bind case-insensitively, as in PowerShell; the names given are those not in `known`. */
function unknownParameters(raw: Obj, known: string[]): string[] {
  const lower = known.map((k) => k.toLowerCase());
  return Object.keys(raw).filter((k) => !lower.includes(k.toLowerCase()));
}
function parameter(raw: Obj, name: string): unknown {
  const key = Object.keys(raw).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : raw[key];
}
const has = (raw: Obj, name: string) => Object.keys(raw).some((k) => k.toLowerCase() === name.toLowerCase());

/** A MultiValuedProperty as the REST body carries it: one string or a list. */
const list = (value: unknown): string[] => (value === undefined || value === null ? [] : [value].flat().map(String));

/**
 * A location as Get-RetentionCompliancePolicy returns it. Assumed (docs/compliance.md): an object
 * with the name it was given (Microsoft365DSC reads `$PolicyObject.ExchangeLocation.Name`).
 */
const location = (name: string): Obj => ({ Name: name, DisplayName: name });

function policyObject(policy: RetentionPolicyRecord): Obj {
  return {
    ...policy,
    Identity: policy.Guid,
    Workload: "Exchange, SharePoint, OneDriveForBusiness, Skype, ModernGroup",
    ExchangeLocation: policy.ExchangeLocation.map(location),
    ExchangeLocationException: policy.ExchangeLocationException.map(location),
    SharePointLocation: policy.SharePointLocation.map(location),
  };
}

function runCmdlet(state: ComplianceState, cmdlet: string, raw: Obj): Obj[] | EmulatorResponse {
  const identity = parameter(raw, "Identity");
  const findPolicy = (id: unknown) => state.policies.find((p) => same(p.Name, id) || same(p.Guid, id));
  const findRule = (id: unknown) => state.rules.find((r) => same(r.Name, id) || same(r.Guid, id));
  switch (cmdlet) {
    case "Get-RetentionCompliancePolicy": {
      // -DistributionDetail: "If you don't use this switch, the values of the DistributionStatus and *Location
      // property values will be inaccurate" (Get-RetentionCompliancePolicy): without it, the locations come back empty.
      const extra = unknownParameters(raw, ["Identity", "DistributionDetail"]);
      if (extra.length > 0) return notEmulated(cmdlet, extra);
      const detail = parameter(raw, "DistributionDetail") === true;
      const shown = (policy: RetentionPolicyRecord) => {
        const object = policyObject(policy);
        // Distribution finishes between two reads here; Microsoft says it takes time, without a figure.
        if (policy.DistributionStatus === "Pending") policy.DistributionStatus = "Success";
        return detail ? object : { ...object, ExchangeLocation: [], ExchangeLocationException: [], SharePointLocation: [], DistributionStatus: "Unknown" };
      };
      if (identity === undefined) return state.policies.map(shown);
      const policy = findPolicy(identity);
      return policy ? [shown(policy)] : notFound(identity);
    }
    case "New-RetentionCompliancePolicy": {
      const extra = unknownParameters(raw, ["Name", "ExchangeLocation", "Enabled", "Comment"]);
      if (extra.length > 0) return notEmulated(cmdlet, extra);
      const name = parameter(raw, "Name");
      if (typeof name !== "string" || name === "") return exchangeError(400, "System.ArgumentException", "-Name is required.");
      // "at least one location parameter must be defined to create a retention policy" (New-RetentionCompliancePolicy).
      const exchange = list(parameter(raw, "ExchangeLocation"));
      if (exchange.length === 0)
        return exchangeError(400, "System.ArgumentException", "At least one location parameter must be defined to create a retention policy.");
      // "The value All for all mailboxes. You can only use this value by itself." (-ExchangeLocation)
      if (exchange.length > 1 && exchange.some((l) => same(l, "All")))
        return exchangeError(400, "System.ArgumentException", "The value All can only be used by itself.");
      // Assumed: the name is unique ("The Name parameter specifies the unique name of the retention policy") and a duplicate is refused.
      if (findPolicy(name)) {
        return exchangeError(
          400,
          "Microsoft.Office.CompliancePolicy.Tasks.CompliancePolicyAlreadyExistsException",
          `A compliance policy with the name "${name}" already exists.`,
        );
      }
      const enabled = parameter(raw, "Enabled");
      const policy = retentionPolicy(name, {
        ExchangeLocation: exchange,
        Enabled: enabled === undefined ? true : enabled === true,
        DistributionStatus: "Pending",
        Comment: String(parameter(raw, "Comment") ?? ""),
      });
      state.policies.push(policy);
      return [policyObject(policy)];
    }
    case "Set-RetentionCompliancePolicy": {
      const extra = unknownParameters(raw, ["Identity", "Enabled", "Comment"]);
      if (extra.length > 0) return notEmulated(cmdlet, extra);
      const policy = findPolicy(identity);
      if (!policy) return notFound(identity);
      if (has(raw, "Enabled")) policy.Enabled = parameter(raw, "Enabled") === true;
      if (has(raw, "Comment")) policy.Comment = String(parameter(raw, "Comment") ?? "");
      policy.DistributionStatus = "Pending";
      return [];
    }
    case "Remove-RetentionCompliancePolicy": {
      const extra = unknownParameters(raw, ["Identity", "Confirm"]);
      if (extra.length > 0) return notEmulated(cmdlet, extra);
      const policy = findPolicy(identity);
      if (!policy) return notFound(identity);
      state.policies.splice(state.policies.indexOf(policy), 1);
      // "This cmdlet also removes the corresponding retention rule." (Remove-RetentionCompliancePolicy)
      state.rules = state.rules.filter((rule) => rule.Policy !== policy.Guid);
      return [];
    }
    case "Get-RetentionComplianceRule": {
      const extra = unknownParameters(raw, ["Identity", "Policy"]);
      if (extra.length > 0) return notEmulated(cmdlet, extra);
      let rules = state.rules;
      if (has(raw, "Policy")) {
        const policy = findPolicy(parameter(raw, "Policy"));
        if (!policy) return notFound(parameter(raw, "Policy"));
        rules = rules.filter((rule) => rule.Policy === policy.Guid);
      }
      if (identity !== undefined) {
        const rule = findRule(identity);
        return rule && rules.includes(rule) ? [{ ...rule, Identity: rule.Guid }] : notFound(identity);
      }
      return rules.map((rule) => ({ ...rule, Identity: rule.Guid }));
    }
    case "New-RetentionComplianceRule": {
      const extra = unknownParameters(raw, ["Name", "Policy", "RetentionDuration", "RetentionComplianceAction", "Comment"]);
      if (extra.length > 0) return notEmulated(cmdlet, extra);
      const policy = findPolicy(parameter(raw, "Policy"));
      if (!policy) return notFound(parameter(raw, "Policy"));
      // "Only one rule can be added to each retention policy." (New-RetentionComplianceRule)
      if (state.rules.some((rule) => rule.Policy === policy.Guid)) {
        return exchangeError(
          400,
          "Microsoft.Office.CompliancePolicy.Tasks.CompliancePolicyRuleAlreadyExistsException",
          `The policy "${policy.Name}" already has a rule.`,
        );
      }
      // Without -RetentionComplianceAction "the retention policy is created as an 'UniH' policy instead of a 'mbx' policy":
      // that kind is not emulated.
      const action = parameter(raw, "RetentionComplianceAction");
      if (action === undefined) return notEmulated(cmdlet, ["RetentionComplianceAction (absent: a UniH policy)"]);
      if (!["Keep", "Delete", "KeepAndDelete"].some((valid) => same(valid, action))) return bindingError("RetentionComplianceAction", action);
      const duration = retentionDuration(parameter(raw, "RetentionDuration"));
      if (duration === undefined) return bindingError("RetentionDuration", parameter(raw, "RetentionDuration"));
      const rule: RetentionRuleRecord = {
        Name: String(parameter(raw, "Name") ?? ""),
        Guid: randomUUID(),
        Policy: policy.Guid,
        RetentionDuration: duration,
        RetentionComplianceAction: String(action),
        Disabled: false,
        Mode: "Enforce",
      };
      if (rule.Name === "") return exchangeError(400, "System.ArgumentException", "-Name is required.");
      state.rules.push(rule);
      return [{ ...rule, Identity: rule.Guid }];
    }
    case "Set-RetentionComplianceRule": {
      const extra = unknownParameters(raw, ["Identity", "RetentionDuration", "RetentionComplianceAction", "Comment"]);
      if (extra.length > 0) return notEmulated(cmdlet, extra);
      const rule = findRule(identity);
      if (!rule) return notFound(identity);
      if (has(raw, "RetentionDuration")) {
        const duration = retentionDuration(parameter(raw, "RetentionDuration"));
        if (duration === undefined) return bindingError("RetentionDuration", parameter(raw, "RetentionDuration"));
        rule.RetentionDuration = duration;
      }
      if (has(raw, "RetentionComplianceAction")) rule.RetentionComplianceAction = String(parameter(raw, "RetentionComplianceAction"));
      return [];
    }
    case "Get-CaseHoldPolicy": {
      const extra = unknownParameters(raw, ["Identity", "Case", "DistributionDetail"]);
      if (extra.length > 0) return notEmulated(cmdlet, extra);
      const detail = parameter(raw, "DistributionDetail") === true;
      const shown = (hold: CaseHoldRecord) => ({ ...hold, Identity: hold.Guid, ExchangeLocation: detail ? hold.ExchangeLocation.map(location) : [] });
      const holds = has(raw, "Case") ? state.caseHolds.filter((h) => same(h.Case, parameter(raw, "Case"))) : state.caseHolds;
      if (identity === undefined) return holds.map(shown);
      const hold = holds.find((h) => same(h.Name, identity) || same(h.Guid, identity));
      return hold ? [shown(hold)] : notFound(identity);
    }
    default:
      // Assumed, as in the Exchange emulator: a cmdlet outside the caller's roles (or not emulated) is not in its session.
      return exchangeError(400, "System.Management.Automation.CommandNotFoundException", `The term '${cmdlet}' is not recognized as a name of a cmdlet.`);
  }
}

/** -RetentionDuration's type `Unlimited`: a whole number of days, or "Unlimited" (New-RetentionComplianceRule). */
function retentionDuration(value: unknown): number | "Unlimited" | undefined {
  if (typeof value === "string" && /^unlimited$/i.test(value)) return "Unlimited";
  const days = typeof value === "string" && /^\d+$/.test(value) ? Number(value) : value;
  return typeof days === "number" && Number.isInteger(days) && days > 0 ? days : undefined;
}

const bindingError = (name: string, value: unknown) =>
  exchangeError(
    400,
    "System.Management.Automation.ParameterBindingException",
    `Cannot process argument transformation on parameter '${name}'. Cannot convert value "${JSON.stringify(value)}".`,
  );

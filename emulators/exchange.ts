import { randomBytes, randomUUID } from "node:crypto";
import type { EmulatorResponse, Route } from "./graph";

type Obj = Record<string, unknown>;

/** A tenant's Exchange Online, as far as Retain's access needs it. */
export interface ExchangeState {
  tenantId: string;
  servicePrincipals: Obj[];
  scopes: Obj[];
  /** Mail-enabled groups; `Members`, where set, lists the direct members' addresses (mailboxes or `recipients`). */
  groups: Obj[];
  assignments: Obj[];
  /**
   * Org-wide EWS settings as Exchange stores them: `EwsEnabled` is tri-state (null = never set) and
   * `EwsAllowedAppIDs` is ONE comma-joined string (null = empty), per Set-OrganizationConfig's docs.
   */
  organization: { EwsEnabled: boolean | null; EwsAllowedAppIDs: string | null };
  /** The organization's mailboxes by primary SMTP address / user principal name (`Get-Mailbox`, `Get-CASMailbox`). */
  mailboxes: Record<string, ExchangeMailbox>;
  /** Mail-enabled recipients without an Exchange Online mailbox (MailUser, GuestMailUser, MailContact), by address. */
  recipients: Record<string, { RecipientTypeDetails: string; ExternalDirectoryObjectId?: string }>;
  users: string[];
  /** Roles that exist (ApplicationImpersonation is gone from Exchange Online). */
  roles: string[];
  /** Results per page of list answers. */
  pageSize: number;
  /** Called once a command's answer is computed, before the client has it: another admin at work. */
  afterCommand?: (cmdlet: string) => void;
  commands: { cmdlet: string; parameters: Obj }[];
}

/**
 * A mailbox as Exchange knows it. `EwsEnabled` is the mailbox's own CAS setting
 * (`Set-CASMailbox -EwsEnabled`, null = never set, which lets EWS through); `exchangePlans` are the
 * Exchange service plan ids its licences give (Graph's `assignedPlans` with service "exchange"),
 * which decide what Exchange lets the mailbox use (a Kiosk/F-SKU-only mailbox has no EWS since
 * 2026-10-01, MC1191578).
 */
export interface ExchangeMailbox {
  EwsEnabled: boolean | null;
  /** The Entra object id of the mailbox's user (default: derived from the address). */
  ExternalDirectoryObjectId?: string;
  /** UserMailbox (default), SharedMailbox, RoomMailbox, … */
  RecipientTypeDetails?: string;
  exchangePlans?: string[];
}

export function exchangeState(tenantId: string): ExchangeState {
  return {
    tenantId,
    servicePrincipals: [],
    scopes: [],
    groups: [],
    assignments: [],
    organization: { EwsEnabled: null, EwsAllowedAppIDs: null },
    mailboxes: {},
    recipients: {},
    users: ["RetainWorker@example.com"],
    roles: ["Application EWS.AccessAsApp", "Application Mail.Read", "Application Mail.ReadBasic", "Application MailboxSettings.Read", "Application Calendars.Read", "Application Contacts.Read"],
    pageSize: 100,
    commands: [],
  };
}

/** Commands that could have changed Exchange: every cmdlet but a `Get-`. */
export function exchangeWrites(state: ExchangeState): ExchangeState["commands"] {
  return state.commands.filter((command) => !/^Get-/i.test(command.cmdlet));
}

/** A service principal reference as `New-ServicePrincipal` makes one (see runCmdlet for its ids). */
export function servicePrincipalReference(appId: string, objectId: string, displayName: string): Obj {
  return { AppId: appId, ObjectId: objectId, ServiceId: objectId, DisplayName: displayName, Identity: randomUUID() };
}

/** An error body the way Exchange's admin API writes one. */
export function exchangeError(status: number, exception: string, message: string): EmulatorResponse {
  const server = "AM0PR01MB0001.eurprd01.prod.outlook.com";
  return {
    status,
    body: {
      error: {
        code: status === 400 ? "BadRequest" : "InternalServerError",
        message: `|${exception}|${message}`,
        details: [{ code: "Context", target: "", message: `Ex${randomBytes(3).toString("hex").toUpperCase()}|${exception}|${message}` }],
        innererror: { message, type: exception, internalexception: { message: `${message} on '${server}'.` } },
      },
    },
  };
}

const notFound = (identity: string) =>
  exchangeError(400, "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException", `The operation couldn't be performed because object '${identity}' couldn't be found on 'AM0PR01A001DC01.EURPR01A001.prod.outlook.com'.`);
const alreadyExists = (kind: string, name: string) =>
  exchangeError(400, "Microsoft.Exchange.Data.Directory.ADObjectAlreadyExistsException", `The ${kind} "${name}" already exists. Choose another name.`);
const same = (a: unknown, b: unknown) => String(a ?? "").toLowerCase() === String(b ?? "").toLowerCase();

/** `POST /adminapi/beta/{tenant}/InvokeCommand` over the state, paging list answers. */
export function exchangeRoutes(state: ExchangeState): Route {
  return (request, emulator) => {
    const match = /^\/adminapi\/beta\/([^/]+)\/InvokeCommand$/.exec(request.path);
    if (!match || request.method !== "POST") return undefined;
    if (decodeURIComponent(match[1]!) !== state.tenantId) return exchangeError(400, "System.ArgumentException", "The tenant in the URL is not this organization.");
    if (request.headers["x-anchormailbox"] !== `APP:SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}@${state.tenantId}`) {
      return exchangeError(400, "System.ArgumentException", "X-AnchorMailbox is missing or wrong.");
    }
    const input = (request.body as { CmdletInput?: { CmdletName?: string; Parameters?: Obj } } | undefined)?.CmdletInput;
    if (!input?.CmdletName) return exchangeError(400, "System.ArgumentException", "CmdletInput.CmdletName is required.");
    const parameters = input.Parameters ?? {};
    state.commands.push({ cmdlet: input.CmdletName, parameters });
    const result = runCmdlet(state, input.CmdletName, parameters);
    state.afterCommand?.(input.CmdletName);
    if (!Array.isArray(result)) return result;
    const skip = Number(request.query.get("$skiptoken") ?? "0");
    const page = result.slice(skip, skip + state.pageSize);
    const next = skip + state.pageSize < result.length ? `${emulator.url}${request.path}?$skiptoken=${skip + state.pageSize}` : undefined;
    const body = { "@odata.context": `${emulator.url}/adminapi/beta/${state.tenantId}/$metadata#Collection(Exchange.GenericHashTable)`, value: page, ...(next ? { "@odata.nextLink": next } : {}) };
    return { status: 200, body };
  };
}

/**
 * Cmdlet parameters bind case-insensitively, as in PowerShell (`-ewsenabled` is `-EwsEnabled`);
 * the property names of the objects Exchange returns are exact (JSON readers are case-sensitive).
 */
function parametersOf(raw: Obj): Obj {
  return new Proxy(raw, {
    get: (target, name) => (typeof name === "string" ? target[Object.keys(target).find((k) => k.toLowerCase() === name.toLowerCase()) ?? name] : undefined),
  });
}

/** PowerShell's refusal of a value its parameter's type cannot take. */
const bindingError = (parameter: string, value: unknown, type: string) =>
  exchangeError(
    400,
    "System.Management.Automation.ParameterBindingException",
    `Cannot process argument transformation on parameter '${parameter}'. Cannot convert the "${JSON.stringify(value)}" value of type "${Array.isArray(value) ? "System.Object[]" : typeof value === "object" ? "System.Collections.Hashtable" : typeof value}" to type "${type}".`,
  );

function runCmdlet(state: ExchangeState, cmdlet: string, raw: Obj): Obj[] | EmulatorResponse {
  const p = parametersOf(raw);
  const identity = p.Identity as string | undefined;
  const find = (list: Obj[], keys: string[]) => list.find((o) => keys.some((k) => same(o[k], identity)));
  const getOne = (list: Obj[], keys: string[]) => {
    if (identity === undefined) return list;
    const found = find(list, keys);
    return found ? [found] : notFound(identity);
  };
  const remove = (list: Obj[], keys: string[]) => {
    const found = identity === undefined ? undefined : find(list, keys);
    if (!found) return notFound(String(identity));
    list.splice(list.indexOf(found), 1);
    return [];
  };
  // Exchange's service principal reference: ServiceId is the Entra object id (the docs' example uses
  // the same GUID for New-ServicePrincipal -ObjectId and for -App "the ServiceId"); Identity is
  // Exchange's own id of the reference. Whether Identity equals the ObjectId is not documented, so
  // it is a distinct GUID here: code that matches only one of them fails against this emulator.
  const servicePrincipalKeys = ["AppId", "ObjectId", "ServiceId", "Identity", "DisplayName"];
  switch (cmdlet) {
    case "Get-ServicePrincipal":
      return getOne(state.servicePrincipals, servicePrincipalKeys);
    case "New-ServicePrincipal": {
      if (typeof p.AppId !== "string" || typeof p.ObjectId !== "string") return exchangeError(400, "System.ArgumentException", "AppId and ObjectId are required.");
      if (state.servicePrincipals.some((sp) => same(sp.AppId, p.AppId))) return alreadyExists("service principal", String(p.AppId));
      const sp = servicePrincipalReference(p.AppId, p.ObjectId, typeof p.DisplayName === "string" ? p.DisplayName : "");
      state.servicePrincipals.push(sp);
      return [sp];
    }
    case "Set-ServicePrincipal": {
      const sp = find(state.servicePrincipals, servicePrincipalKeys);
      if (!sp) return notFound(String(identity));
      sp.DisplayName = p.DisplayName;
      return [];
    }
    case "Remove-ServicePrincipal":
      return remove(state.servicePrincipals, servicePrincipalKeys);
    case "Get-DistributionGroup":
      return getOne(state.groups, ["Name", "Identity", "PrimarySmtpAddress"]);
    case "New-DistributionGroup": {
      if (state.groups.some((g) => same(g.Name, p.Name))) return alreadyExists("group", String(p.Name));
      const group = {
        Name: p.Name,
        Identity: p.Name,
        GroupType: p.Type === "Security" ? "Universal, SecurityEnabled" : "Universal",
        DistinguishedName: `CN=${String(p.Name)},OU=contoso.onmicrosoft.com,OU=Microsoft Exchange Hosted Organizations,DC=EURPR01A001,DC=PROD,DC=OUTLOOK,DC=COM`,
        ExternalDirectoryObjectId: `group-${state.groups.length + 1}`,
      };
      state.groups.push(group);
      return [group];
    }
    case "Remove-DistributionGroup":
      return remove(state.groups, ["Name", "Identity"]);
    case "Get-ManagementScope":
      return getOne(state.scopes, ["Name", "Identity"]);
    case "New-ManagementScope": {
      if (state.scopes.some((s) => same(s.Name, p.Name))) return alreadyExists("management scope", String(p.Name));
      const scope = { Name: p.Name, Identity: p.Name, RecipientFilter: p.RecipientRestrictionFilter, ScopeRestrictionType: "RecipientScope" };
      state.scopes.push(scope);
      return [scope];
    }
    case "Set-ManagementScope": {
      const scope = find(state.scopes, ["Name", "Identity"]);
      if (!scope) return notFound(String(identity));
      scope.RecipientFilter = p.RecipientRestrictionFilter;
      return [];
    }
    case "Remove-ManagementScope":
      if (state.assignments.some((a) => same(a.CustomResourceScope, identity))) {
        return exchangeError(400, "Microsoft.Exchange.Management.Tasks.CannotRemoveScopeInUseException", `The management scope "${String(identity)}" is in use by role assignments.`);
      }
      return remove(state.scopes, ["Name", "Identity"]);
    case "Get-ManagementRole":
      // Assumed (docs/exchange.md, "What the tests assume where Microsoft is silent"): a role the organization does not have
      // is an unknown identity, as for every Get- cmdlet here.
      if (identity === undefined) return state.roles.map((role) => ({ Name: role, Identity: role }));
      return state.roles.some((role) => same(role, identity)) ? [{ Name: identity, Identity: identity }] : notFound(identity);
    case "Get-ManagementRoleAssignment":
      return getOne(state.assignments, ["Name", "Identity"]);
    case "New-ManagementRoleAssignment": {
      if (!state.roles.some((r) => same(r, p.Role))) return notFound(String(p.Role));
      if (state.assignments.some((a) => same(a.Name, p.Name))) return alreadyExists("role assignment", String(p.Name));
      // -App: "the ObjectId GUID value from the output of Get-ServicePrincipal" (New-ManagementRoleAssignment
      // docs; Microsoft365DSC's EXOManagementRoleAssignment says ServiceId, the same GUID). Whether an AppId
      // would also resolve is not documented, so it does not here.
      const servicePrincipal = p.App === undefined ? undefined : state.servicePrincipals.find((sp) => same(sp.ObjectId, p.App) || same(sp.ServiceId, p.App));
      if (p.App !== undefined && !servicePrincipal) return notFound(String(p.App));
      if (p.User !== undefined && !state.users.some((u) => same(u, p.User))) return notFound(String(p.User));
      if (p.CustomResourceScope !== undefined && !state.scopes.some((s) => same(s.Name, p.CustomResourceScope))) return notFound(String(p.CustomResourceScope));
      const assignment = {
        Name: p.Name,
        Identity: p.Name,
        Role: p.Role,
        RoleAssigneeType: servicePrincipal ? "ServicePrincipal" : "User",
        // An app assignee shows as the Exchange service principal's identity, not the AppId
        // (Get-ManagementRoleAssignment output; Microsoft365DSC therefore skips App when comparing).
        RoleAssignee: servicePrincipal ? servicePrincipal.Identity : p.User,
        RoleAssigneeName: servicePrincipal ? servicePrincipal.DisplayName : p.User,
        CustomResourceScope: p.CustomResourceScope ?? "",
        // Regular, Delegating or DelegatingOrgWide (Exchange's RoleAssignmentDelegationType); a delegating one only lets its holder hand the role on.
        RoleAssignmentDelegationType: "Regular",
      };
      state.assignments.push(assignment);
      return [assignment];
    }
    case "Remove-ManagementRoleAssignment":
      return remove(state.assignments, ["Name", "Identity"]);
    case "Get-OrganizationConfig": {
      const { EwsEnabled, EwsAllowedAppIDs } = state.organization;
      // The app-id list is returned only with -RetrieveEwsOperationAccessPolicy (Microsoft's "Control
      // access to EWS in Exchange" page); without the switch the property is empty even when enforced.
      return [{ Identity: "contoso.onmicrosoft.com", Name: "contoso.onmicrosoft.com", EwsEnabled, EwsApplicationAccessPolicy: null, EwsAllowList: null, EwsBlockList: null, EwsAllowedAppIDs: p.RetrieveEwsOperationAccessPolicy === true ? EwsAllowedAppIDs : null }];
    }
    case "Set-OrganizationConfig": {
      const keys = Object.keys(raw).map((k) => k.toLowerCase());
      if (keys.includes("ewsenabled")) {
        if (typeof p.EwsEnabled !== "boolean") return bindingError("EwsEnabled", p.EwsEnabled, "System.Boolean");
      }
      if (keys.includes("ewsallowedappids")) {
        // A String parameter that a write replaces whole ($null clears it); the @{Add=…} form is
        // documented only for the multi-valued EwsAllowList/EwsBlockList, so a hashtable or a list is refused.
        const list = p.EwsAllowedAppIDs;
        if (list !== null && typeof list !== "string") return bindingError("EwsAllowedAppIDs", list, "System.String");
        state.organization.EwsAllowedAppIDs = list === "" ? null : list;
      }
      if (typeof p.EwsEnabled === "boolean") state.organization.EwsEnabled = p.EwsEnabled;
      return [];
    }
    case "Get-CASMailbox": {
      const upn = Object.keys(state.mailboxes).find((m) => same(m, identity));
      if (!upn) return notFound(String(identity));
      return [{ Identity: upn, PrimarySmtpAddress: upn, EwsEnabled: state.mailboxes[upn]!.EwsEnabled }];
    }
    default:
      // Assumed (docs/exchange.md): a cmdlet outside the caller's roles is not in its session at all.
      return exchangeError(400, "System.Management.Automation.CommandNotFoundException", `The term '${cmdlet}' is not recognized as a name of a cmdlet.`);
  }
}

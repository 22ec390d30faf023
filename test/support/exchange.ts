import { randomBytes } from "node:crypto";
import type { EmulatorResponse, Route } from "./graph-emulator";

type Obj = Record<string, unknown>;

/** A tenant's Exchange Online, as far as Retain's access needs it. */
export interface ExchangeState {
  tenantId: string;
  servicePrincipals: Obj[];
  scopes: Obj[];
  groups: Obj[];
  assignments: Obj[];
  organization: { EWSEnabled: boolean; EWSAllowedAppIDs: string[] };
  users: string[];
  /** Roles that exist (ApplicationImpersonation is gone from Exchange Online). */
  roles: string[];
  /** Results per page of list answers. */
  pageSize: number;
  /** Called once a command's answer is computed, before the client has it: another admin at work. */
  afterCommand?: (cmdlet: string) => void;
  commands: { cmdlet: string; parameters: Obj }[];
}

export function exchangeState(tenantId: string): ExchangeState {
  return {
    tenantId,
    servicePrincipals: [],
    scopes: [],
    groups: [],
    assignments: [],
    organization: { EWSEnabled: false, EWSAllowedAppIDs: [] },
    users: ["RetainWorker@example.com"],
    roles: ["Application EWS.AccessAsApp", "Application Mail.Read", "Application Mail.ReadBasic", "Application MailboxSettings.Read", "Application Calendars.Read", "Application Contacts.Read"],
    pageSize: 100,
    commands: [],
  };
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

function runCmdlet(state: ExchangeState, cmdlet: string, p: Obj): Obj[] | EmulatorResponse {
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
  switch (cmdlet) {
    case "Get-ServicePrincipal":
      return getOne(state.servicePrincipals, ["AppId", "ObjectId", "DisplayName", "Identity"]);
    case "New-ServicePrincipal": {
      if (state.servicePrincipals.some((sp) => same(sp.AppId, p.AppId))) return alreadyExists("service principal", String(p.AppId));
      const sp = { AppId: p.AppId, ObjectId: p.ObjectId, DisplayName: p.DisplayName ?? "", Identity: p.ObjectId };
      state.servicePrincipals.push(sp);
      return [sp];
    }
    case "Set-ServicePrincipal": {
      const sp = find(state.servicePrincipals, ["AppId", "ObjectId", "Identity"]);
      if (!sp) return notFound(String(identity));
      sp.DisplayName = p.DisplayName;
      return [];
    }
    case "Remove-ServicePrincipal":
      return remove(state.servicePrincipals, ["AppId", "ObjectId", "Identity"]);
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
    case "Get-ManagementRoleAssignment":
      return getOne(state.assignments, ["Name", "Identity"]);
    case "New-ManagementRoleAssignment": {
      if (!state.roles.some((r) => same(r, p.Role))) return notFound(String(p.Role));
      if (state.assignments.some((a) => same(a.Name, p.Name))) return alreadyExists("role assignment", String(p.Name));
      if (p.App !== undefined && !state.servicePrincipals.some((sp) => same(sp.AppId, p.App) || same(sp.ObjectId, p.App))) return notFound(String(p.App));
      if (p.User !== undefined && !state.users.some((u) => same(u, p.User))) return notFound(String(p.User));
      if (p.CustomResourceScope !== undefined && !state.scopes.some((s) => same(s.Name, p.CustomResourceScope))) return notFound(String(p.CustomResourceScope));
      const assignment = {
        Name: p.Name,
        Identity: p.Name,
        Role: p.Role,
        RoleAssigneeType: p.App !== undefined ? "ServicePrincipal" : "User",
        RoleAssignee: p.App ?? p.User,
        CustomResourceScope: p.CustomResourceScope ?? "",
      };
      state.assignments.push(assignment);
      return [assignment];
    }
    case "Remove-ManagementRoleAssignment":
      return remove(state.assignments, ["Name", "Identity"]);
    case "Get-OrganizationConfig":
      return [{ Identity: "contoso.onmicrosoft.com", EWSEnabled: state.organization.EWSEnabled, EWSAllowedAppIDs: [...state.organization.EWSAllowedAppIDs] }];
    case "Set-OrganizationConfig": {
      if (typeof p.EWSEnabled === "boolean") state.organization.EWSEnabled = p.EWSEnabled;
      const list = p.EWSAllowedAppIDs;
      if (Array.isArray(list)) state.organization.EWSAllowedAppIDs = list.map(String);
      else if (list && typeof list === "object") {
        const edit = list as { Add?: string[]; Remove?: string[] };
        const current = state.organization.EWSAllowedAppIDs.filter((id) => !(edit.Remove ?? []).some((r) => same(r, id)));
        for (const id of edit.Add ?? []) if (!current.some((c) => same(c, id))) current.push(id);
        state.organization.EWSAllowedAppIDs = current;
      }
      return [];
    }
    default:
      return exchangeError(400, "System.Management.Automation.CommandNotFoundException", `The term '${cmdlet}' is not recognized as a name of a cmdlet.`);
  }
}

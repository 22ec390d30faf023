import { createHash, randomBytes, randomUUID } from "node:crypto";
import type { EmulatorResponse, GraphEmulator, Route } from "./graph";

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
  /** Results per page of list answers when the request states no preference. */
  pageSize: number;
  /** The most results a page holds when the request asks for more with `Prefer: odata.maxpagesize` (default 1000). */
  maxPageSize?: number;
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

/** Exchange Online (Plan 2), EXCHANGE_S_ENTERPRISE ("Product names and service plan identifiers for licensing"). */
export const EXCHANGE_PLAN_2 = "efb87545-963c-4e0d-99df-69c6916d9eb0";
/** Exchange Online Kiosk, EXCHANGE_S_DESKLESS: the only Exchange plan of F1, F3 and Exchange Online Kiosk (same list). */
export const EXCHANGE_KIOSK_PLAN = "4a82b400-a79f-41a4-b4e2-e94f5787b113";

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
    roles: [
      "Application EWS.AccessAsApp",
      "Application Mail.Read",
      "Application Mail.ReadBasic",
      "Application MailboxSettings.Read",
      "Application Calendars.Read",
      "Application Contacts.Read",
    ],
    pageSize: 100,
    commands: [],
  };
}

/**
 * The Entra object id Exchange shows as a recipient's `ExternalDirectoryObjectId`: the one the
 * state gives, else a GUID derived from the address (the same on every read, and in Graph's users).
 */
export function directoryObjectIdOf(address: string, recipient: { ExternalDirectoryObjectId?: string } = {}): string {
  if (recipient.ExternalDirectoryObjectId) return recipient.ExternalDirectoryObjectId;
  const hex = createHash("sha1").update(address.toLowerCase()).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * Runs one cmdlet on `state` through the admin API's route, as the deployment's providers call it
 * (set-ups of tests and the demo): the first result object, or an error with Exchange's answer.
 */
export function invokeCmdlet(state: ExchangeState, cmdlet: string, parameters: Obj = {}): Obj {
  const request = {
    method: "POST",
    path: `/adminapi/beta/${state.tenantId}/InvokeCommand`,
    query: new URLSearchParams(),
    headers: { "x-anchormailbox": `APP:SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}@${state.tenantId}` },
    body: { CmdletInput: { CmdletName: cmdlet, Parameters: parameters } },
  };
  const response = exchangeRoutes(state)(request, { url: "https://127.0.0.1" } as GraphEmulator);
  if (response?.status !== 200) throw new Error(`${cmdlet} failed: ${JSON.stringify(response?.body)}`);
  return (response.body as { value: Obj[] }).value[0] ?? {};
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
  exchangeError(
    400,
    "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException",
    `The operation couldn't be performed because object '${identity}' couldn't be found on 'AM0PR01A001DC01.EURPR01A001.prod.outlook.com'.`,
  );
const alreadyExists = (kind: string, name: string) =>
  exchangeError(400, "Microsoft.Exchange.Data.Directory.ADObjectAlreadyExistsException", `The ${kind} "${name}" already exists. Choose another name.`);
const same = (a: unknown, b: unknown) => String(a ?? "").toLowerCase() === String(b ?? "").toLowerCase();

/** `POST /adminapi/beta/{tenant}/InvokeCommand` over the state, paging list answers. */
export function exchangeRoutes(state: ExchangeState): Route {
  return (request, emulator) => {
    const match = /^\/adminapi\/beta\/([^/]+)\/InvokeCommand$/.exec(request.path);
    if (!match || request.method !== "POST") return undefined;
    if (decodeURIComponent(match[1]!) !== state.tenantId)
      return exchangeError(400, "System.ArgumentException", "The tenant in the URL is not this organization.");
    if (request.headers["x-anchormailbox"] !== `APP:SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}@${state.tenantId}`) {
      return exchangeError(400, "System.ArgumentException", "X-AnchorMailbox is missing or wrong.");
    }
    const input = (request.body as { CmdletInput?: { CmdletName?: string; Parameters?: Obj } } | undefined)?.CmdletInput;
    if (!input?.CmdletName) return exchangeError(400, "System.ArgumentException", "CmdletInput.CmdletName is required.");
    const parameters = input.Parameters ?? {};
    state.commands.push({ cmdlet: input.CmdletName, parameters });
    const token = /^(\d+)-(\d+)$/.exec(request.query.get("$skiptoken") ?? "");
    const listings = openListings(state);
    const result = (token && listings.get(token[1]!)) || runCmdlet(state, input.CmdletName, parameters);
    state.afterCommand?.(input.CmdletName);
    if (!Array.isArray(result)) return result;
    const skip = token ? Number(token[2]) : 0;
    const size = pageSizeOf(state, request.headers.prefer);
    const page = selected(result.slice(skip, skip + size), request.query.get("$select"));
    let next: string | undefined;
    if (skip + size < result.length) {
      // A listing is read once and paged from that snapshot, as a server-side cursor would.
      const id = token?.[1] ?? String(nextListingId++);
      listings.set(id, result);
      const query = new URLSearchParams(request.query);
      query.set("$skiptoken", `${id}-${skip + size}`);
      next = `${emulator.url}${request.path}?${query.toString()}`;
    } else if (token) {
      listings.delete(token[1]!);
    }
    const body = {
      "@odata.context": `${emulator.url}/adminapi/beta/${state.tenantId}/$metadata#Collection(Exchange.GenericHashTable)`,
      value: page,
      ...(next ? { "@odata.nextLink": next } : {}),
    };
    return { status: 200, body };
  };
}

/** Listings being paged, by the id their `$skiptoken` carries. */
const listingsOf = new WeakMap<ExchangeState, Map<string, Obj[]>>();
let nextListingId = 1;
function openListings(state: ExchangeState): Map<string, Obj[]> {
  let listings = listingsOf.get(state);
  if (!listings) listingsOf.set(state, (listings = new Map()));
  return listings;
}

/**
 * `Prefer: odata.maxpagesize=<n>` as CIPP's New-ExoRequest sends it (n = 1000), honoured up to the
 * page limit; without it the state's default page size. Microsoft documents neither for this API.
 */
function pageSizeOf(state: ExchangeState, prefer: string | string[] | undefined): number {
  const asked = /odata\.maxpagesize=(\d+)/i.exec([prefer ?? []].flat().join(","))?.[1];
  return asked ? Math.max(1, Math.min(Number(asked), state.maxPageSize ?? 1000)) : state.pageSize;
}

/** `?$select=A,B` on InvokeCommand (as CIPP's New-ExoRequest sends it): only those properties of each object. */
function selected(objects: Obj[], select: string | null): Obj[] {
  if (!select) return objects;
  const names = select.split(",").map((name) => name.trim());
  return objects.map((o) => Object.fromEntries(names.filter((name) => name in o).map((name) => [name, o[name]])));
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
      if (typeof p.AppId !== "string" || typeof p.ObjectId !== "string")
        return exchangeError(400, "System.ArgumentException", "AppId and ObjectId are required.");
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
        return exchangeError(
          400,
          "Microsoft.Exchange.Management.Tasks.CannotRemoveScopeInUseException",
          `The management scope "${String(identity)}" is in use by role assignments.`,
        );
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
    case "Set-ManagementRoleAssignment": {
      // An app's assignment takes -CustomResourceScope (and -Enabled) in Exchange Online (the cmdlet's
      // "App" parameter set, Set-ManagementRoleAssignment docs). Its description is blank there; $null
      // taking the scope off is assumed from the other scope parameters, whose docs say so.
      // Only -CustomResourceScope is emulated: anything else is refused rather than guessed.
      const assignment = find(state.assignments, ["Name", "Identity"]);
      if (!assignment) return notFound(String(identity));
      const others = Object.keys(raw).filter((k) => !["identity", "customresourcescope", "confirm"].includes(k.toLowerCase()));
      if (others.length > 0)
        return exchangeError(400, "System.NotImplementedException", `emulator: Set-ManagementRoleAssignment -${others.join(", -")} is not emulated.`);
      if (!Object.keys(raw).some((k) => k.toLowerCase() === "customresourcescope")) return [];
      const scope = p.CustomResourceScope;
      if (scope !== null && !state.scopes.some((s) => same(s.Name, scope))) return notFound(String(scope));
      assignment.CustomResourceScope = scope ?? "";
      return [];
    }
    case "Remove-ManagementRoleAssignment":
      return remove(state.assignments, ["Name", "Identity"]);
    case "Get-OrganizationConfig": {
      const { EwsEnabled, EwsAllowedAppIDs } = state.organization;
      // The app-id list is returned only with -RetrieveEwsOperationAccessPolicy (Microsoft's "Control
      // access to EWS in Exchange" page); without the switch the property is empty even when enforced.
      return [
        {
          Identity: "contoso.onmicrosoft.com",
          Name: "contoso.onmicrosoft.com",
          EwsEnabled,
          EwsApplicationAccessPolicy: null,
          EwsAllowList: null,
          EwsBlockList: null,
          EwsAllowedAppIDs: p.RetrieveEwsOperationAccessPolicy === true ? EwsAllowedAppIDs : null,
        },
      ];
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
      if (identity !== undefined) {
        const upn = Object.keys(state.mailboxes).find((m) => same(m, identity));
        if (!upn) return notFound(String(identity));
        return [casMailboxObject(upn, state.mailboxes[upn]!)];
      }
      const ews = ewsEnabledFilter(p.Filter);
      if (ews === "unsupported") return unsupportedFilter(p.Filter);
      const matching = Object.entries(state.mailboxes).filter(([, m]) => ews === undefined || m.EwsEnabled === ews);
      return limited(
        matching.map(([address, m]) => casMailboxObject(address, m)),
        p.ResultSize,
      );
    }
    case "Get-Mailbox": {
      const types =
        p.RecipientTypeDetails === undefined
          ? undefined
          : [p.RecipientTypeDetails]
              .flat()
              .flatMap((t) => String(t).split(","))
              .map((t) => t.trim().toLowerCase());
      const all = Object.entries(state.mailboxes).filter(([, m]) => types === undefined || types.includes(recipientTypeOf(m).toLowerCase()));
      if (identity !== undefined) {
        const found = all.find(([address, m]) => same(address, identity) || same(directoryObjectIdOf(address, m), identity));
        return found ? [mailboxObject(...found)] : notFound(identity);
      }
      return limited(
        all.map(([address, m]) => mailboxObject(address, m)),
        p.ResultSize,
      );
    }
    case "Get-DistributionGroupMember": {
      const group = identity === undefined ? undefined : find(state.groups, ["Name", "Identity", "PrimarySmtpAddress", "DistinguishedName"]);
      if (!group) return notFound(String(identity));
      const members: Obj[] = [];
      const addresses = { mailboxes: byLowerCase(state.mailboxes), recipients: byLowerCase(state.recipients) };
      for (const address of (group.Members as string[] | undefined) ?? []) {
        const member = memberObject(state, addresses, address);
        if (!member)
          return exchangeError(
            500,
            "System.InvalidOperationException",
            `emulator: the member ${address} of ${String(group.Name)} is neither a mailbox, a recipient nor a group of the state`,
          );
        members.push(member);
      }
      return limited(members, p.ResultSize);
    }
    default:
      // Assumed (docs/exchange.md): a cmdlet outside the caller's roles is not in its session at all.
      return exchangeError(400, "System.Management.Automation.CommandNotFoundException", `The term '${cmdlet}' is not recognized as a name of a cmdlet.`);
  }
}

/** How Exchange shows a mailbox (Get-Mailbox): the properties readers of it use, with Exchange's names. */
function mailboxObject(address: string, mailbox: ExchangeMailbox): Obj {
  const name = address.slice(0, address.indexOf("@"));
  return {
    Name: name,
    Alias: name,
    Identity: name,
    DisplayName: name,
    PrimarySmtpAddress: address,
    UserPrincipalName: address,
    ExternalDirectoryObjectId: directoryObjectIdOf(address, mailbox),
    RecipientType: "UserMailbox",
    RecipientTypeDetails: recipientTypeOf(mailbox),
  };
}

/** How Exchange shows a mailbox's client access settings (Get-CASMailbox): no UserPrincipalName there. */
function casMailboxObject(address: string, mailbox: ExchangeMailbox): Obj {
  const name = address.slice(0, address.indexOf("@"));
  return {
    Name: name,
    Identity: address,
    PrimarySmtpAddress: address,
    ExternalDirectoryObjectId: directoryObjectIdOf(address, mailbox),
    EwsEnabled: mailbox.EwsEnabled,
  };
}

const recipientTypeOf = (mailbox: ExchangeMailbox) => mailbox.RecipientTypeDetails ?? "UserMailbox";

/** Lower-cased address → the state's key: addresses match in any letter case. */
const byLowerCase = (records: Record<string, unknown>) => new Map(Object.keys(records).map((key) => [key.toLowerCase(), key]));

/**
 * A group member as Get-DistributionGroupMember shows it (a reduced recipient: no
 * UserPrincipalName): a mailbox, a recipient without one, or a nested group; undefined when the
 * state has no such address.
 */
function memberObject(state: ExchangeState, addresses: Record<"mailboxes" | "recipients", Map<string, string>>, address: string): Obj | undefined {
  const name = address.includes("@") ? address.slice(0, address.indexOf("@")) : address;
  const member = (primary: unknown, directoryObjectId: unknown, recipientType: string, recipientTypeDetails: string): Obj => ({
    Name: name,
    Identity: name,
    PrimarySmtpAddress: primary,
    ExternalDirectoryObjectId: directoryObjectId,
    RecipientType: recipientType,
    RecipientTypeDetails: recipientTypeDetails,
  });
  const mailboxAddress = addresses.mailboxes.get(address.toLowerCase());
  if (mailboxAddress) {
    const mailbox = state.mailboxes[mailboxAddress]!;
    return member(mailboxAddress, directoryObjectIdOf(mailboxAddress, mailbox), "UserMailbox", recipientTypeOf(mailbox));
  }
  const recipientAddress = addresses.recipients.get(address.toLowerCase());
  if (recipientAddress) {
    const recipient = state.recipients[recipientAddress]!;
    return member(recipientAddress, directoryObjectIdOf(recipientAddress, recipient), recipient.RecipientTypeDetails, recipient.RecipientTypeDetails);
  }
  const group = state.groups.find((g) => same(g.Name, address) || same(g.PrimarySmtpAddress, address));
  if (!group) return undefined;
  const security = /SecurityEnabled/i.test(String(group.GroupType ?? ""));
  const type = security ? "MailUniversalSecurityGroup" : "MailUniversalDistributionGroup";
  return { ...member(group.PrimarySmtpAddress ?? "", group.ExternalDirectoryObjectId ?? "", type, type), Name: group.Name, Identity: group.Name };
}

/**
 * `-ResultSize`: "Unlimited", a number, or (absent) the documented default of 1000 (Get-Mailbox,
 * Get-CASMailbox and Get-DistributionGroupMember docs). The warning PowerShell prints when more
 * results exist is not emulated: a reader that forgets -ResultSize Unlimited simply gets 1000.
 */
function limited(objects: Obj[], resultSize: unknown): Obj[] {
  if (typeof resultSize === "string" && /^unlimited$/i.test(resultSize)) return objects;
  const size = resultSize === undefined ? 1000 : Number(resultSize);
  return objects.slice(0, Number.isInteger(size) && size > 0 ? size : 1000);
}

/**
 * The one `Get-CASMailbox -Filter` form emulated: `EwsEnabled -eq 0|1|$null` (Microsoft's
 * "Filterable properties for the Filter parameter": EwsEnabled is 0, 1 or $null). Anything else
 * is refused loudly rather than answered wrongly.
 */
function ewsEnabledFilter(filter: unknown): boolean | null | undefined | "unsupported" {
  if (filter === undefined) return undefined;
  const match = typeof filter === "string" ? /^\s*EwsEnabled\s+-eq\s+(0|1|\$null)\s*$/i.exec(filter) : null;
  if (!match) return "unsupported";
  return match[1] === "0" ? false : match[1] === "1" ? true : null;
}

const unsupportedFilter = (filter: unknown) =>
  exchangeError(
    400,
    "Microsoft.Exchange.Management.Tasks.InvalidFilterException",
    `emulator: the filter ${JSON.stringify(filter)} is not one the emulator implements (only "EwsEnabled -eq 0|1|$null").`,
  );

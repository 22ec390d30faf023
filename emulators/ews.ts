import { XMLParser, XMLValidator } from "fast-xml-parser";
import { EXCHANGE_KIOSK_PLAN, type ExchangeMailbox, type ExchangeState } from "./exchange";
import type { EmulatorRequest, EmulatorResponse, GraphEmulator, Route } from "./graph";

// Exchange Online's EWS as an app reaches it with RBAC for Applications, over the Exchange admin
// emulator's state (emulators/exchange.ts): the organization's and the mailbox's EWS controls, the
// app's `Application EWS.AccessAsApp` assignments and their management scopes, and GetFolder.
// Behaviour Microsoft does not document takes the strict side, listed in
// docs/exchange.md, "What the tests assume where Microsoft is silent".

const NS = {
  soap: "http://schemas.xmlsoap.org/soap/envelope/",
  types: "http://schemas.microsoft.com/exchange/services/2006/types",
  messages: "http://schemas.microsoft.com/exchange/services/2006/messages",
  errors: "http://schemas.microsoft.com/exchange/services/2006/errors",
};

/** The resource EWS's tokens must be for (the token's audience), wherever EWS is reached. */
const EXCHANGE_RESOURCE = "https://outlook.office365.com";
const EWS_ROLE = "Application EWS.AccessAsApp";
/** RequestServerVersion's values (Microsoft's "RequestServerVersion" reference). */
const SERVER_VERSIONS = new Set([
  "Exchange2007",
  "Exchange2007_SP1",
  "Exchange2010",
  "Exchange2010_SP1",
  "Exchange2010_SP2",
  "Exchange2013",
  "Exchange2013_SP1",
  "Exchange2015",
  "Exchange2016",
  "V2015_10_05",
  "V2016_01_06",
  "V2016_04_13",
  "V2016_07_13",
  "V2016_10_10",
  "V2017_01_07",
  "V2017_04_14",
  "V2017_07_11",
  "V2017_10_09",
  "V2018_01_08",
]);
/** The distinguished folders GetFolder answers here, with the display names a new English mailbox has. */
const FOLDERS: Record<string, string> = {
  inbox: "Inbox",
  msgfolderroot: "Top of Information Store",
  sentitems: "Sent Items",
  deleteditems: "Deleted Items",
  drafts: "Drafts",
};
/** The two values of `X-EWS-Policy-Reason` (Microsoft's "Control access to EWS in Exchange"). */
const POLICY = { disabled: "EWS is disabled for this user or tenant", blocked: "EWS is blocked by policy for this user or tenant" };

/** POST `/EWS/Exchange.asmx` (graph.ts's EWS_PATH) over `state`, read at each request. */
export function ewsRoute(state: ExchangeState): Route {
  return (request, emulator) => answer(state, request, emulator);
}

function answer(state: ExchangeState, request: EmulatorRequest, emulator: GraphEmulator): EmulatorResponse {
  if (request.method !== "POST") return { status: 405, headers: { allow: "POST" } };
  const bearer = /^Bearer (.+)$/.exec(String(request.headers.authorization ?? ""))?.[1];
  const claims = bearer === undefined || emulator.revokedTokens.has(bearer) ? undefined : emulator.tokenClaims.get(bearer);
  if (!claims) return unauthorized('2000001;reason="The token is missing, expired or not one Entra ID issued."');
  // Exchange Online checks the token's audience (its resource); the .default scope names it.
  if (!claims.scope.split(" ").includes(`${EXCHANGE_RESOURCE}/.default`))
    return unauthorized(`2000003;reason="Invalid audience '${claims.scope}'.";error_category="invalid_resource"`);
  if (!/^text\/xml\b/i.test(String(request.headers["content-type"] ?? ""))) return { status: 415 };

  const envelope = parseEnvelope(request.text ?? "");
  if (typeof envelope === "string") return fault("ErrorSchemaValidation", `The request failed schema validation: ${envelope}`);
  const version = child(envelope.header, NS.types, "RequestServerVersion")?.attributes.Version;
  if (!version || !SERVER_VERSIONS.has(version)) return fault("ErrorInvalidServerVersion", "The specified server version is invalid.");

  const organization = organizationRefusal(state, claims.appId);
  if (organization) return organization;
  const grants = ewsAssignmentsOf(state, claims.appId);
  // An app token with no EWS permission at all (no role in Exchange, no full_access_as_app): HTTP 403 (exchangelib #1321).
  if (grants.length === 0)
    return {
      status: 403,
      headers: { "x-ms-diagnostics": '2000008;reason="The token contains not enough scope to make this call.";error_category="invalid_grant"' },
    };

  const connecting = child(child(envelope.header, NS.types, "ExchangeImpersonation"), NS.types, "ConnectingSID");
  const address = ["SmtpAddress", "PrimarySmtpAddress", "PrincipalName"].map((name) => child(connecting, NS.types, name)?.text).find(Boolean);
  if (!address) return fault("ErrorInvalidExchangeImpersonationHeaderData", "ExchangeImpersonation SOAP header must be present for this type of OAuth token.");
  const key = Object.keys(state.mailboxes).find((m) => m.toLowerCase() === address.toLowerCase());
  if (key === undefined) return fault("ErrorNonExistentMailbox", "The SMTP address has no mailbox associated with it.", { SmtpAddress: address });
  const mailbox = state.mailboxes[key]!;
  // The mailbox's own Set-CASMailbox -EwsEnabled (MC1015893); a Kiosk/F-SKU-only mailbox has no EWS since 2026-10-01 (MC1191578).
  if (mailbox.EwsEnabled === false || kioskOnly(mailbox)) return policyRefusal(POLICY.disabled);
  if (
    !grants.some(
      (grant) => grant.CustomResourceScope === "" || grant.CustomResourceScope === undefined || inScope(state, String(grant.CustomResourceScope), key),
    )
  ) {
    return fault("ErrorImpersonateUserDenied", "The account does not have permission to impersonate the requested user.");
  }
  return getFolder(envelope.body, key);
}

/** The organization's EWS controls: EwsEnabled false blocks everyone; true lets only the listed app ids through (an empty list none, since 2026-10-10). */
function organizationRefusal(state: ExchangeState, appId: string): EmulatorResponse | undefined {
  const { EwsEnabled, EwsAllowedAppIDs } = state.organization;
  if (EwsEnabled === false) return policyRefusal(POLICY.disabled);
  if (EwsEnabled !== true) return undefined;
  const listed = (EwsAllowedAppIDs ?? "")
    .split(",")
    .map((id) => id.trim().toLowerCase())
    .filter(Boolean);
  return listed.includes(appId.toLowerCase()) ? undefined : policyRefusal(POLICY.blocked);
}

/** The app's regular `Application EWS.AccessAsApp` assignments, through its Exchange service principal. */
function ewsAssignmentsOf(state: ExchangeState, appId: string): Record<string, unknown>[] {
  const principal = state.servicePrincipals.find((sp) => String(sp.AppId).toLowerCase() === appId.toLowerCase());
  if (!principal) return [];
  return state.assignments.filter(
    (a) =>
      a.RoleAssigneeType === "ServicePrincipal" && a.RoleAssignee === principal.Identity && a.Role === EWS_ROLE && a.RoleAssignmentDelegationType === "Regular",
  );
}

function kioskOnly(mailbox: ExchangeMailbox): boolean {
  const plans = mailbox.exchangePlans ?? [];
  return plans.length > 0 && plans.every((plan) => plan.toLowerCase() === EXCHANGE_KIOSK_PLAN);
}

/**
 * Whether the management scope's RecipientFilter matches the mailbox. Only the form RBAC for
 * Applications documents for a group is evaluated, `MemberOfGroup -eq '<group DN>'`: direct
 * members of the group with that DN. Any other filter is a test the emulator cannot answer.
 */
function inScope(state: ExchangeState, scopeName: string, address: string): boolean {
  const scope = state.scopes.find((s) => String(s.Name).toLowerCase() === scopeName.toLowerCase());
  if (!scope) return false;
  const filter = String(scope.RecipientFilter ?? "");
  const dn = /^\s*MemberOfGroup\s+-eq\s+(?:'([^']*)'|"([^"]*)")\s*$/i.exec(filter);
  if (!dn)
    throw new Error(
      `the EWS emulator cannot evaluate the management scope ${scopeName}'s RecipientFilter ${JSON.stringify(filter)}: only MemberOfGroup -eq '<DN>' is emulated`,
    );
  const group = state.groups.find((g) => String(g.DistinguishedName).toLowerCase() === (dn[1] ?? dn[2])!.toLowerCase());
  const members = (group?.Members as string[] | undefined) ?? [];
  return members.some((member) => member.toLowerCase() === address.toLowerCase());
}

function getFolder(body: XmlElement | undefined, mailbox: string): EmulatorResponse {
  const operation = body?.children[0];
  if (!operation || operation.ns !== NS.messages || operation.name !== "GetFolder") {
    return fault("ErrorSchemaValidation", "The request failed schema validation: the emulator answers GetFolder only.");
  }
  const ids = child(operation, NS.messages, "FolderIds")?.children ?? [];
  const shape = child(child(operation, NS.messages, "FolderShape"), NS.types, "BaseShape")?.text;
  const distinguished = ids.map((id) => (id.ns === NS.types && id.name === "DistinguishedFolderId" ? id.attributes.Id : undefined));
  if (!shape || ids.length === 0 || distinguished.some((id) => id === undefined || !(id in FOLDERS))) {
    return fault("ErrorSchemaValidation", "The request failed schema validation: FolderShape/BaseShape and FolderIds of distinguished folders are required.");
  }
  const folders = distinguished.map((id) => {
    const folderId = Buffer.from(`${mailbox}/${id!}`).toString("base64");
    return `<m:GetFolderResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:Folders><t:Folder><t:FolderId Id="${folderId}" ChangeKey="AQAAAA=="/><t:DisplayName>${FOLDERS[id!]}</t:DisplayName><t:TotalCount>0</t:TotalCount><t:ChildFolderCount>0</t:ChildFolderCount><t:UnreadCount>0</t:UnreadCount></t:Folder></m:Folders></m:GetFolderResponseMessage>`;
  });
  // The shape of Microsoft's "GetFolder operation" response example.
  return soap(
    200,
    `<s:Header><h:ServerVersionInfo MajorVersion="15" MinorVersion="20" MajorBuildNumber="8769" MinorBuildNumber="21" Version="V2018_01_08" xmlns:h="${NS.types}" xmlns="${NS.types}"/></s:Header>` +
      `<s:Body><m:GetFolderResponse xmlns:m="${NS.messages}" xmlns:t="${NS.types}"><m:ResponseMessages>${folders.join("")}</m:ResponseMessages></m:GetFolderResponse></s:Body>`,
  );
}

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function soap(status: number, inner: string): EmulatorResponse {
  return { status, xml: `<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="${NS.soap}">${inner}</s:Envelope>` };
}

/**
 * A SOAP fault as Exchange sends one: HTTP 500, `faultcode` in the types namespace, the detail's
 * ResponseCode and Message in the errors namespace, MessageXml's values (OfficeDev/ews-managed-api
 * #223 and OfficeDev/office-js #1872 show such answers; exchangelib parses them).
 */
export function ewsFault(code: string, message: string, values: Record<string, string> = {}): EmulatorResponse {
  const messageXml =
    Object.keys(values).length === 0
      ? ""
      : `<t:MessageXml xmlns:t="${NS.types}">${Object.entries(values)
          .map(([name, value]) => `<t:Value Name="${escape(name)}">${escape(value)}</t:Value>`)
          .join("")}</t:MessageXml>`;
  return soap(
    500,
    `<s:Body><s:Fault><faultcode xmlns:a="${NS.types}">a:${code}</faultcode><faultstring xml:lang="en-US">${escape(message)}</faultstring>` +
      `<detail><e:ResponseCode xmlns:e="${NS.errors}">${code}</e:ResponseCode><e:Message xmlns:e="${NS.errors}">${escape(message)}</e:Message>${messageXml}</detail></s:Fault></s:Body>`,
  );
}
const fault = ewsFault;

/** HTTP 403 of EWS's access controls: the reason in `X-EWS-Policy-Reason`, no body to rely on. */
function policyRefusal(reason: string): EmulatorResponse {
  return { status: 403, headers: { "x-ews-policy-reason": reason } };
}

function unauthorized(diagnostics: string): EmulatorResponse {
  return {
    status: 401,
    headers: {
      "www-authenticate":
        'Bearer client_id="00000002-0000-0ff1-ce00-000000000000", trusted_issuers="00000001-0000-0000-c000-000000000000@*", token_types="app_asserted_user_v1 service_asserted_app_v1", error="invalid_token"',
      "x-ms-diagnostics": diagnostics,
    },
  };
}

interface XmlElement {
  ns: string;
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

function child(parent: XmlElement | undefined, ns: string, name: string): XmlElement | undefined {
  return parent?.children.find((c) => c.ns === ns && c.name === name);
}

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: "",
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  htmlEntities: true,
});

/** The SOAP envelope's header and body, names resolved to their namespaces; a string says why it is not one. */
function parseEnvelope(text: string): { header?: XmlElement; body?: XmlElement } | string {
  const valid = XMLValidator.validate(text);
  if (valid !== true) return valid.err.msg;
  const roots = resolve(parser.parse(text) as Node[], { "": "", xml: "http://www.w3.org/XML/1998/namespace" });
  if (typeof roots === "string") return roots;
  const envelope = roots[0];
  if (roots.length !== 1 || envelope?.ns !== NS.soap || envelope.name !== "Envelope") return "the root is not a SOAP 1.1 Envelope";
  const body = child(envelope, NS.soap, "Body");
  if (!body) return "the Envelope has no Body";
  return { header: child(envelope, NS.soap, "Header"), body };
}

type Node = Record<string, unknown>;

function resolve(nodes: Node[], scope: Record<string, string>): XmlElement[] | string {
  const elements: XmlElement[] = [];
  for (const node of nodes) {
    const tag = Object.keys(node).find((key) => key !== ":@");
    if (!tag || tag === "#text" || tag.startsWith("?")) continue;
    const raw = (node[":@"] ?? {}) as Record<string, string>;
    const inner = { ...scope };
    const attributes: Record<string, string> = {};
    for (const [name, value] of Object.entries(raw)) {
      if (name === "xmlns") inner[""] = value;
      else if (name.startsWith("xmlns:")) inner[name.slice(6)] = value;
      else attributes[name.includes(":") ? name.slice(name.indexOf(":") + 1) : name] = value;
    }
    const [prefix, name] = tag.includes(":") ? [tag.slice(0, tag.indexOf(":")), tag.slice(tag.indexOf(":") + 1)] : ["", tag];
    const ns = inner[prefix];
    if (ns === undefined) return `the prefix "${prefix}" of <${tag}> is not declared`;
    const content = node[tag] as Node[];
    const children = resolve(content, inner);
    if (typeof children === "string") return children;
    const text = content.map((c) => (typeof c["#text"] === "string" ? c["#text"] : "")).join("");
    elements.push({ ns, name, attributes, children, text });
  }
  return elements;
}

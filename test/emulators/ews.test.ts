import assert from "node:assert/strict";
import { beforeEach, describe, it } from "node:test";
import { getInboxEnvelope } from "../../m365/ews-client";
import type { ExchangeState } from "../../emulators/exchange";
import { ewsRoute } from "../../emulators/ews";
import { EWS_PATH, type EmulatorResponse, type GraphEmulator } from "../../emulators/graph";
import { deployedEwsTenant, EWS_TENANT } from "../support/ews-tenant";

// The EWS emulator's own rules, asked directly (no HTTP): those the CLI's tests cannot reach.

const TOKEN = "token-for-exchange";
const GRAPH_TOKEN = "token-for-graph";
let state: ExchangeState;
const emulator = {
  url: "https://127.0.0.1",
  revokedTokens: new Set<string>(),
  tokenClaims: new Map([
    [TOKEN, { appId: EWS_TENANT.appId, scope: "https://outlook.office365.com/.default" }],
    [GRAPH_TOKEN, { appId: EWS_TENANT.appId, scope: "https://graph.microsoft.com/.default" }],
  ]),
} as unknown as GraphEmulator;

function ask(text: string, token = TOKEN, contentType = "text/xml; charset=utf-8"): EmulatorResponse {
  const headers = { authorization: `Bearer ${token}`, "content-type": contentType };
  const response = ewsRoute(state)({ method: "POST", path: EWS_PATH, query: new URLSearchParams(), headers, text }, emulator);
  assert.ok(response);
  return response;
}
const faultCode = (response: EmulatorResponse) => /<e:ResponseCode[^>]*>(\w+)</.exec(response.xml ?? "")?.[1];

beforeEach(() => {
  state = deployedEwsTenant();
});

describe("EWS emulator", () => {
  it("401 for a token of another audience or one it never issued; 415 for a body that is not text/xml", () => {
    const graph = ask(getInboxEnvelope(EWS_TENANT.inside), GRAPH_TOKEN);
    assert.equal(graph.status, 401);
    assert.match(graph.headers?.["x-ms-diagnostics"] ?? "", /^2000003;reason="Invalid audience/);
    assert.equal(ask(getInboxEnvelope(EWS_TENANT.inside), "forged").status, 401);
    assert.equal(ask(getInboxEnvelope(EWS_TENANT.inside), TOKEN, "application/json").status, 415);
  });

  it("answers GetFolder in Microsoft's shape, and refuses a request without ExchangeImpersonation or not well-formed", () => {
    const reached = ask(getInboxEnvelope(EWS_TENANT.inside));
    assert.equal(reached.status, 200);
    assert.match(
      reached.xml ?? "",
      /<m:GetFolderResponseMessage ResponseClass="Success"><m:ResponseCode>NoError<\/m:ResponseCode><m:Folders><t:Folder><t:FolderId Id="[^"]+" ChangeKey="[^"]+"\/><t:DisplayName>Inbox<\/t:DisplayName>/,
    );
    const anonymous = ask(getInboxEnvelope(EWS_TENANT.inside).replace(/<t:ExchangeImpersonation>.*<\/t:ExchangeImpersonation>/, ""));
    assert.deepEqual([anonymous.status, faultCode(anonymous)], [500, "ErrorInvalidExchangeImpersonationHeaderData"]);
    const broken = ask(getInboxEnvelope(EWS_TENANT.inside).replace("</soap:Body>", ""));
    assert.deepEqual([broken.status, faultCode(broken)], [500, "ErrorSchemaValidation"]);
    const noVersion = ask(getInboxEnvelope(EWS_TENANT.inside).replace(/<t:RequestServerVersion[^>]*\/>/, ""));
    assert.equal(faultCode(noVersion), "ErrorInvalidServerVersion");
  });

  it("the organization's EwsEnabled: never set lets every app through, false blocks everyone", () => {
    state.organization = { EwsEnabled: null, EwsAllowedAppIDs: null };
    assert.equal(ask(getInboxEnvelope(EWS_TENANT.inside)).status, 200);
    state.organization.EwsEnabled = false;
    const blocked = ask(getInboxEnvelope(EWS_TENANT.inside));
    assert.deepEqual([blocked.status, blocked.headers?.["x-ews-policy-reason"]], [403, "EWS is disabled for this user or tenant"]);
  });

  it("only a regular assignment of Application EWS.AccessAsApp to the app's service principal counts", () => {
    state.assignments[0]!.RoleAssignmentDelegationType = "Delegating";
    assert.equal(ask(getInboxEnvelope(EWS_TENANT.inside)).status, 403);
    state.assignments[0]!.RoleAssignmentDelegationType = "Regular";
    state.assignments[0]!.Role = "Application Mail.Read";
    assert.equal(ask(getInboxEnvelope(EWS_TENANT.inside)).status, 403);
  });

  it("refuses loudly to guess a management scope filter other than MemberOfGroup -eq '<DN>'", () => {
    state.scopes[0]!.RecipientFilter = "Department -eq 'Sales'";
    assert.throws(() => ask(getInboxEnvelope(EWS_TENANT.inside)), /cannot evaluate the management scope Retain Archived Users's RecipientFilter/);
  });
});

import { FRONTLINE_EXCHANGE_PLANS, TEAMS_APP_ID } from "../../m365/exchange-facts";
import { exchangeState, invokeCmdlet, type ExchangeState } from "../../emulators/exchange";

// A tenant's Exchange as a deployment leaves it for Retain's EWS access, made with the Exchange
// admin emulator's own cmdlets so that its objects have the shapes that emulator gives them.

export const EWS_TENANT = {
  tenantId: "00000000-0000-4000-8000-0000000000aa",
  /** Retain's application (client) id and its Entra service principal's object id. */
  appId: "00000000-0000-4000-8000-0000000000bb",
  appObjectId: "00000000-0000-4000-8000-0000000000cc",
  scope: "Retain Archived Users",
  /** Members of the scope's group. */
  inside: "ann@contoso.com",
  outside: "bob@contoso.com",
  /** In the group, with an address that XML must escape. */
  quoted: "o'neil&sons@contoso.com",
  /** In the group, `Set-CASMailbox -EwsEnabled $false`. */
  ewsOff: "off@contoso.com",
  /** In the group, licensed with a Kiosk plan only. */
  kiosk: "kiosk@contoso.com",
} as const;

/** Runs one cmdlet of the Exchange admin emulator on `state`, as the deployment would. */
export function runCmdlet(state: ExchangeState, cmdlet: string, parameters: Record<string, unknown>): void {
  invokeCmdlet(state, cmdlet, parameters);
}

/** Retain's app with Application EWS.AccessAsApp scoped to the group's members, on the organization's allow list (with Teams). */
export function deployedEwsTenant(): ExchangeState {
  const t = EWS_TENANT;
  const state = exchangeState(t.tenantId);
  for (const address of [t.inside, t.outside, t.quoted, t.ewsOff, t.kiosk]) state.mailboxes[address] = { EwsEnabled: null };
  state.mailboxes[t.ewsOff]!.EwsEnabled = false;
  state.mailboxes[t.kiosk]!.exchangePlans = [...FRONTLINE_EXCHANGE_PLANS];
  runCmdlet(state, "New-ServicePrincipal", { AppId: t.appId, ObjectId: t.appObjectId, DisplayName: "Retain Archiving" });
  runCmdlet(state, "New-DistributionGroup", { Name: t.scope, Type: "Security" });
  const group = state.groups[0]!;
  group.Members = [t.inside, t.quoted, t.ewsOff, t.kiosk];
  runCmdlet(state, "New-ManagementScope", { Name: t.scope, RecipientRestrictionFilter: `MemberOfGroup -eq '${String(group.DistinguishedName)}'` });
  runCmdlet(state, "New-ManagementRoleAssignment", {
    Name: "Retain EWS",
    App: t.appObjectId,
    Role: "Application EWS.AccessAsApp",
    CustomResourceScope: t.scope,
  });
  runCmdlet(state, "Set-OrganizationConfig", { EwsAllowedAppIDs: `${TEAMS_APP_ID},${t.appId}` });
  runCmdlet(state, "Set-OrganizationConfig", { EwsEnabled: true });
  state.commands.length = 0;
  return state;
}

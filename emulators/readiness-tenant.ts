import { entraApps, grantApplicationPermission, GRAPH_RESOURCE_APP_ID, registerApp, type EntraApps, type ServicePrincipal } from "./entra-readiness";
import { EXCHANGE_KIOSK_PLAN, EXCHANGE_PLAN_2, exchangeState, servicePrincipalReference, type ExchangeState } from "./exchange";

// A tenant as a deploy of the example stack leaves it, with as many mailboxes as asked: Retain's
// app registered in Entra and in Exchange, its EWS role scoped to the scope group, the EWS allow
// list in force with it. Deterministic: the same options give the same tenant.

export { EXCHANGE_KIOSK_PLAN, EXCHANGE_PLAN_2 } from "./exchange";
const TEAMS_APP_ID = "cc15fd57-2c6c-4117-a88c-83b1d56b4bbe";

export const RETAIN_APP_ID = "7e7a1a11-0000-4000-8000-00000000a991";
const RETAIN_APP_OBJECT_ID = "7e7a1a11-0000-4000-8000-00000000a992";
const GROUP_DN = (name: string) => `CN=${name},OU=example.onmicrosoft.com,OU=Microsoft Exchange Hosted Organizations,DC=EURPR01A001,DC=PROD,DC=OUTLOOK,DC=COM`;

export interface ReadinessTenantOptions {
  tenantId: string;
  /** User mailboxes, user1@example.com … userN@example.com. */
  mailboxes: number;
  /** The stack's scope group; all mailboxes (and `mailUsers`) are its direct members. Absent: no scope. */
  scopeGroup?: string;
  /** Retain's app registration's display name (the stack's `application.displayName`). */
  appDisplayName: string;
  /** Every n-th mailbox has EWS turned off for itself (0: none). */
  ewsOffEvery?: number;
  /** Every n-th mailbox (not one with EWS off) has only the Kiosk plan (0: none). */
  frontlineEvery?: number;
  /** Members of the scope group without an Exchange Online mailbox (MailUsers). */
  mailUsers?: number;
}

export interface ReadinessTenant {
  exchange: ExchangeState;
  entra: EntraApps;
  retain: ServicePrincipal;
}

export function readinessTenant(options: ReadinessTenantOptions): ReadinessTenant {
  const entra = entraApps();
  const retain = registerApp(entra, options.appDisplayName, RETAIN_APP_ID);
  // What the stack grants Retain's app in Entra: the directory sync's reads, nothing to mailboxes.
  grantApplicationPermission(entra, retain, GRAPH_RESOURCE_APP_ID, "User.Read.All");
  grantApplicationPermission(entra, retain, GRAPH_RESOURCE_APP_ID, "GroupMember.Read.All");

  const exchange = exchangeState(options.tenantId);
  const servicePrincipal = {
    ...servicePrincipalReference(RETAIN_APP_ID, RETAIN_APP_OBJECT_ID, options.appDisplayName),
    Identity: "7e7a1a11-0000-4000-8000-00000000a993",
  };
  exchange.servicePrincipals.push(servicePrincipal);
  exchange.organization = { EwsEnabled: true, EwsAllowedAppIDs: `${TEAMS_APP_ID},${RETAIN_APP_ID}` };

  const members: string[] = [];
  for (let i = 1; i <= options.mailboxes; i++) {
    const address = `user${i}@example.com`;
    const ewsOff = options.ewsOffEvery ? i % options.ewsOffEvery === 0 : false;
    const frontline = !ewsOff && options.frontlineEvery ? i % options.frontlineEvery === 0 : false;
    exchange.mailboxes[address] = { EwsEnabled: ewsOff ? false : null, exchangePlans: [frontline ? EXCHANGE_KIOSK_PLAN : EXCHANGE_PLAN_2] };
    members.push(address);
  }
  for (let i = 1; i <= (options.mailUsers ?? 0); i++) {
    const address = `partner${i}@partner.example`;
    exchange.recipients[address] = { RecipientTypeDetails: "MailUser" };
    members.push(address);
  }

  const scopeName = options.scopeGroup ? `${options.scopeGroup} (Retain)`.slice(0, 64) : undefined;
  if (options.scopeGroup && scopeName) {
    const dn = GROUP_DN(options.scopeGroup);
    exchange.groups.push({
      Name: options.scopeGroup,
      Identity: options.scopeGroup,
      GroupType: "Universal, SecurityEnabled",
      DistinguishedName: dn,
      ExternalDirectoryObjectId: "7e7a1a11-0000-4000-8000-00000000a994",
      Members: members,
    });
    exchange.scopes.push({ Name: scopeName, Identity: scopeName, RecipientFilter: `MemberOfGroup -eq '${dn}'`, ScopeRestrictionType: "RecipientScope" });
  }
  // Built-in assignments every organization has: unscoped, and none of them Retain's.
  for (const [role, group] of [
    ["Mail Recipients", "Organization Management"],
    ["View-Only Configuration", "View-Only Organization Management"],
  ]) {
    exchange.assignments.push({
      Name: `${role}-${group}`,
      Identity: `${role}-${group}`,
      Role: role,
      RoleAssigneeType: "RoleGroup",
      RoleAssignee: group,
      RoleAssigneeName: group,
      CustomResourceScope: "",
      RoleAssignmentDelegationType: "Regular",
    });
  }
  exchange.assignments.push({
    Name: "Retain Application EWS.AccessAsApp",
    Identity: "Retain Application EWS.AccessAsApp",
    Role: "Application EWS.AccessAsApp",
    RoleAssigneeType: "ServicePrincipal",
    RoleAssignee: servicePrincipal.Identity,
    RoleAssigneeName: options.appDisplayName,
    CustomResourceScope: scopeName ?? "",
    RoleAssignmentDelegationType: "Regular",
  });
  return { exchange, entra, retain };
}

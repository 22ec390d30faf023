import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import * as policySdk from "@pulumi/policy";
import type { PolicyResourceOptions, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import * as pulumi from "@pulumi/pulumi";
import { AnalyzeRequest, AnalyzerResourceOptions, EnforcementLevel, type AnalyzeResponse } from "@pulumi/pulumi/proto/analyzer_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import type { ExchangeAccess } from "../../components/exchange";
import { validateConfig } from "../../config/validate";
import { AUTODISCOVER_TARGET } from "../../m365/autodiscover";
import { GRAPH_APP_ROLES, MICROSOFT_GRAPH_APP_ID, READ_ONLY_DIRECTORY_ROLES } from "../../m365/entra";
import { EXCHANGE_ONLINE_APP_ID, LEGACY_IMPERSONATION_ROLE } from "../../m365/exchange-facts";
import { OfflineServiceConfigurationRecordSource } from "../../m365/microsoft-dns-records/offline";
import { startMockRuntime, type MockRuntime } from "../../program/mock-runtime";
import type { deployTenant } from "../../program/program";
import {
  EXCHANGE_ROLE_ASSIGNMENT_TYPE,
  graphApplicationPermissionsOnly,
  microsoft365DnsRecords,
  noApplicationImpersonation,
  noUnscopedMailboxPermission,
  policies,
  readOnlyDirectoryRoles,
  retainUserPasswordNeverExpires,
  retainUserPasswordSecret,
  scopedApplicationAccess,
} from "../../policy/policies";
import { toRaw, validRawValues } from "../support/configs";

// --- Validation args built by hand, as @pulumi/policy's analyzer builds them (server.js) --------

/** Runtime exports of @pulumi/policy that its type declarations leave out. */
const sdk = policySdk as unknown as { unknownCheckingProxy<T extends object>(props: T): T };

/** What the engine sends for a value only known at deploy time (a string unknown). */
const UNKNOWN = pulumi.runtime.unknownValue;

const TYPES = {
  dnsRecord: "cloudflare:index/dnsRecord:DnsRecord",
  user: "azuread:index/user:User",
  directoryRoleAssignment: "azuread:index/directoryRoleAssignment:DirectoryRoleAssignment",
  appRoleAssignment: "azuread:index/appRoleAssignment:AppRoleAssignment",
  application: "azuread:index/application:Application",
  applicationApiAccess: "azuread:index/applicationApiAccess:ApplicationApiAccess",
} as const;

class NotApplicable extends Error {}

/** A copy of props without one key: a property the program could have left out. */
function without(props: Record<string, unknown>, key: string): Record<string, unknown> {
  return Object.fromEntries(Object.entries(props).filter(([name]) => name !== key));
}

function resourceArgs(type: string, props: Record<string, unknown>, opts: Partial<PolicyResourceOptions> = {}, name = "test-resource"): ResourceValidationArgs {
  const isType = (resourceClass: unknown) => (resourceClass as { __pulumiType?: string }).__pulumiType === type;
  // Like the SDK: reading a value unknown in a preview throws.
  const checkedProps = sdk.unknownCheckingProxy(props);
  return {
    type,
    props: checkedProps,
    urn: `urn:pulumi:test::retain-m365::${type}::${name}`,
    name,
    opts: {
      protect: false,
      ignoreChanges: [],
      aliases: [],
      customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
      additionalSecretOutputs: [],
      ...opts,
    },
    stackTags: new Map(),
    isType,
    asType: ((resourceClass: unknown) => (isType(resourceClass) ? checkedProps : undefined)) as ResourceValidationArgs["asType"],
    getConfig: <T extends object>() => ({}) as T,
    notApplicable: (reason?: string): never => {
      throw new NotApplicable(reason);
    },
  };
}

/** The violation messages a policy reports for one resource, or "not applicable: …". */
async function violations(policy: ResourceValidationPolicy, args: ResourceValidationArgs): Promise<string[]> {
  const messages: string[] = [];
  const validations = [policy.validateResource ?? []].flat();
  assert.equal(validations.length, 1, `${policy.name} has one validation`);
  try {
    await validations[0]?.(args, (message) => messages.push(message));
  } catch (error) {
    if (error instanceof NotApplicable) return [...messages, `not applicable: ${error.message}`];
    throw error;
  }
  return messages;
}

// --- 1. DNS ----------------------------------------------------------------------------------

describe("policy m365-dns-records-dns-only-and-on-target", () => {
  const check = (props: Record<string, unknown>) => violations(microsoft365DnsRecords, resourceArgs(TYPES.dnsRecord, props));
  const autodiscoverCname = {
    zoneId: "0123456789abcdef0123456789abcdef",
    name: "autodiscover.example.com",
    type: "CNAME",
    content: AUTODISCOVER_TARGET,
    proxied: false,
    ttl: 3600,
  };
  const autodiscoverSrv = {
    zoneId: "0123456789abcdef0123456789abcdef",
    name: "_autodiscover._tcp.example.com",
    type: "SRV",
    priority: 0,
    data: { priority: 0, weight: 0, port: 443, target: AUTODISCOVER_TARGET },
    proxied: false,
    ttl: 3600,
  };
  const proxiedMessage = (record: string) =>
    `DNS record ${record} is proxied by Cloudflare: set proxied to false (DNS only). Microsoft 365 records must answer with Microsoft's own hosts; a proxied record answers with Cloudflare's addresses.`;

  it("accepts the autodiscover CNAME and SRV the program declares", async () => {
    assert.deepEqual(await check(autodiscoverCname), []);
    assert.deepEqual(await check(autodiscoverSrv), []);
  });

  it("accepts a target written with capitals and a final dot, and a record without proxied", async () => {
    assert.deepEqual(await check({ ...without(autodiscoverCname, "proxied"), content: "AutoDiscover.Outlook.com." }), []);
  });

  it("accepts Microsoft 365 records whose values are only known at deploy time, without reading them", async () => {
    assert.deepEqual(await check({ name: "sip.example.com", type: "CNAME", content: UNKNOWN, proxied: false, ttl: 3600 }), []);
    assert.deepEqual(await check({ name: "example.com", type: "MX", content: UNKNOWN, priority: UNKNOWN, proxied: false, ttl: 3600 }), []);
  });

  it("leaves records that are not Microsoft 365's alone, proxied or not", async () => {
    assert.deepEqual(await check({ name: "www.example.com", type: "CNAME", content: "example.pages.dev", proxied: true, ttl: 1 }), []);
  });

  it("refuses a proxied autodiscover CNAME", async () => {
    assert.deepEqual(await check({ ...autodiscoverCname, proxied: true }), [proxiedMessage("autodiscover.example.com (CNAME)")]);
  });

  it("refuses an autodiscover CNAME pointing elsewhere, in the relative name form Cloudflare also accepts", async () => {
    assert.deepEqual(await check({ ...autodiscoverCname, name: "autodiscover", content: "mail.example.com", proxied: true }), [
      proxiedMessage("autodiscover (CNAME)"),
      "DNS record autodiscover (CNAME) points at mail.example.com: it must be a CNAME to autodiscover.outlook.com, or Outlook and Retain cannot find the Exchange Online mailboxes.",
    ]);
  });

  it("refuses an autodiscover record of another type", async () => {
    assert.deepEqual(await check({ ...autodiscoverCname, name: "autodiscover.example.com.", type: "A", content: "192.0.2.1" }), [
      "DNS record autodiscover.example.com. (A) has the wrong type: declare it as a CNAME to autodiscover.outlook.com, or Outlook and Retain cannot find the Exchange Online mailboxes.",
    ]);
  });

  it("refuses an autodiscover SRV record with another target or port", async () => {
    assert.deepEqual(await check({ ...autodiscoverSrv, data: { priority: 0, weight: 0, port: 80, target: "mail.example.com" } }), [
      "DNS record _autodiscover._tcp.example.com (SRV) targets mail.example.com port 80: it must target autodiscover.outlook.com port 443, or Outlook and Retain cannot find the Exchange Online mailboxes.",
    ]);
    assert.deepEqual(await check({ ...autodiscoverSrv, data: undefined }), [
      "DNS record _autodiscover._tcp.example.com (SRV) targets nothing port none: it must target autodiscover.outlook.com port 443, or Outlook and Retain cannot find the Exchange Online mailboxes.",
    ]);
    assert.deepEqual(await check({ ...autodiscoverSrv, type: "CNAME", content: AUTODISCOVER_TARGET, data: undefined }), [
      "DNS record _autodiscover._tcp.example.com (CNAME) has the wrong type: declare it as an SRV record to autodiscover.outlook.com port 443, or Outlook and Retain cannot find the Exchange Online mailboxes.",
    ]);
  });

  it("refuses proxied Microsoft 365 records: Teams, Intune, DKIM and MX", async () => {
    for (const name of [
      "lyncdiscover.example.com",
      "sip.example.com",
      "enterpriseregistration.example.com",
      "enterpriseenrollment.example.com",
      "selector1._domainkey.example.com",
    ]) {
      assert.deepEqual(await check({ name, type: "CNAME", content: UNKNOWN, proxied: true, ttl: 3600 }), [proxiedMessage(`${name} (CNAME)`)]);
    }
    assert.deepEqual(await check({ name: "@", type: "MX", content: UNKNOWN, priority: 0, proxied: true, ttl: 3600 }), [proxiedMessage("@ (MX)")]);
  });
});

// --- 2. and 3. Users -------------------------------------------------------------------------

const retainUser = {
  userPrincipalName: "RetainWorker@example.com",
  displayName: "RetainWorker",
  mailNickname: "RetainWorker",
  // In a preview the generated password is not known yet (and the SDK has unwrapped its secret).
  password: UNKNOWN,
  disablePasswordExpiration: true,
  forcePasswordChange: false,
  accountEnabled: true,
};
// What @pulumi/azuread's User adds to every user's options.
const secretPassword = { additionalSecretOutputs: ["password"] };

describe("policy retain-user-password-never-expires", () => {
  const check = (props: Record<string, unknown>, name?: string) =>
    violations(retainUserPasswordNeverExpires, resourceArgs(TYPES.user, props, secretPassword, name));
  const message = (user: string) =>
    `Entra user ${user} does not set disablePasswordExpiration: true: set it, or where the tenant's passwords expire Retain stops signing in with "Invalid Password" errors until someone resets the password by hand.`;

  it("accepts a user whose password never expires", async () => {
    assert.deepEqual(await check(retainUser), []);
  });

  it("refuses a user whose password expires, or that leaves it to the tenant", async () => {
    assert.deepEqual(await check({ ...retainUser, disablePasswordExpiration: false }), [message("RetainWorker@example.com")]);
    assert.deepEqual(await check(without(retainUser, "disablePasswordExpiration")), [message("RetainWorker@example.com")]);
  });

  it("still reports when the user principal name is not known yet, naming the resource", async () => {
    assert.deepEqual(await check({ ...retainUser, userPrincipalName: UNKNOWN, disablePasswordExpiration: false }, "example-accounts-worker"), [
      message("example-accounts-worker"),
    ]);
  });
});

describe("policy retain-user-password-secret", () => {
  const check = (props: Record<string, unknown>, opts: Partial<PolicyResourceOptions>) =>
    violations(retainUserPasswordSecret, resourceArgs(TYPES.user, props, opts));
  const message =
    'Entra user RetainWorker@example.com has a password that is not declared secret: give the resource additionalSecretOutputs ["password"] and pass the password as a Pulumi secret, so that Pulumi encrypts it in the stack state and masks it in previews and logs.';

  it("accepts a user whose password is a declared secret, without reading the (unknown) password", async () => {
    assert.deepEqual(await check(retainUser, secretPassword), []);
  });

  it("refuses a user whose password is not declared secret", async () => {
    assert.deepEqual(await check(retainUser, { additionalSecretOutputs: [] }), [message]);
    assert.deepEqual(await check({ ...retainUser, password: "Plain-text-1" }, { additionalSecretOutputs: ["displayName"] }), [message]);
  });

  it("has nothing to check on a user without a password", async () => {
    assert.deepEqual(await check(without(retainUser, "password"), { additionalSecretOutputs: [] }), []);
  });
});

// --- 4. Directory roles ----------------------------------------------------------------------

describe("policy directory-roles-read-only", () => {
  const check = (roleId: string) =>
    violations(readOnlyDirectoryRoles, resourceArgs(TYPES.directoryRoleAssignment, { roleId, principalObjectId: UNKNOWN }, {}, "example-accounts-admin-role"));

  it("accepts the read-only roles, by role template id in either case", async () => {
    assert.deepEqual(await check(READ_ONLY_DIRECTORY_ROLES["Global Reader"]), []);
    assert.deepEqual(await check(READ_ONLY_DIRECTORY_ROLES["Directory Readers"].toUpperCase()), []);
  });

  it("refuses any other role, such as Global Administrator", async () => {
    assert.deepEqual(await check("62e90394-69f5-4237-9190-012177145e10"), [
      "Directory role assignment example-accounts-admin-role gives role 62e90394-69f5-4237-9190-012177145e10, which is not a read-only role: assign one of Global Reader, Directory Readers, Security Reader, Reports Reader (retain-m365:adminUser.directoryRole); the sync admin only reads the directory.",
    ]);
  });
});

// --- 5. Application permissions --------------------------------------------------------------

describe("policy application-permissions-graph-read-only", () => {
  const GRAPH = MICROSOFT_GRAPH_APP_ID;
  const USER_READ_ALL = GRAPH_APP_ROLES["User.Read.All"];
  const GROUP_MEMBER_READ_ALL = GRAPH_APP_ROLES["GroupMember.Read.All"];
  const DIRECTORY_READ_WRITE_ALL = "19dbc75e-c2e2-444c-a770-ec69d8559fc7";
  const EXCHANGE = EXCHANGE_ONLINE_APP_ID;
  const FULL_ACCESS_AS_APP = "dc890d15-9560-4a4c-9b7f-a736ec74ec40";
  const remedy =
    "Retain's app may hold only Microsoft Graph's User.Read.All (df021288-bdef-4463-88db-98f22de89214) and GroupMember.Read.All (98830695-27a2-44f7-8c18-0c3ebc9698f6); remove it.";
  const check = (type: string, props: Record<string, unknown>, name: string) =>
    violations(graphApplicationPermissionsOnly, resourceArgs(type, props, {}, name));
  const assignment = (appRoleId: string) =>
    check(TYPES.appRoleAssignment, { appRoleId, principalObjectId: UNKNOWN, resourceObjectId: UNKNOWN }, "example-app-graph");
  const application = (requiredResourceAccesses: unknown[]) =>
    check(TYPES.application, { displayName: "Retain Archiving", signInAudience: "AzureADMyOrg", requiredResourceAccesses }, "example-app-registration");

  it("accepts the two Graph app role assignments the program grants", async () => {
    assert.deepEqual(await assignment(USER_READ_ALL), []);
    assert.deepEqual(await assignment(GROUP_MEMBER_READ_ALL), []);
  });

  it("refuses an assignment of any other app role", async () => {
    assert.deepEqual(await assignment(DIRECTORY_READ_WRITE_ALL), [
      `App role assignment example-app-graph grants app role ${DIRECTORY_READ_WRITE_ALL}: ${remedy}`,
    ]);
  });

  it("accepts the application's required resource access as the program declares it", async () => {
    const declared = [{ resourceAppId: GRAPH, resourceAccesses: [USER_READ_ALL, GROUP_MEMBER_READ_ALL].map((id) => ({ id, type: "Role" })) }];
    assert.deepEqual(await application(declared), []);
  });

  it("refuses an application requesting other application permissions, such as Exchange's full_access_as_app; delegated scopes are not application permissions", async () => {
    const requested = [
      {
        resourceAppId: GRAPH,
        resourceAccesses: [
          { id: USER_READ_ALL, type: "Role" },
          { id: "e1fe6dd8-ba31-4d61-89e7-88639da4683d", type: "Scope" },
        ],
      },
      { resourceAppId: EXCHANGE, resourceAccesses: [{ id: FULL_ACCESS_AS_APP, type: "Role" }] },
    ];
    assert.deepEqual(await application(requested), [
      `Application "Retain Archiving" requests application permission ${FULL_ACCESS_AS_APP} (Office 365 Exchange Online's full_access_as_app) of API ${EXCHANGE}: ${remedy}`,
    ]);
  });

  it("checks application API access the same way", async () => {
    assert.deepEqual(await check(TYPES.applicationApiAccess, { applicationId: UNKNOWN, apiClientId: GRAPH, roleIds: [USER_READ_ALL] }, "api-access"), []);
    assert.deepEqual(
      await check(TYPES.applicationApiAccess, { applicationId: UNKNOWN, apiClientId: GRAPH, roleIds: [DIRECTORY_READ_WRITE_ALL] }, "api-access"),
      [`API access api-access requests application permission ${DIRECTORY_READ_WRITE_ALL} of API ${GRAPH}: ${remedy}`],
    );
  });

  it("does not apply to other resources", async () => {
    assert.deepEqual(await check(TYPES.user, retainUser, "user"), [
      "not applicable: Policy only applies to app role assignments, applications and application API access",
    ]);
  });
});

// --- 6. Legacy impersonation -----------------------------------------------------------------

describe("policy no-application-impersonation", () => {
  const TENANT = "00000000-0000-4000-8000-000000000001";
  const legacy = {
    tenantId: TENANT,
    exchangeEndpoint: "https://outlook.office365.com",
    name: "Retain ApplicationImpersonation",
    role: LEGACY_IMPERSONATION_ROLE,
    user: "RetainWorker@example.com",
  };
  const check = (props: Record<string, unknown>, type: string = EXCHANGE_ROLE_ASSIGNMENT_TYPE) =>
    violations(noApplicationImpersonation, resourceArgs(type, props, {}, "example-exchange-impersonation"));
  const message = (endpoint: string) =>
    `Exchange role assignment Retain ApplicationImpersonation gives ApplicationImpersonation to RetainWorker@example.com in Exchange Online (${endpoint}): Microsoft removed that role in February 2025 (MC718754), so this deployment would fail. Set retain-m365:exchangeAccess.mode to application-rbac; Retain's app then gets Application EWS.AccessAsApp instead.`;

  it("refuses ApplicationImpersonation in the commercial cloud, however its endpoint is written", async () => {
    assert.deepEqual(await check(legacy), [message("https://outlook.office365.com")]);
    assert.deepEqual(await check({ ...legacy, exchangeEndpoint: "https://Outlook.Office365.com/" }), [message("https://Outlook.Office365.com/")]);
  });

  it("treats an assignment without an endpoint as commercial, the endpoint RoleAssignment defaults to", async () => {
    assert.deepEqual(await check(without(legacy, "exchangeEndpoint")), [message("https://outlook.office365.com")]);
  });

  it("accepts RBAC for Applications roles", async () => {
    assert.deepEqual(
      await check({ ...legacy, name: "Retain Application EWS.AccessAsApp", role: "Application EWS.AccessAsApp", user: undefined, app: UNKNOWN }),
      [],
    );
  });

  it("leaves national clouds alone", async () => {
    assert.deepEqual(await check({ ...legacy, exchangeEndpoint: "https://outlook.office365.us" }), []);
  });

  it("does not apply to other Exchange resources", async () => {
    assert.deepEqual(await check({ tenantId: TENANT, name: "Retain Archived Users (Retain)" }, "pulumi-nodejs:dynamic/exchange:ManagementScope"), [
      "not applicable: Policy only applies to resources of type 'pulumi-nodejs:dynamic/exchange:RoleAssignment'",
    ]);
  });
});

// --- 7. Retain's app reaches only the mailboxes the stack decided ------------------------------

describe("policy exchange-application-access-scoped", () => {
  const TENANT = "00000000-0000-4000-8000-000000000001";
  const assignment = {
    tenantId: TENANT,
    exchangeEndpoint: "https://outlook.office365.com",
    name: "Retain Application EWS.AccessAsApp",
    role: "Application EWS.AccessAsApp",
    app: "11111111-2222-4000-8000-000000000003",
  };
  const check = (props: Record<string, unknown>, type: string = EXCHANGE_ROLE_ASSIGNMENT_TYPE) =>
    violations(scopedApplicationAccess, resourceArgs(type, props, {}, "example-exchange-role-EWS.AccessAsApp"));
  const refusal =
    "Exchange role assignment Retain Application EWS.AccessAsApp gives Application EWS.AccessAsApp to an application without a management scope: it reaches every mailbox of the organization, with full access (read, change and send through EWS). " +
    "Set retain-m365:exchangeAccess.scopeGroup to the group whose members Retain archives, or record the decision with retain-m365:exchangeAccess.allMailboxes: true.";

  it("refuses an application's assignment without customResourceScope, however its app id is known", async () => {
    assert.deepEqual(await check(assignment), [refusal]);
    assert.deepEqual(await check({ ...assignment, app: UNKNOWN }), [refusal], "an app id only known at deploy time changes nothing");
    assert.deepEqual(await check({ ...assignment, customResourceScope: "" }), [refusal], "an empty scope is no scope");
    assert.deepEqual(await check({ ...assignment, allMailboxes: false }), [refusal]);
  });

  it("accepts a scoped assignment, its scope's name known or only known at deploy time", async () => {
    assert.deepEqual(await check({ ...assignment, customResourceScope: "Retain Archived Users (Retain)" }), []);
    assert.deepEqual(await check({ ...assignment, customResourceScope: UNKNOWN }), []);
  });

  it("accepts an unscoped assignment when the stack recorded allMailboxes: true", async () => {
    assert.deepEqual(await check({ ...assignment, allMailboxes: true }), []);
  });

  it("leaves a user's assignment (legacy impersonation) to no-application-impersonation, and other resources alone", async () => {
    assert.deepEqual(
      await check({ tenantId: TENANT, name: "Retain ApplicationImpersonation", role: LEGACY_IMPERSONATION_ROLE, user: "RetainWorker@example.com" }),
      [],
    );
    assert.deepEqual(await check({ tenantId: TENANT, name: "Retain Archived Users (Retain)" }, "pulumi-nodejs:dynamic/exchange:ManagementScope"), [
      "not applicable: Policy only applies to resources of type 'pulumi-nodejs:dynamic/exchange:RoleAssignment'",
    ]);
  });
});

// --- 8. No unscoped grant of what an Exchange application role grants within the scope ---------

describe("policy no-unscoped-mailbox-permission", () => {
  const GRAPH = MICROSOFT_GRAPH_APP_ID;
  const EXCHANGE = EXCHANGE_ONLINE_APP_ID;
  // Graph permissions reference (application identifiers) and Microsoft's EWS OAuth manifest (full_access_as_app).
  const MAILBOX_ITEM_READ_ALL = "7d9f353d-a7bd-4fbb-822a-26d5dd39a3ce";
  const MAILBOX_FOLDER_READ_ALL = "99280d24-a782-4793-93cc-0888549957f6";
  const MAIL_READ = "810c84a8-4a9e-49e6-bf7d-12d183f40d01";
  const MAIL_READ_WRITE = "e2a3a72e-5f79-4c64-b1b1-878b674786c9";
  const FULL_ACCESS_AS_APP = "dc890d15-9560-4a4c-9b7f-a736ec74ec40";
  const reach = "which reaches every mailbox of the organization whatever the Exchange management scope says (permissions add up)";
  const instead = (role: string) =>
    `remove it and list "${role}" in retain-m365:exchangeAccess.roles instead: that Exchange role grants the same, within the management scope.`;
  const check = (type: string, props: Record<string, unknown>, name: string) => violations(noUnscopedMailboxPermission, resourceArgs(type, props, {}, name));
  const assignment = (appRoleId: string) =>
    check(TYPES.appRoleAssignment, { appRoleId, principalObjectId: UNKNOWN, resourceObjectId: UNKNOWN }, "example-app-graph");
  const application = (requiredResourceAccesses: unknown[]) =>
    check(TYPES.application, { displayName: "Retain Archiving", signInAudience: "AzureADMyOrg", requiredResourceAccesses }, "example-app-registration");

  it("refuses an app role assignment of Graph's MailboxItem.Read.All, naming it and the scoped role to list instead", async () => {
    assert.deepEqual(await assignment(MAILBOX_ITEM_READ_ALL), [
      `App role assignment example-app-graph grants Microsoft Graph's application permission MailboxItem.Read.All (${MAILBOX_ITEM_READ_ALL}), ${reach}: ${instead("Application MailboxItem.Read")}`,
    ]);
    assert.deepEqual(await assignment(MAIL_READ.toUpperCase()), [
      `App role assignment example-app-graph grants Microsoft Graph's application permission Mail.Read (${MAIL_READ}), ${reach}: ${instead("Application Mail.Read")}`,
    ]);
  });

  it("refuses an application requesting MailboxFolder.Read.All or Exchange's full_access_as_app; a delegated scope of the same id is not an application permission", async () => {
    const requested = [
      {
        resourceAppId: GRAPH,
        resourceAccesses: [
          { id: GRAPH_APP_ROLES["User.Read.All"], type: "Role" },
          { id: MAILBOX_FOLDER_READ_ALL, type: "Role" },
          { id: MAIL_READ, type: "Scope" },
        ],
      },
      { resourceAppId: EXCHANGE, resourceAccesses: [{ id: FULL_ACCESS_AS_APP, type: "Role" }] },
    ];
    assert.deepEqual(await application(requested), [
      `Application "Retain Archiving" requests Microsoft Graph's application permission MailboxFolder.Read.All (${MAILBOX_FOLDER_READ_ALL}), ${reach}: ${instead("Application MailboxFolder.Read")}`,
      `Application "Retain Archiving" requests Office 365 Exchange Online's application permission full_access_as_app (${FULL_ACCESS_AS_APP}), ${reach}: ${instead("Application EWS.AccessAsApp")}`,
    ]);
  });

  it("refuses application API access to Graph's Mail.ReadWrite, saying its scoped role writes and the stack takes none", async () => {
    assert.deepEqual(
      await check(
        TYPES.applicationApiAccess,
        { applicationId: UNKNOWN, apiClientId: GRAPH, roleIds: [GRAPH_APP_ROLES["User.Read.All"], MAIL_READ_WRITE] },
        "api-access",
      ),
      [
        `API access api-access requests Microsoft Graph's application permission Mail.ReadWrite (${MAIL_READ_WRITE}), ${reach}: ` +
          `remove it: Exchange's scoped role for it, "Application Mail.ReadWrite", changes mailboxes, which an archiver never needs, so retain-m365:exchangeAccess.roles takes no such role.`,
      ],
    );
  });

  it("accepts what the program grants, and leaves other permissions to application-permissions-graph-read-only", async () => {
    assert.deepEqual(await assignment(GRAPH_APP_ROLES["User.Read.All"]), []);
    assert.deepEqual(await assignment(GRAPH_APP_ROLES["GroupMember.Read.All"]), []);
    assert.deepEqual(await assignment("19dbc75e-c2e2-444c-a770-ec69d8559fc7"), [], "Directory.ReadWrite.All reaches no mailbox");
    const declared = [{ resourceAppId: GRAPH, resourceAccesses: Object.values(GRAPH_APP_ROLES).map((id) => ({ id, type: "Role" })) }];
    assert.deepEqual(await application(declared), []);
    // The id of Graph's Mail.Read under another API is not Graph's Mail.Read.
    assert.deepEqual(await check(TYPES.applicationApiAccess, { applicationId: UNKNOWN, apiClientId: EXCHANGE, roleIds: [MAIL_READ] }, "api-access"), []);
  });

  it("names the permission in application-permissions-graph-read-only's refusal of the same grant, so the two read together", async () => {
    const [message] = await violations(
      graphApplicationPermissionsOnly,
      resourceArgs(
        TYPES.appRoleAssignment,
        { appRoleId: MAILBOX_ITEM_READ_ALL, principalObjectId: UNKNOWN, resourceObjectId: UNKNOWN },
        {},
        "example-app-graph",
      ),
    );
    assert.match(
      message ?? "",
      /^App role assignment example-app-graph grants app role 7d9f353d-a7bd-4fbb-822a-26d5dd39a3ce \(Microsoft Graph's MailboxItem\.Read\.All\): Retain's app may hold only/,
    );
  });

  it("does not apply to other resources", async () => {
    assert.deepEqual(await check(TYPES.user, retainUser, "user"), [
      "not applicable: Policy only applies to app role assignments, applications and application API access",
    ]);
  });
});

// --- Through the SDK's own analyzer ----------------------------------------------------------

interface AnalyzerInternals {
  makeAnalyzeRpcFun(
    packName: string,
    version: string,
    enforcementLevel: string,
    policies: ResourceValidationPolicy[],
  ): (call: { request: AnalyzeRequest }, callback: (error: unknown, response?: AnalyzeResponse) => void) => Promise<void>;
}

interface Diagnostic {
  policy: string;
  message: string;
  mandatory: boolean;
}

/** An Analyze call as the engine makes it: top-level `__` keys (a dynamic resource's `__provider`) left out. */
function analyzeRequest(resource: {
  urn: string;
  type: string;
  name: string;
  properties: Record<string, unknown>;
  additionalSecretOutputs?: string[];
}): AnalyzeRequest {
  const properties = Object.fromEntries(Object.entries(resource.properties).filter(([key]) => !key.startsWith("__")));
  const options = new AnalyzerResourceOptions();
  options.setAdditionalsecretoutputsList(resource.additionalSecretOutputs ?? []);
  const request = new AnalyzeRequest();
  request.setUrn(resource.urn);
  request.setType(resource.type);
  request.setName(resource.name);
  request.setProperties(Struct.fromJavaScript(properties as Parameters<typeof Struct.fromJavaScript>[0]));
  request.setOptions(options);
  return request;
}

/**
 * Runs policies through @pulumi/policy's Analyze implementation, the code the policy host serves.
 * The engine shows a violation as the policy's description, a line break, then the message.
 */
async function analyze(packPolicies: ResourceValidationPolicy[], request: AnalyzeRequest): Promise<Diagnostic[]> {
  const { makeAnalyzeRpcFun } = (await import("@pulumi/policy/server")) as unknown as AnalyzerInternals;
  const rpc = makeAnalyzeRpcFun("retain-m365", "0.1.0", "mandatory", packPolicies);
  const response = await new Promise<AnalyzeResponse>((resolve, reject) => {
    void rpc({ request }, (error, answer) => (error || !answer ? reject(error instanceof Error ? error : new Error(String(error))) : resolve(answer)));
  });
  return response
    .getDiagnosticsList()
    .map((d) => ({ policy: d.getPolicyname(), message: d.getMessage(), mandatory: d.getEnforcementlevel() === EnforcementLevel.MANDATORY }));
}

const secretValue = (value: unknown) => ({ [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig, value });

describe("how a secret reaches a policy (@pulumi/policy's analyzer)", () => {
  const user = (password: unknown, additionalSecretOutputs: string[]) =>
    analyzeRequest({
      urn: "urn:pulumi:test::retain-m365::azuread:index/user:User::worker",
      type: TYPES.user,
      name: "worker",
      properties: { ...retainUser, password },
      additionalSecretOutputs,
    });

  it("a validation sees a secret input as its plain value, exactly like a plain one", async () => {
    const seen: unknown[] = [];
    const probe: ResourceValidationPolicy = {
      name: "probe",
      description: "records the password it is given",
      validateResource: (args) => void seen.push(args.props.password),
    };
    await analyze([probe], user(secretValue("S3cret-value"), []));
    await analyze([probe], user("S3cret-value", []));
    assert.deepEqual(seen, ["S3cret-value", "S3cret-value"]);
  });

  it("so retain-user-password-secret goes by additionalSecretOutputs, which the engine does pass", async () => {
    assert.deepEqual(await analyze([retainUserPasswordSecret], user(secretValue("S3cret-value"), ["password"])), []);
    assert.deepEqual(await analyze([retainUserPasswordSecret], user(secretValue("S3cret-value"), [])), [
      {
        policy: "retain-user-password-secret",
        message:
          `${retainUserPasswordSecret.description}\n` +
          'Entra user RetainWorker@example.com has a password that is not declared secret: give the resource additionalSecretOutputs ["password"] and pass the password as a Pulumi secret, so that Pulumi encrypts it in the stack state and masks it in previews and logs.',
        mandatory: true,
      },
    ]);
  });
});

// --- The real program ------------------------------------------------------------------------

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getCustom(): boolean;
  getObject(): Struct | undefined;
  getAdditionalsecretoutputsList(): string[];
}
interface Monitor {
  registerResource(request: RegisterRequest, callback: (error: unknown, response?: { getUrn(): string }) => void): unknown;
}

describe("the program's own resources (a preview of stacks/Pulumi.example.yaml's configuration, plus legacy impersonation, every mailbox and an unscoped assignment)", () => {
  let runtime: MockRuntime;
  const registered: { urn: string; type: string; name: string; properties: Record<string, unknown>; additionalSecretOutputs: string[] }[] = [];

  before(async () => {
    runtime = await startMockRuntime({
      project: "retain-m365",
      stack: "example",
      preview: true,
      // Graph's service principal: its object id is only known at deploy time.
      call: (args) => ({ ...args.inputs, objectId: pulumi.unknown, appRoleIds: pulumi.unknown }),
    });
    const monitor = pulumi.runtime.getMonitor() as unknown as Monitor;
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (request, callback) =>
      register(request, (error, response) => {
        if (!error && response && request.getCustom()) {
          registered.push({
            urn: response.getUrn(),
            type: request.getType(),
            name: request.getName(),
            properties: (request.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>,
            additionalSecretOutputs: request.getAdditionalsecretoutputsList(),
          });
        }
        callback(error, response);
      });

    const validation = validateConfig(toRaw(validRawValues()));
    assert.ok(validation.ok, "the example configuration is valid");
    const program = (await import("../../program/program")) as { deployTenant: typeof deployTenant };
    await program.deployTenant({ recordSource: () => new OfflineServiceConfigurationRecordSource(), config: validation.config });
    const { ExchangeAccess: Access } = (await import("../../components/exchange")) as { ExchangeAccess: typeof ExchangeAccess };
    new Access("legacy", {
      tenantId: "00000000-0000-4000-8000-000000000001",
      mode: "application-impersonation",
      app: { clientId: "app-client-id", servicePrincipalObjectId: "app-sp-object-id", displayName: "Retain Archiving" },
      workerUserPrincipalName: "RetainWorker@example.com",
    });
    // The admin's decision, allMailboxes: true, as the component records it.
    new Access("everyone", {
      tenantId: "00000000-0000-4000-8000-000000000001",
      mode: "application-rbac",
      roles: ["Application EWS.AccessAsApp"],
      allMailboxes: true,
      app: { clientId: "app-client-id", servicePrincipalObjectId: "app-sp-object-id", displayName: "Retain Archiving" },
      workerUserPrincipalName: "RetainWorker@example.com",
    });
    // An assignment declared around the component, with neither a scope nor the decision.
    const { RoleAssignment } = await import("../../components/exchange/role-assignment");
    new RoleAssignment("unscoped", {
      tenantId: "00000000-0000-4000-8000-000000000001",
      name: "Retain Application EWS.AccessAsApp",
      role: "Application EWS.AccessAsApp",
      app: "app-sp-object-id",
    });
    await runtime.settle();
  });
  after(() => runtime.stop());

  it("registers every resource type the policies look for", () => {
    const types = new Set(registered.map((r) => r.type));
    for (const type of [...Object.values(TYPES).filter((t) => t !== TYPES.applicationApiAccess), EXCHANGE_ROLE_ASSIGNMENT_TYPE]) {
      assert.ok(types.has(type), `the program registers a ${type}`);
    }
  });

  it("breaks no policy, not even as a preview-time note, except with ApplicationImpersonation and the unscoped assignment", async () => {
    const reported: (Diagnostic & { resource: string })[] = [];
    for (const resource of registered) {
      for (const diagnostic of await analyze(policies, analyzeRequest(resource))) reported.push({ resource: resource.name, ...diagnostic });
    }
    reported.sort((a, b) => a.resource.localeCompare(b.resource));
    assert.deepEqual(reported, [
      {
        resource: "legacy-impersonation",
        policy: "no-application-impersonation",
        message:
          `${noApplicationImpersonation.description}\n` +
          "Exchange role assignment Retain ApplicationImpersonation gives ApplicationImpersonation to RetainWorker@example.com in Exchange Online (https://outlook.office365.com): Microsoft removed that role in February 2025 (MC718754), so this deployment would fail. Set retain-m365:exchangeAccess.mode to application-rbac; Retain's app then gets Application EWS.AccessAsApp instead.",
        mandatory: true,
      },
      {
        resource: "unscoped",
        policy: "exchange-application-access-scoped",
        message:
          `${scopedApplicationAccess.description}\n` +
          "Exchange role assignment Retain Application EWS.AccessAsApp gives Application EWS.AccessAsApp to an application without a management scope: it reaches every mailbox of the organization, with full access (read, change and send through EWS). Set retain-m365:exchangeAccess.scopeGroup to the group whose members Retain archives, or record the decision with retain-m365:exchangeAccess.allMailboxes: true.",
        mandatory: true,
      },
    ]);
  });
});

// --- The pack --------------------------------------------------------------------------------

const EXPECTED_POLICIES = [
  "m365-dns-records-dns-only-and-on-target",
  "retain-user-password-never-expires",
  "retain-user-password-secret",
  "directory-roles-read-only",
  "application-permissions-graph-read-only",
  "no-application-impersonation",
  "exchange-application-access-scoped",
  "no-unscoped-mailbox-permission",
];

describe("the policy pack", () => {
  it("exports each policy on its own and in one list, each mandatory with a one-line description giving its reason", () => {
    assert.deepEqual(
      policies.map((p) => p.name),
      EXPECTED_POLICIES,
    );
    assert.deepEqual(policies, [
      microsoft365DnsRecords,
      retainUserPasswordNeverExpires,
      retainUserPasswordSecret,
      readOnlyDirectoryRoles,
      graphApplicationPermissionsOnly,
      noApplicationImpersonation,
      scopedApplicationAccess,
      noUnscopedMailboxPermission,
    ]);
    for (const policy of policies) {
      assert.equal(policy.enforcementLevel, "mandatory", policy.name);
      assert.match(policy.description, /^Prevents [^\n]+, because [^\n]+\.$/, policy.name);
    }
  });
});

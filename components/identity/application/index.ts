import { createHash } from "node:crypto";
import * as azuread from "@pulumi/azuread";
import * as pulumi from "@pulumi/pulumi";
import { isPemCertificate, pemCertificateFacts } from "../../../core/certificates";
import { GRAPH_APP_ROLES, MICROSOFT_GRAPH_APP_ID } from "../../../m365/entra";

/**
 * A client secret, or certificates (public parts, PEM): each of `certificates` is registered under its
 * thumbprint; `certificate` (the single certificate of earlier stacks) keeps the name it always had.
 */
export type ApplicationCredentialSpec = { type: "secret"; lifetimeDays: number } | { type: "certificate"; certificate?: string; certificates?: string[] };

/** One certificate registered on the app, and when it expires (unknown when its PEM cannot be read as X.509). */
export interface RegisteredCertificate {
  thumbprint?: string;
  notAfter?: Date;
}

export interface RetainApplicationArgs {
  displayName: string;
  credential: ApplicationCredentialSpec;
  /** Changing this value replaces the app's credential (a new secret), and changes nothing else. */
  credentialRotation: string;
  /** The time a new client secret's end date counts from; tests fix it. */
  now?: () => Date;
  /** Hooks run once the client secret exists, after the Graph permissions (the first directory sync). */
  afterSecretCreated?: pulumi.ResourceHook[];
}

const DAY_MS = 86_400_000;

/** The client secret's resource name: one per rotation key and lifetime, so either change makes a new secret. */
export function secretResourceName(name: string, rotation: string, lifetimeDays: number): string {
  return `${name}-secret-${createHash("sha256")
    .update(JSON.stringify([rotation, lifetimeDays]))
    .digest("hex")
    .slice(0, 8)}`;
}

/** Argument checks, pure so tests can call them without the Pulumi runtime. */
export function checkRetainApplicationArgs(args: RetainApplicationArgs): string[] {
  const problems: string[] = [];
  if (!args.displayName.trim()) problems.push("displayName must not be empty");
  if (args.credential.type === "secret" && !(args.credential.lifetimeDays >= 1 && args.credential.lifetimeDays <= 730)) {
    problems.push("a secret's lifetimeDays must be 1 to 730");
  }
  if (args.credential.type === "certificate") problems.push(...certificateProblems(args.credential));
  return problems;
}

function certificateProblems(credential: { certificate?: string; certificates?: string[] }): string[] {
  const problems: string[] = [];
  if (credential.certificate !== undefined && !isPemCertificate(credential.certificate)) problems.push("certificate must be a PEM certificate");
  const thumbprints = (credential.certificates ?? []).map(pemCertificateFacts);
  thumbprints.forEach((facts, index) => {
    if (!facts) problems.push(`certificates[${index}] must be a PEM certificate readable as X.509`);
    else if (thumbprints.findIndex((other) => other?.thumbprint === facts.thumbprint) < index) problems.push(`certificates[${index}] is listed twice`);
  });
  if (credential.certificate === undefined && thumbprints.length === 0) problems.push("a certificate credential needs at least one certificate");
  return problems;
}

/**
 * The names of RetainApplication's resources that `adopt` reports on, from the component's name:
 * the declaration below and its discovery (discovery.ts) both take them from here.
 */
export function retainApplicationNames(name: string) {
  return { registration: `${name}-registration`, servicePrincipal: `${name}-service-principal` };
}

/**
 * Retain's Entra application: registration, service principal, one credential, and the two Graph
 * application permissions, admin-consented as app role assignments on Graph's service principal.
 * The directory sync and Retain itself sign in with it.
 */
export class RetainApplication extends pulumi.ComponentResource {
  readonly application: azuread.Application;
  readonly servicePrincipal: azuread.ServicePrincipal;
  readonly graphPermissions: azuread.AppRoleAssignment[];
  /** The client secret, as a Pulumi secret; undefined with a certificate credential. */
  readonly clientSecret?: pulumi.Output<string>;
  /** When the client secret expires (RFC 3339); undefined with a certificate credential. */
  readonly clientSecretEndDate?: pulumi.Output<string>;
  /** The registered certificates; empty with a client secret. */
  readonly certificates: RegisteredCertificate[] = [];
  readonly clientId: pulumi.Output<string>;

  constructor(name: string, args: RetainApplicationArgs, opts?: pulumi.ComponentResourceOptions) {
    super("retain-m365:identity:RetainApplication", name, {}, opts);
    const problems = checkRetainApplicationArgs(args);
    if (problems.length > 0) throw new Error(`RetainApplication ${name}: ${problems.join("; ")}`);
    const names = retainApplicationNames(name);

    this.application = new azuread.Application(
      names.registration,
      {
        displayName: args.displayName,
        signInAudience: "AzureADMyOrg",
        requiredResourceAccesses: [
          {
            resourceAppId: MICROSOFT_GRAPH_APP_ID,
            resourceAccesses: Object.values(GRAPH_APP_ROLES).map((id) => ({ id, type: "Role" })),
          },
        ],
      },
      { parent: this },
    );
    this.clientId = this.application.clientId;
    this.servicePrincipal = new azuread.ServicePrincipal(
      names.servicePrincipal,
      { clientId: this.application.clientId, appRoleAssignmentRequired: false },
      { parent: this },
    );

    const graph = azuread.getServicePrincipalOutput({ clientId: MICROSOFT_GRAPH_APP_ID }, { parent: this });
    this.graphPermissions = Object.entries(GRAPH_APP_ROLES).map(
      ([permission, appRoleId]) =>
        new azuread.AppRoleAssignment(
          `${name}-graph-${permission}`,
          { appRoleId, principalObjectId: this.servicePrincipal.objectId, resourceObjectId: graph.objectId },
          { parent: this },
        ),
    );

    if (args.credential.type === "secret") {
      const { lifetimeDays } = args.credential;
      const now = args.now ?? (() => new Date());
      const password = new azuread.ApplicationPassword(
        secretResourceName(name, args.credentialRotation, lifetimeDays),
        {
          applicationId: this.application.id,
          displayName: "retain-m365",
          // Counted from when the secret is made, so unknown (not a made-up date) until the app exists.
          endDate: this.application.id.apply(() => new Date(now().getTime() + lifetimeDays * DAY_MS).toISOString()),
          rotateWhenChanged: { rotation: args.credentialRotation },
        },
        {
          parent: this,
          // `endDateRelative` is deprecated, so the end date is computed here, once per rotation: the
          // engine keeps a resource's recorded value of an ignored input (pulumi/pulumi#2657; Pulumi's
          // ignoreChanges docs), and each rotation key and lifetime names a new resource, which has
          // none, so it gets the date computed now. A secret made with `endDateRelative` (the name
          // `<name>-secret`) keeps that input through the alias until the next rotation: no replacement.
          ignoreChanges: ["endDate", "endDateRelative"],
          aliases: [{ name: `${name}-secret` }],
          additionalSecretOutputs: ["value"],
          // Created after both permissions, so a hook on it runs when the app can read the directory.
          dependsOn: this.graphPermissions,
          ...(args.afterSecretCreated?.length ? { hooks: { afterCreate: args.afterSecretCreated } } : {}),
        },
      );
      this.clientSecret = pulumi.secret(password.value);
      this.clientSecretEndDate = password.endDate;
    } else {
      const { certificate, certificates = [] } = args.credential;
      const named = [
        ...(certificate === undefined ? [] : [{ resource: `${name}-certificate`, pem: certificate, aliases: [] }]),
        ...certificates.map((pem) => {
          const thumbprint = pemCertificateFacts(pem)?.thumbprint ?? "";
          // Stacks deployed before the one spelling named these in lower case; the alias keeps them from being replaced.
          return { resource: `${name}-certificate-${thumbprint}`, pem, aliases: [{ name: `${name}-certificate-${thumbprint.toLowerCase()}` }] };
        }),
      ];
      for (const { resource, pem, aliases } of named) {
        new azuread.ApplicationCertificate(
          resource,
          { applicationId: this.application.id, type: "AsymmetricX509Cert", encoding: "pem", value: pem },
          { parent: this, ...(aliases.length > 0 ? { aliases } : {}) },
        );
        const facts = pemCertificateFacts(pem);
        this.certificates.push({ thumbprint: facts?.thumbprint, notAfter: facts?.notAfter });
      }
    }

    this.registerOutputs({ clientId: this.clientId, servicePrincipalObjectId: this.servicePrincipal.objectId });
  }
}

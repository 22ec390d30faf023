/**
 * What a component needs, read and write apart as in Microsoft365DSC's per-resource permission
 * lists (`permissions.read` / `permissions.update`). README.md lists the union of every component's
 * needs: the read half for an identity that only previews, both halves for the deploying identity.
 */
export interface PermissionList {
  /** Microsoft Graph application permissions. */
  graph: readonly string[];
  /** Entra directory roles. */
  entraRoles: readonly string[];
  /** Cloudflare API token permissions. */
  cloudflare: readonly string[];
  /** Exchange Online permissions / roles. */
  exchange: readonly string[];
}

export interface RequiredPermissions {
  /** What `pulumi preview` needs, with `--refresh` too: the calls made before anything changes. */
  read: PermissionList;
  /** What `pulumi up` (and `pulumi destroy`) needs beyond `read`. */
  write: PermissionList;
}

const KINDS = ["graph", "entraRoles", "cloudflare", "exchange"] as const;

function list(partial: Partial<PermissionList> = {}): PermissionList {
  return { graph: [], entraRoles: [], cloudflare: [], exchange: [], ...partial };
}

export function permissions(partial: { read?: Partial<PermissionList>; write?: Partial<PermissionList> }): RequiredPermissions {
  return { read: list(partial.read), write: list(partial.write) };
}

/**
 * The union of several components' needs, per half, each permission once, in a stable order. A
 * permission one component reads with and another writes with is in `read` only: `write` is
 * what comes on top.
 */
export function combinePermissions(...all: RequiredPermissions[]): RequiredPermissions {
  const union = (pick: (p: RequiredPermissions) => readonly string[]) => [...new Set(all.flatMap(pick))].sort();
  const read = list();
  const write = list();
  for (const kind of KINDS) {
    read[kind] = union((p) => p.read[kind]);
    write[kind] = union((p) => p.write[kind]).filter((permission) => !read[kind].includes(permission));
  }
  return { read, write };
}

/**
 * Deploy permissions that let the identity holding them raise its own privileges, by the text the
 * components declare them with, and how (README's Write table marks them; docs: Microsoft's
 * warnings on each permission and role).
 */
export const SELF_ELEVATING_PERMISSIONS: Readonly<Record<string, string>> = {
  "AppRoleAssignment.ReadWrite.All (grants admin consent)": "grants any application permission to any app, itself included, without anyone consenting",
  "Application.ReadWrite.OwnedBy or Application.ReadWrite.All":
    "with .All, adds a credential to any app and acts as it; with .OwnedBy, to the apps it owns, Retain's included (its Graph reads and mailbox access)",
  "RoleManagement.ReadWrite.Directory (assigns the admin's read-only role)": "assigns any directory role to anyone, itself included: Global Administrator too",
  "Exchange Administrator, held by the deploying identity": "gives any app or user, itself included, Exchange roles over every mailbox",
  "Cloud Application Administrator (or the Graph permissions above)": "adds a credential to other apps and acts as them",
  "Privileged Role Administrator (or RoleManagement.ReadWrite.Directory) to assign directory roles": "assigns any directory role to anyone, itself included",
};

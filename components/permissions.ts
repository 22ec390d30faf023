/**
 * What deploying a component needs, in the spirit of Microsoft365DSC's per-resource permission
 * lists. README.md lists the union of every component's needs for the deploying identity.
 */
export interface RequiredPermissions {
  /** Microsoft Graph application permissions of the deploying identity. */
  graph: readonly string[];
  /** Entra directory roles of the deploying identity. */
  entraRoles: readonly string[];
  /** Cloudflare API token permissions. */
  cloudflare: readonly string[];
  /** Exchange Online permissions / roles. */
  exchange: readonly string[];
}

export function permissions(partial: Partial<RequiredPermissions>): RequiredPermissions {
  return { graph: [], entraRoles: [], cloudflare: [], exchange: [], ...partial };
}

/** The union of several components' needs, each permission once, in a stable order. */
export function combinePermissions(...all: RequiredPermissions[]): RequiredPermissions {
  const union = (pick: (p: RequiredPermissions) => readonly string[]) => [...new Set(all.flatMap(pick))].sort();
  return {
    graph: union((p) => p.graph),
    entraRoles: union((p) => p.entraRoles),
    cloudflare: union((p) => p.cloudflare),
    exchange: union((p) => p.exchange),
  };
}

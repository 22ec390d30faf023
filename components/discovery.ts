// What a resource says about itself before the first deploy (`retain-m365 adopt`, and the deploy's
// own reading of the tenant): each component's folder holds its discovery beside its declaration,
// and both name the resource the same way, so a finding is keyed by the resource's own name.

/** What `pulumi up` will do with one declared resource, given what the tenant and its zones already hold. */
export type FindingAction = "create" | "adopt" | "merge" | "conflict";

/** One resource of the plan that stands for something real (the shape `retain-m365 adopt --json` prints). */
export interface Finding {
  /** The urn `retain-m365 plan --json` shows for the resource. */
  urn: string;
  action: FindingAction;
  /** The provider's import id (with `adopt`, for resources Pulumi imports). */
  importId?: string;
  /** One sentence: what exists and what the deploy will do. Never a secret. */
  detail: string;
  /** The configuration key whose value settles a conflict (with `conflict`). */
  decide?: string;
  /** A record the admin creates by hand (a `manual` domain): the value to set where it depends on what is there (the SPF record, merged). */
  content?: string;
}

/** The urn of a resource of the plan by its name; fails loudly when the plan has no such resource. */
export type UrnOf = (resourceName: string) => string;

/** What one part of the tenant (zones, directory, Exchange) contributes to the report. */
export interface Discovery {
  findings: Finding[];
  notices: string[];
  /** Urns of resources the deploy does not declare: the admin decided to leave what is there. */
  left?: string[];
}

/**
 * What the deploy does with what exists, by resource name: the resources to import, and those it
 * leaves undeclared. (Discovered with the resource name as urn.)
 */
export interface ExistingResources {
  imports: Readonly<Record<string, string>>;
  left: readonly string[];
  /** Records kept by hand whose value depends on what is there (a manual domain's SPF record, merged): the value to list. */
  contents?: Readonly<Record<string, string>>;
}

export function existingResources(discovery: Discovery): ExistingResources {
  const imports = Object.fromEntries(discovery.findings.flatMap((f) => (f.action === "adopt" && f.importId ? [[f.urn, f.importId]] : [])));
  const contents = Object.fromEntries(discovery.findings.flatMap((f) => (f.content !== undefined ? [[f.urn, f.content]] : [])));
  return { imports, left: discovery.left ?? [], contents };
}

/** What exists of the resource of this name: left undeclared, listed with a content, imported, or nothing (created). */
export function existingOf(existing: ExistingResources | undefined, resourceName: string): { import: string } | { content: string } | "leave" | undefined {
  if (existing?.left.includes(resourceName)) return "leave";
  const content = existing?.contents?.[resourceName];
  if (content !== undefined) return { content };
  const importId = existing?.imports[resourceName];
  return importId === undefined ? undefined : { import: importId };
}

/** The import id of the resource of this name, where the deploy takes an existing object over. */
export function importIdOf(existing: ExistingResources | undefined, resourceName: string): string | undefined {
  return existing?.imports[resourceName];
}

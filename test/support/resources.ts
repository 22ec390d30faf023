import assert from "node:assert/strict";
import type { RegisteredResource } from "../../program/mock-runtime";

/** The registered resource with this name; fails the test, listing what there is, when none has it. */
export function resourceNamed(resources: readonly RegisteredResource[], name: string): RegisteredResource {
  const found = resources.find((r) => r.name === name);
  assert.ok(found, `no resource named ${name}; have ${resources.map((r) => r.name).join(", ")}`);
  return found;
}

export function childrenOf(resources: readonly RegisteredResource[], parentUrn: string): RegisteredResource[] {
  return resources.filter((r) => r.parent === parentUrn);
}

import path from "node:path";
import { stackNameOf } from "../config/stack-file";

/** Changes that never alter what a stack deploys: docs, tests, benchmarks, the demo, CI definitions. */
const NOT_DEPLOYED = [/^docs\//, /\.md$/i, /^test\//, /^bench\//, /^demo\//, /^\.github\//, /^\.ci\//, /^LICENSE$/];

/**
 * The stacks a change touches: a changed stack file is that stack; a change to anything the
 * program is built from (components, lib, package files, the policy pack…) is every stack.
 * `changedFiles` are relative to the repository root, as `git diff --name-only` prints them.
 */
export function stacksTouchedBy(changedFiles: readonly string[], stacksDir: string, stacks: readonly string[]): string[] {
  const folder = path.posix.normalize(stacksDir.split(path.sep).join("/")).replace(/\/$/, "");
  const touched = new Set<string>();
  for (const file of changedFiles) {
    if (path.posix.dirname(file) === folder) {
      const stack = stackNameOf(file);
      if (stacks.includes(stack)) touched.add(stack);
      continue;
    }
    if (NOT_DEPLOYED.some((pattern) => pattern.test(file))) continue;
    return [...stacks];
  }
  return stacks.filter((stack) => touched.has(stack));
}

import type { Discovery, Finding, FindingAction } from "../../components/discovery";

/** What `retain-m365 adopt` prints: every resource's finding, the notices, and how many of each action. */
export interface AdoptReport {
  stack: string;
  findings: Finding[];
  /** One sentence each: found, not managed by the stack, worth knowing. */
  notices: string[];
  summary: Record<FindingAction, number>;
}

export function adoptReport(stack: string, parts: readonly Discovery[]): AdoptReport {
  const findings = parts.flatMap((part) => part.findings);
  const summary: Record<FindingAction, number> = { create: 0, adopt: 0, merge: 0, conflict: 0 };
  for (const finding of findings) summary[finding.action] += 1;
  return { stack, findings, notices: parts.flatMap((part) => part.notices), summary };
}

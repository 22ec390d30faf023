import type { Plan, PlanStep } from "../program/plan";
import type { ManualDnsRecord } from "../components/dns/providers/manual";

/** A Markdown table of the plan, for pasting into a pull request. */
export function renderPlanTable(plan: Plan): string {
  const rows = plan.steps.map((step) => [step.op, step.newState.type, step.urn.split("::").pop() ?? step.urn, describe(step)]);
  const lines = [
    `Plan for stack \`${plan.stack}\` (offline: Pulumi mock runtime, no credentials, no network)`,
    "",
    "| Op | Type | Name | Details |",
    "|---|---|---|---|",
    ...rows.map((cells) => `| ${cells.map((c) => c.replace(/\|/g, "\\|")).join(" | ")} |`),
    "",
    `${plan.changeSummary.create} to create.`,
    ...plan.hooks.map(
      (hook) => `Hook ${hook.name} runs ${hook.event === "afterCreate" ? "after creating" : hook.event} ${hook.resource.split("::").pop() ?? hook.resource}.`,
    ),
    ...manualSection(plan.manualDnsRecords),
  ];
  const text = JSON.stringify([plan.steps, plan.manualDnsRecords]);
  if (text.includes('"[unknown]"')) lines.push("[unknown]: known only at deploy time (read from Microsoft Graph or Entra).");
  if (text.includes('"[secret]"')) lines.push("[secret]: an encrypted value, never shown.");
  return lines.join("\n") + "\n";
}

/**
 * The records of the domains whose provider is manual: the admin creates them by hand at their DNS
 * host, and `verify --stack` checks them once deployed (the stack output manualDnsRecords).
 */
function manualSection(records: readonly ManualDnsRecord[] | undefined): string[] {
  if (!records || records.length === 0) return [];
  const value = (r: ManualDnsRecord) =>
    r.type === "SRV"
      ? `${String(r.priority)} ${String(r.weight)} ${String(r.port)} ${String(r.target)}`
      : `${r.type === "MX" ? `${String(r.priority)} ` : ""}${String(r.content)}`;
  return [
    "",
    "Manual DNS records: nothing is written to these domains' DNS; create each record by hand at the DNS host that keeps it (`retain-m365 verify --stack` checks them once deployed):",
    "",
    "| Domain | Type | Name | Value | TTL | Note |",
    "|---|---|---|---|---|---|",
    ...records.map((r) => `| ${[r.domain, r.type, r.name, value(r), String(r.ttl), r.note ?? ""].map((c) => c.replace(/\|/g, "\\|")).join(" | ")} |`),
    "",
  ];
}

function describe(step: PlanStep): string {
  const inputs = step.newState.inputs;
  if (step.newState.type === "retain-m365:dns:ManualRecord") return "created by hand at the domain's DNS host: see Manual DNS records below";
  if (step.newState.type === "cloudflare:index/dnsRecord:DnsRecord") {
    const data = inputs.data as Record<string, unknown> | undefined;
    const value = data
      ? `${String(data.priority)} ${String(data.weight)} ${String(data.port)} ${String(data.target)}`
      : `${inputs.priority !== undefined ? `${String(inputs.priority)} ` : ""}${String(inputs.content)}`;
    return `${String(inputs.type)} ${String(inputs.name)} → ${value} (${inputs.proxied === false ? "DNS-only" : "proxied"}, TTL ${String(inputs.ttl)})`;
  }
  const details = Object.entries(inputs)
    .filter(([, v]) => v !== null && typeof v !== "object")
    .map(([k, v]) => `${k}=${String(v)}`);
  if (step.newState.protect) details.unshift("protected");
  return details.join(", ");
}

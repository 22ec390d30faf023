import { COMPLIANCE_READ_ROLE, COMPLIANCE_WRITE_ROLE } from "../../../m365/compliance-facts";
import { EXCHANGE_ADMIN_API_PERMISSION } from "../../exchange/access-rights";
import { permissions } from "../../permissions";

/**
 * What reading retention policies and holds needs (a refresh, `adopt`, `readiness`): Security &
 * Compliance PowerShell's cmdlets as an app (Microsoft's "App-only authentication in Exchange Online
 * PowerShell and Security & Compliance PowerShell": Exchange.ManageAsApp, then a supported Entra role).
 */
export const RETENTION_READ_ACCESS = `${EXCHANGE_ADMIN_API_PERMISSION}, and the Entra role ${COMPLIANCE_READ_ROLE} (or ${COMPLIANCE_WRITE_ROLE})`;

/**
 * Needed for a `RetentionPolicy`. A preview reads the licences and the other policies and holds (its warnings); a refresh and `adopt` read
 * Get-RetentionCompliancePolicy, Get-RetentionComplianceRule and Get-CaseHoldPolicy; create, update
 * and delete run New-, Set- and Remove-RetentionCompliance* as Compliance Administrator.
 */
export const retentionPolicyPermissions = permissions({
  read: {
    graph: [
      "LicenseAssignment.Read.All or Organization.Read.All (with preservation: a preview and adopt read subscribedSkus for a service plan with retention for Exchange)",
    ],
    exchange: [EXCHANGE_ADMIN_API_PERMISSION],
    entraRoles: [
      `${COMPLIANCE_READ_ROLE}, held by the previewing identity, with preservation: a preview, a refresh and adopt read the retention policies and holds (Get-RetentionCompliancePolicy, Get-RetentionComplianceRule, Get-CaseHoldPolicy)`,
    ],
  },
  write: {
    exchange: [EXCHANGE_ADMIN_API_PERMISSION],
    entraRoles: [`${COMPLIANCE_WRITE_ROLE}, held by the deploying identity (New-, Set- and Remove-RetentionCompliancePolicy and -Rule)`],
  },
});

// Microsoft Purview (Security & Compliance) facts: the same in every tenant (docs/microsoft-365.md,
// "Security & Compliance"). Used inside dynamic providers, which Pulumi serializes: constants only.

/**
 * The Entra role that lets an app run the retention cmdlets that write (New-, Set-,
 * Remove-RetentionCompliance*): Microsoft's "App-only authentication in Exchange Online PowerShell
 * and Security & Compliance PowerShell", Step 5, lists it for Security & Compliance PowerShell and
 * shows it as the example; Purview's retention permissions recommend the Compliance Administrator
 * role group (its Retention Management role).
 */
export const COMPLIANCE_WRITE_ROLE = "Compliance Administrator";

/**
 * The Entra role that lets an app read retention policies and holds without changing them
 * (Get-RetentionCompliancePolicy, Get-RetentionComplianceRule, Get-CaseHoldPolicy): Global Reader,
 * listed for Security & Compliance PowerShell in the same table. Assumed to carry Purview's
 * View-Only Retention Management and the read side of holds (docs/microsoft-365.md).
 */
export const COMPLIANCE_READ_ROLE = "Global Reader";

/**
 * The service plans whose licence gives retention policies for Exchange mailboxes (Purview Data
 * Lifecycle Management with static scopes), by id as Graph's `subscribedSkus` lists them under
 * `servicePlans` (Microsoft's "Product names and service plan identifiers for licensing"): Exchange
 * Online (Plan 2), as in E3/E5 and Exchange Online Plan 2; Exchange Online Archiving, as in
 * Business Premium or as an add-on to Plan 1; Microsoft Information Governance and Records
 * Management, as in E5 and E5 Compliance. Plan 1 alone and Kiosk are not enough. The mapping is an
 * assumption from Microsoft's licensing guidance (docs/microsoft-365.md).
 */
export const EXCHANGE_RETENTION_PLANS = {
  "efb87545-963c-4e0d-99df-69c6916d9eb0": "Exchange Online (Plan 2) (EXCHANGE_S_ENTERPRISE)",
  "8c3069c0-ccdb-44be-ab77-986203a67df2": "Exchange Online (Plan 2) for Government (EXCHANGE_S_ENTERPRISE_GOV)",
  "176a09a6-5e05-47b4-ba6e-8f2ffc2e8208": "Exchange Online Archiving (EXCHANGE_S_ARCHIVE_ADDON)",
  "e26c2fcc-ab91-4a61-b35c-03cdc8dddf66": "Microsoft Information Governance (INFO_GOVERNANCE)",
  "65cc641f-cccd-4643-97e0-a17e3045e541": "Microsoft Records Management (RECORDS_MANAGEMENT)",
} as const;

/** The licences named when none of the plans above is subscribed. */
export const EXCHANGE_RETENTION_LICENCES =
  "Microsoft 365 E3/E5, Office 365 E3/E5, Microsoft 365 Business Premium, Exchange Online (Plan 2), the Exchange Online Archiving add-on, or Microsoft 365 E5 Compliance";

/** What a retention rule keeps (New-RetentionComplianceRule -RetentionComplianceAction): the deleted and purged items too. */
export const KEEP_ACTIONS = ["Keep", "KeepAndDelete"] as const;

/** The longest retention in days the stack may ask for (ten years); longer is `unlimited`. */
export const MAX_RETAIN_DAYS = 3650;

/** Where Microsoft says that a group in a retention policy's Exchange location is expanded once (`preservation.mailboxes: scopeGroup` is refused). */
export const STATIC_SCOPE_SOURCE =
  "https://learn.microsoft.com/purview/retention-settings#configuration-information-for-exchange-mailboxes-and-exchange-public-folders";

/** Microsoft's words at that address. */
export const STATIC_SCOPE_SENTENCE =
  "When you use this option, behind the scenes, these groups are automatically expanded at the time of configuration to select the mailboxes of the users in the group. " +
  "If the membership of those groups later change, your existing retention policy isn't automatically updated, unlike adaptive policy scopes.";

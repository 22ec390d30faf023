// Entra ID and Microsoft Graph facts: the same in every tenant and every cloud.

/** Microsoft Graph's application id. */
export const MICROSOFT_GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000";

/** The Graph application permissions Retain's app holds, by name → app role id. */
export const GRAPH_APP_ROLES = {
  "User.Read.All": "df021288-bdef-4463-88db-98f22de89214",
  "GroupMember.Read.All": "98830695-27a2-44f7-8c18-0c3ebc9698f6",
} as const;

/**
 * Read-only Entra roles the sync admin may be given, by display name → role template id.
 * Anything that can change the directory is deliberately absent.
 */
export const READ_ONLY_DIRECTORY_ROLES = {
  "Global Reader": "f2ef992c-3afb-46b9-b7cf-a126ee74c451",
  "Directory Readers": "88d8e3e3-8f55-4a1e-953a-9b9898b8876b",
  "Security Reader": "5d6b6bb7-de71-4623-b4af-96380a352509",
  "Reports Reader": "4a5d8f65-41da-4de4-8968-e035b65339cf",
} as const;
export type DirectoryRoleName = keyof typeof READ_ONLY_DIRECTORY_ROLES;

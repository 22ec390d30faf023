/** What the sync reads from Graph (the `$select`ed fields). */
export interface DirectoryUser {
  id: string;
  displayName?: string | null;
  mail?: string | null;
  mailNickname?: string | null;
  userPrincipalName?: string | null;
  proxyAddresses?: string[] | null;
  userType?: string | null;
  accountEnabled?: boolean | null;
}

export interface DirectoryGroup {
  id: string;
  displayName?: string | null;
  mail?: string | null;
  mailNickname?: string | null;
  proxyAddresses?: string[] | null;
  mailEnabled?: boolean | null;
}

/** The directory as one sync saw it: users, mail-enabled groups and, per group, its members' ids. */
export interface DirectorySnapshot {
  users: DirectoryUser[];
  groups: DirectoryGroup[];
  /** Group id → member object ids (direct, or transitive with --transitive). */
  members: Map<string, string[]>;
}

export const USER_FIELDS = ["id", "displayName", "mail", "mailNickname", "userPrincipalName", "proxyAddresses", "userType", "accountEnabled"] as const;
export const GROUP_FIELDS = ["id", "displayName", "mail", "mailNickname", "proxyAddresses", "mailEnabled"] as const;

type FieldType = "string" | "strings" | "boolean";
const USER_FIELD_TYPES: Record<(typeof USER_FIELDS)[number], FieldType> = {
  id: "string", displayName: "string", mail: "string", mailNickname: "string", userPrincipalName: "string", proxyAddresses: "strings", userType: "string", accountEnabled: "boolean",
};
const GROUP_FIELD_TYPES: Record<(typeof GROUP_FIELDS)[number], FieldType> = {
  id: "string", displayName: "string", mail: "string", mailNickname: "string", proxyAddresses: "strings", mailEnabled: "boolean",
};

function hasFieldsOfTypes(value: unknown, types: Record<string, FieldType>): boolean {
  if (typeof value !== "object" || value === null || typeof (value as { id?: unknown }).id !== "string") return false;
  return Object.entries(types).every(([field, type]) => {
    const v = (value as Record<string, unknown>)[field];
    if (v === undefined || v === null) return true;
    return type === "strings" ? Array.isArray(v) && v.every((item) => typeof item === "string") : typeof v === type;
  });
}

/** A user as the sync keeps it: an id, and each other field of its type or absent (for state read back from disk). */
export const isDirectoryUser = (value: unknown): value is DirectoryUser => hasFieldsOfTypes(value, USER_FIELD_TYPES);
export const isDirectoryGroup = (value: unknown): value is DirectoryGroup => hasFieldsOfTypes(value, GROUP_FIELD_TYPES);

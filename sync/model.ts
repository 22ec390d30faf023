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

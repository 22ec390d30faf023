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

export const USER_FIELDS = ["id", "displayName", "mail", "mailNickname", "userPrincipalName", "proxyAddresses", "userType", "accountEnabled"] as const;
export const GROUP_FIELDS = ["id", "displayName", "mail", "mailNickname", "proxyAddresses", "mailEnabled"] as const;

type FieldType = "string" | "strings" | "boolean";
const USER_FIELD_TYPES: Record<(typeof USER_FIELDS)[number], FieldType> = {
  id: "string",
  displayName: "string",
  mail: "string",
  mailNickname: "string",
  userPrincipalName: "string",
  proxyAddresses: "strings",
  userType: "string",
  accountEnabled: "boolean",
};
const GROUP_FIELD_TYPES: Record<(typeof GROUP_FIELDS)[number], FieldType> = {
  id: "string",
  displayName: "string",
  mail: "string",
  mailNickname: "string",
  proxyAddresses: "strings",
  mailEnabled: "boolean",
};

/** A kind of directory object: the fields the sync keeps of it (`id` first) and their types. */
export interface ObjectKind<T extends { id: string }> {
  name: "user" | "group";
  fields: readonly (keyof T & string)[];
  types: Readonly<Record<string, FieldType>>;
}
export const USER: ObjectKind<DirectoryUser> = { name: "user", fields: USER_FIELDS, types: USER_FIELD_TYPES };
export const GROUP: ObjectKind<DirectoryGroup> = { name: "group", fields: GROUP_FIELDS, types: GROUP_FIELD_TYPES };

const hasType = (value: unknown, type: FieldType) =>
  value === undefined ||
  value === null ||
  (type === "strings" ? Array.isArray(value) && value.every((item) => typeof item === "string") : typeof value === type);

/** The fields after the id, in the kind's order, each of its type or null (a record of the state file). */
export function isFieldList(kind: ObjectKind<{ id: string }>, value: unknown): value is unknown[] {
  return Array.isArray(value) && value.length === kind.fields.length - 1 && value.every((v, i) => hasType(v, kind.types[kind.fields[i + 1]!]!));
}

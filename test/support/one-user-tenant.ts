import { directoryTenant, type DirectoryTenant } from "../../emulators/directory-tenant";

/** A directory of one mail user, Ann: enough for a sync that must read something and write one row. */
export function oneUserTenant(): DirectoryTenant {
  return directoryTenant({
    users: [
      {
        id: "u-1",
        displayName: "Ann",
        mail: "ann@contoso.com",
        mailNickname: "ann",
        userPrincipalName: "ann@contoso.com",
        proxyAddresses: ["SMTP:ann@contoso.com"],
        userType: "Member",
        accountEnabled: true,
      },
    ],
  });
}

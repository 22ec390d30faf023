import { permissions } from "../../permissions";

/** Needed for a `RetainApplication` (granting app roles is admin consent). */
export const retainApplicationPermissions = permissions({
  read: {
    graph: ["Application.Read.All (reads the app, its service principal, credentials and permission grants, and Microsoft Graph's service principal)"],
    entraRoles: ["Global Reader (or the Graph permissions above)"],
  },
  write: {
    graph: ["Application.ReadWrite.OwnedBy or Application.ReadWrite.All", "AppRoleAssignment.ReadWrite.All (grants admin consent)"],
    entraRoles: ["Cloud Application Administrator (or the Graph permissions above)"],
  },
});

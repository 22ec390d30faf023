import { permissions } from "../../permissions";

/**
 * Needed for a `MailboxLicense` (Graph calls made by the deploying identity). A plain preview calls
 * nothing (`check` and `diff` call no API); a refresh runs `read`, which reads the user's
 * `assignedLicenses` (User.Read.All).
 */
export const mailboxLicensePermissions = permissions({
  read: { graph: ["User.Read.All"] },
  write: {
    graph: [
      "LicenseAssignment.Read.All or Organization.Read.All (reads subscribedSkus: the licence's SKU id and free units)",
      "LicenseAssignment.ReadWrite.All (assigns the worker's licence)",
    ],
  },
});

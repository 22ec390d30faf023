// Plain values, without the schema: `sync`, `status` and `schedule` start without loading zod,
// which only a stack file needs. The schema's `.default()`s take their values from here.

/** Config namespace of this project (Pulumi.yaml `name`). */
export const NAMESPACE = "retain-m365";

/** Retain's `WEB-INF/cfg` folder in a Linux installation. */
export const DEFAULT_OUTPUT_DIR = "/opt/beginfinite/retain/RetainServer/WEB-INF/cfg";

/** directorySync as a stack that leaves it out has it: what `sync` uses without `--stack`. */
export const DIRECTORY_SYNC_DEFAULTS = {
  outputDir: DEFAULT_OUTPUT_DIR,
  runAfterFirstDeploy: true,
  backups: 7,
  maxShrinkPercent: 20,
} as const;

export const isWindowsFolder = (folder: string): boolean => /^[A-Za-z]:\\/.test(folder);

/** The key naming the group whose members alone Retain's app reaches (exchangeAccess, application-rbac). */
export const SCOPE_GROUP_SETTING = `${NAMESPACE}:exchangeAccess.scopeGroup`;
/** The key recording the admin's decision that Retain's app reaches every mailbox, unscoped. */
export const ALL_MAILBOXES_SETTING = `${NAMESPACE}:exchangeAccess.allMailboxes`;
/** The key that lets the sync admin sign in (created with sign-in blocked otherwise). */
export const ADMIN_SIGN_IN_SETTING = `${NAMESPACE}:adminUser.signIn`;

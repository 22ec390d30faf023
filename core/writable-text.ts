/**
 * Control characters (line breaks, tabs, NUL), Unicode line separators, lone surrogates and Unicode
 * noncharacters (U+FDD0–U+FDEF, U+FFFE and U+FFFF of every plane): no file or command we generate
 * (job/) carries them. systemd ignores a unit's line holding a noncharacter ("String is not UTF-8
 * clean", unichar_is_valid in its src/basic/utf8.c), which would leave the job without ExecStart=.
 */
const UNWRITABLE = /[\p{Cc}\u2028\u2029\p{Cs}\p{Noncharacter_Code_Point}]/u;

/** Whether a value can be written into the files and commands we generate; the configuration refuses a folder that cannot. */
export const isWritable = (value: string): boolean => !UNWRITABLE.test(value);

/** Why a value that is not writable is refused, after the name of what gave it. */
export const UNWRITABLE_REASON = "must not contain control characters such as line breaks, tabs or NUL, nor Unicode noncharacters such as U+FFFE";

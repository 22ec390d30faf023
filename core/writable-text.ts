/** Control characters (line breaks, tabs, NUL), Unicode line separators and lone surrogates: no file or command we generate (job/) carries them. */
const UNWRITABLE = /[\p{Cc}\u2028\u2029\p{Cs}]/u;

/** Whether a value can be written into the files and commands we generate; the configuration refuses a folder that cannot. */
export const isWritable = (value: string): boolean => !UNWRITABLE.test(value);

// Serialized with the DNS dynamic providers: functions and constants only.

/** The most bytes one character-string of a TXT record holds (RFC 1035 §3.3.14). */
export const TXT_STRING_BYTES = 255;

/** Plain text as character-strings of at most TXT_STRING_BYTES bytes each, split where a string is full (never inside a character). */
export function txtCharacterStrings(text: string): string[] {
  const strings: string[] = [];
  let current = "";
  let bytes = 0;
  for (const character of text) {
    const size = Buffer.byteLength(character, "utf8");
    if (bytes + size > TXT_STRING_BYTES) {
      strings.push(current);
      current = "";
      bytes = 0;
    }
    current += character;
    bytes += size;
  }
  return [...strings, current];
}

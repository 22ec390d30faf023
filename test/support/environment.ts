/**
 * Sets (a string) or removes (undefined) environment variables of this process; returns the
 * function that puts back what they were.
 */
export function setEnvironment(values: Readonly<Record<string, string | undefined>>): () => void {
  const previous = Object.fromEntries(Object.keys(values).map((key) => [key, process.env[key]]));
  apply(values);
  return () => apply(previous);
}

function apply(values: Readonly<Record<string, string | undefined>>): void {
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
}

// Called from dynamic providers' `check`, which Pulumi serializes: functions only.

export interface InputFailure {
  property: string;
  reason: string;
}

/** Required inputs that are missing or empty strings, then URL inputs that are not https://. */
export function requiredInputFailures(inputs: object, required: readonly string[], httpsUrls: readonly string[]): InputFailure[] {
  const values = inputs as Record<string, unknown>;
  const failures = required.filter((key) => typeof values[key] !== "string" || values[key] === "").map((property) => ({ property, reason: "is required" }));
  for (const property of httpsUrls) {
    const value = values[property];
    if (typeof value === "string" && !value.startsWith("https://")) failures.push({ property, reason: "must be an https:// URL" });
  }
  return failures;
}

import * as pulumi from "@pulumi/pulumi";
import type { RawConfig } from "../config/validate";

/** Placeholder the offline plan gives the program for secrets it cannot decrypt. */
export const UNREADABLE_SECRET = "[secret]";

type RuntimeWithSecrets = typeof pulumi.runtime & { isConfigSecret?: (key: string) => boolean };

/** The stack configuration as the Pulumi engine hands it to the program. */
export function readRuntimeConfig(): RawConfig {
  const runtime = pulumi.runtime as RuntimeWithSecrets;
  const config: RawConfig = {};
  for (const [key, text] of Object.entries(pulumi.runtime.allConfig())) {
    const secret = runtime.isConfigSecret?.(key) ?? false;
    config[key] = { value: parseStructured(text), secret };
  }
  return config;
}

/** Loads a stack file's configuration into the (mock) Pulumi runtime, secrets marked secret. */
export function loadIntoRuntime(raw: RawConfig): void {
  const values: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const [key, { value, secret }] of Object.entries(raw)) {
    if (secret) secretKeys.push(key);
    if (secret && value === undefined) values[key] = UNREADABLE_SECRET;
    else if (value !== undefined) values[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  pulumi.runtime.setAllConfig(values, secretKeys);
}

/** Pulumi stores structured (object/array) config values as JSON text. */
function parseStructured(text: string): unknown {
  const trimmed = text.trimStart();
  if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

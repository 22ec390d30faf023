import { mkdirSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { ExitCode, UserFacingError } from "../core/errors";
import { makeAppCertificate } from "../m365/app-certificate";
import { createWhole } from "../sync/safe-files";
import type { Io } from "./io";

interface CredentialNewOptions {
  out: string;
  days: number;
}

const days = (value: string) => {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 3650)
    throw new UserFacingError(`--days must be a whole number from 1 to 3650 (got "${value}")`, ExitCode.invalidInput);
  return n;
};

export function registerCredentialCommand(program: Command, io: Io): void {
  const credential = program.command("credential").description("Retain's app credential, made on the Retain server so its private key never leaves it.");
  credential
    .command("new")
    .description(
      "Make an RSA key and a self-signed certificate for Retain's app, write both to <out>/retain-m365-<thumbprint>.pem (mode 0600) " +
        "and print the certificate alone, to be added to the stack's retain-m365:application.credential.certificates. The key is never printed.",
    )
    .requiredOption("--out <dir>", "folder for the key and certificate file (created 0700 if missing); the folder sync's --certificate reads")
    .option("--days <n>", "days the certificate is valid (1 to 3650)", days, 365)
    .action(async (options: CredentialNewOptions) => {
      const made = await makeAppCertificate(options.days);
      const file = path.join(path.resolve(options.out), `retain-m365-${made.thumbprint}.pem`);
      try {
        mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
        // Whole or not at all, never over an existing file, mode 0600 whatever the umask.
        createWhole(file, [made.filePem], 0o600);
      } catch (error) {
        throw new UserFacingError(`--out: cannot write ${file} (${(error as NodeJS.ErrnoException).code ?? "error"})`, ExitCode.invalidInput);
      }
      io.stderr(`wrote ${file} (certificate ${made.thumbprint}, valid until ${made.notAfter.toISOString()}); the certificate follows\n`);
      io.stdout(made.certificatePem);
    });
}

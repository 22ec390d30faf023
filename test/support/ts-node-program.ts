// Run by test/program/ts-node.system.test.ts in a process of its own, under ts-node: the loader
// Pulumi's Node.js host registers for a TypeScript program (Pulumi.yaml `typescript: true`), with
// the project's tsconfig.json. Prints the whole program's run for the stack file given, providers
// included, as JSON.
import { runProgram } from "./run-program";

const [file] = process.argv.slice(2);
if (!file) throw new Error("usage: ts-node-program.ts <stack file>");
runProgram(file).then(
  (run) => process.stdout.write(JSON.stringify(run)),
  (error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);

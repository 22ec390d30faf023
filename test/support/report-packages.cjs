"use strict";
// Preloaded with --require: on exit, prints on stderr the npm packages the process loaded.
process.on("exit", () => {
  const names = new Set();
  for (const file of Object.keys(require.cache)) {
    const match = /node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+)/.exec(file);
    if (match) names.add(match[1].replace(/\\/g, "/"));
  }
  process.stderr.write(`\nLOADED PACKAGES ${JSON.stringify([...names].sort())}\n`);
});

"use strict";
// Loaded with --require (or NODE_OPTIONS) into a command to measure: reports its peak resident set size on stderr.
process.on("exit", () => process.stderr.write(`\nBENCH maxRssKiB=${process.resourceUsage().maxRSS}\n`));

"use strict";
// Runs `retain-m365 …` in this process and reports its peak resident set size on stderr.
require("tsx/cjs/api").register();
require("../cli/main.ts")
  .main(process.argv)
  .then((code) => {
    process.stderr.write(`\nBENCH maxRssKiB=${process.resourceUsage().maxRSS}\n`);
    process.exitCode = code;
  });

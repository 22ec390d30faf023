"use strict";
// Runs `retain-m365 …` through its real entry point in this process and reports its peak resident set size on stderr.
process.on("exit", () => process.stderr.write(`\nBENCH maxRssKiB=${process.resourceUsage().maxRSS}\n`));
require("../bin/retain-m365.js");

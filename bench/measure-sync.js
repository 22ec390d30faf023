"use strict";
// Runs `retain-m365 …` through its real entry point in this process and reports its peak resident set size on stderr.
require("./report-rss.cjs");
require("../bin/retain-m365.js");

#!/usr/bin/env node
"use strict";
// Runs the TypeScript CLI directly, so `npx retain-m365` works right after `npm ci` with no build step.
require("tsx/cjs/api").register();
require("../cli/main.ts")
  .main(process.argv)
  .then((code) => {
    process.exitCode = code;
  });

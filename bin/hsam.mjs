#!/usr/bin/env node
// The `hsam` command; the build (npm install runs it) writes dist/cli/hsam.js.
import('../dist/cli/hsam.js').catch((/** @type {unknown} */ e) => {
  const why = e instanceof Error ? e.message : String(e);
  process.stderr.write(`hsam: the CLI is not built (${why}); run "npm run build" first.\n`);
  process.exitCode = 1;
});

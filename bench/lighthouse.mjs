// Runs Lighthouse (npm `lighthouse`, pinned in web/package.json) against the given URLs
// and prints one JSON line per run with the performance figures the benchmark reports.
//
//   node bench/lighthouse.mjs <spec.json>
//   spec: {webDir, chromePath, chromeFlags: [...], runs: [{url, formFactor, label}, ...]}
//
// Each run launches its own Chromium (chrome-launcher, given chromePath: it never
// downloads a browser) on a fresh temporary profile, as Lighthouse does by default.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import path from "node:path";

const spec = JSON.parse(readFileSync(process.argv[2], "utf8"));
const require = createRequire(path.join(spec.webDir, "package.json"));
const load = async (id) => (await import(pathToFileURL(require.resolve(id)).href));
const lighthouse = (await load("lighthouse")).default;
const chromeLauncher = await load("chrome-launcher");
const desktopConfig = (await load("lighthouse/core/config/desktop-config.js")).default;

const audit = (lhr, id) => (lhr.audits[id] ? lhr.audits[id].numericValue : null);

function longest(a) {
  const items = (a && a.details && a.details.items) || [];
  return items.reduce((m, t) => Math.max(m, t.duration || 0), 0);
}

function figures(lhr) {
  const diag = lhr.audits.diagnostics && lhr.audits.diagnostics.details;
  const d = (diag && diag.items && diag.items[0]) || {};
  return {
    score: lhr.categories.performance.score === null ? null : Math.round(lhr.categories.performance.score * 100),
    tbt_ms: audit(lhr, "total-blocking-time"),
    // The "Avoid long main-thread tasks" audit: simulated durations under Lighthouse's
    // throttling, which its simulator caps at 10 s a task.
    longest_task_ms: longest(lhr.audits["long-tasks"]),
    // What the trace recorded, unthrottled (the hidden main-thread-tasks audit).
    observed_longest_task_ms: longest(lhr.audits["main-thread-tasks"]),
    long_tasks: d.numTasksOver50ms ?? null,
    main_thread_ms: audit(lhr, "mainthread-work-breakdown"),
    bootup_ms: audit(lhr, "bootup-time"),
    total_task_ms: d.totalTaskTime ?? null,
    total_bytes: audit(lhr, "total-byte-weight"),
    fcp_ms: audit(lhr, "first-contentful-paint"),
    lcp_ms: audit(lhr, "largest-contentful-paint"),
    tti_ms: audit(lhr, "interactive"),
    warnings: lhr.runWarnings || [],
    runtime_error: lhr.runtimeError ? lhr.runtimeError.message : null,
  };
}

for (const run of spec.runs) {
  const chrome = await chromeLauncher.launch({
    chromePath: spec.chromePath,
    chromeFlags: spec.chromeFlags,
    logLevel: "silent",
  });
  try {
    const flags = { port: chrome.port, output: "json", logLevel: "error", onlyCategories: ["performance"] };
    const result = await lighthouse(run.url, flags, run.formFactor === "desktop" ? desktopConfig : undefined);
    console.log(JSON.stringify({ ...run, ...figures(result.lhr) }));
  } finally {
    await chrome.kill();
  }
}

// npm test: the whole suite, in order, failing fast.
//   a. tsc --noEmit
//   b. unit tests (vitest project "unit")
//   c. npm run build (skipped with LATCHKEY_SKIP_BUILD=1) — integration runs the production build
//   c2. bench smoke: `npm run bench -- --quick` on the build (completes and prints its table; no target asserted)
//   d. a throwaway PostgreSQL cluster (scripts/pg-cluster.mjs) → LATCHKEY_TEST_PG_URL
//   e. integration tests twice: PGlite over e2e/api, PostgreSQL over e2e/api + e2e/pg
//   f. Playwright, when playwright.config.ts exists
//   g. the cluster is always stopped
// Ends with one line `N passed, M failed` (all runners summed) and a non-zero exit on any failure.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
process.chdir(root);

const reportDir = mkdtempSync(path.join(tmpdir(), "latchkey-test-reports-"));
const totals = { passed: 0, failed: 0, skipped: 0 };
const steps = [];
const started = Date.now();
let cluster = null;
let current = null;

const secs = (ms) => `${(ms / 1000).toFixed(1)}s`;

function run(label, cmd, args, env = {}) {
  return new Promise((resolve) => {
    process.stdout.write(`\n▶ ${label}: ${cmd} ${args.join(" ")}\n`);
    const t = Date.now();
    const child = spawn(cmd, args, { stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, ...env } });
    current = child;
    child.once("error", (err) => {
      current = null;
      process.stdout.write(`✗ ${label}: ${err.message}\n`);
      resolve({ code: 127, ms: Date.now() - t });
    });
    child.once("close", (code, signal) => {
      current = null;
      resolve({ code: code ?? (signal ? 128 : 1), ms: Date.now() - t });
    });
  });
}

/** Counts of a vitest --reporter=json file; a crashed run (no file, or failed suites) counts as failed. */
function vitestCounts(file, exitCode) {
  let r = null;
  try {
    r = JSON.parse(readFileSync(file, "utf8"));
  } catch {
    /* no report: the run itself failed */
  }
  const passed = r?.numPassedTests ?? 0;
  let failed = r?.numFailedTests ?? 0;
  const skipped = (r?.numPendingTests ?? 0) + (r?.numTodoTests ?? 0);
  // A failing hook or a file that does not load fails its suite without failing a test.
  if (exitCode !== 0 && failed === 0) failed = Math.max(1, r?.numFailedTestSuites ?? 0);
  return { passed, failed, skipped, total: r?.numTotalTests ?? 0 };
}

/** Counts of Playwright's JSON reporter: expected + flaky passed, unexpected failed. */
function playwrightCounts(file, exitCode) {
  let r = null;
  try {
    r = JSON.parse(readFileSync(file, "utf8"));
  } catch {
    /* no report */
  }
  const s = r?.stats ?? {};
  const passed = (s.expected ?? 0) + (s.flaky ?? 0);
  let failed = s.unexpected ?? 0;
  if (exitCode !== 0 && failed === 0) failed = 1 + (r?.errors?.length ? r.errors.length - 1 : 0);
  return { passed, failed, skipped: s.skipped ?? 0, total: passed + failed + (s.skipped ?? 0) };
}

function record(label, result, counts) {
  if (counts) {
    totals.passed += counts.passed;
    totals.failed += counts.failed;
    totals.skipped += counts.skipped;
  } else if (result.code !== 0) {
    totals.failed += 1;
  }
  const detail = counts ? ` — ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped` : "";
  steps.push(`${result.code === 0 ? "✓" : "✗"} ${label} (${secs(result.ms)})${detail}`);
  return result.code === 0 && (!counts || counts.failed === 0);
}

async function vitest(label, args, env, minTests) {
  const out = path.join(reportDir, `${label.replace(/[^a-z0-9]+/gi, "-")}.json`);
  const result = await run(label, "npx", ["vitest", "run", ...args, "--reporter=default", "--reporter=json", `--outputFile.json=${out}`], env);
  const counts = vitestCounts(out, result.code);
  // A run that silently selects nothing is a broken suite, not a pass.
  if (minTests && counts.total < minTests) {
    process.stdout.write(`✗ ${label}: expected at least ${minTests} tests, found ${counts.total}\n`);
    counts.failed = Math.max(counts.failed, 1);
  }
  return record(label, result, counts);
}

async function benchSmoke() {
  const out = path.join(root, "bench", "results.quick.json");
  const t = Date.now();
  const result = await run("bench smoke", process.execPath, ["scripts/bench.mjs", "--quick"]);
  let rows = 0;
  try {
    const r = JSON.parse(readFileSync(out, "utf8"));
    if (Date.parse(r.environment.date) >= t - 1000) rows = r.table.length;
  } catch {
    /* no table */
  }
  if (result.code === 0 && rows < 20) {
    process.stdout.write(`✗ bench smoke: expected its table in ${path.relative(root, out)}, found ${rows} rows\n`);
    result.code = 1;
  }
  record(`bench smoke${rows ? `, ${rows} figures` : ""}`, result);
}

async function stopCluster() {
  if (!cluster) return;
  const c = cluster;
  cluster = null;
  try {
    await c.stop();
    steps.push("✓ PostgreSQL cluster stopped");
  } catch (err) {
    steps.push(`✗ stopping the PostgreSQL cluster: ${err.message}`);
  }
}

function finish(code) {
  rmSync(reportDir, { recursive: true, force: true });
  process.stdout.write(`\n──────── summary (${secs(Date.now() - started)}) ────────\n${steps.join("\n")}\n`);
  if (totals.skipped) process.stdout.write(`${totals.skipped} skipped\n`);
  process.stdout.write(`${totals.passed} passed, ${totals.failed} failed\n`);
  process.exit(code !== 0 || totals.failed > 0 ? code || 1 : 0);
}

for (const sig of ["SIGINT", "SIGTERM"]) {
  process.once(sig, async () => {
    current?.kill(sig);
    steps.push(`✗ interrupted by ${sig}`);
    totals.failed += 1;
    await stopCluster();
    finish(130);
  });
}

async function main() {
  // a. types
  if (!record("typecheck", await run("typecheck", "npx", ["tsc", "--noEmit"]))) return finish(1);

  // b. unit tests
  if (!(await vitest("unit", ["--project", "unit", "--passWithNoTests"]))) return finish(1);

  // c. production build
  if (process.env.LATCHKEY_SKIP_BUILD === "1") {
    steps.push("- build skipped (LATCHKEY_SKIP_BUILD=1)");
    if (!existsSync("dist/server.js") || !existsSync(".next/BUILD_ID")) {
      process.stdout.write("✗ LATCHKEY_SKIP_BUILD=1 but there is no build (dist/server.js, .next/BUILD_ID)\n");
      totals.failed += 1;
      return finish(1);
    }
  } else if (!record("build", await run("build", "npm", ["run", "build"]))) {
    return finish(1);
  }

  // c2. bench smoke, so the harness cannot rot: every phase with tiny counts. Targets are not
  // asserted (this is no measurement); it must finish and write its whole table. Free ports only,
  // and every server it starts is stopped before it exits. Not fail-fast: integration still runs.
  await benchSmoke();

  // d. PostgreSQL
  const t = Date.now();
  try {
    cluster = await import("./pg-cluster.mjs");
    const url = await cluster.start();
    process.env.LATCHKEY_TEST_PG_URL = url;
    record("PostgreSQL cluster", { code: 0, ms: Date.now() - t });
    process.stdout.write(`\n▶ PostgreSQL test cluster at ${url}\n`);
  } catch (err) {
    cluster = null;
    process.stdout.write(`✗ could not start PostgreSQL: ${err.message}\n`);
    record("PostgreSQL cluster", { code: 1, ms: Date.now() - t });
    return finish(1);
  }

  try {
    // e. integration, both databases
    if (!(await vitest("integration (pglite)", ["--project", "integration", "e2e/api/"], { LATCHKEY_TEST_DB: "pglite" }, 1))) return;
    if (!(await vitest("integration (postgres)", ["--project", "integration", "e2e/api/", "e2e/pg/"], { LATCHKEY_TEST_DB: "postgres" }, 1))) return;

    // f. browser tests, when there are any
    if (existsSync("playwright.config.ts")) {
      const out = path.join(reportDir, "playwright.json");
      const result = await run("playwright", "npx", ["playwright", "test", "--reporter=list,json"], { PLAYWRIGHT_JSON_OUTPUT_NAME: out });
      if (!record("playwright", result, playwrightCounts(out, result.code))) return;
    } else {
      steps.push("- playwright skipped (no playwright.config.ts)");
    }
  } finally {
    // g. always
    await stopCluster();
  }
}

await main();
finish(totals.failed > 0 ? 1 : 0);

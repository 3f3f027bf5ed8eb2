import { defineConfig } from "@playwright/test";

// Debian's chromium, never a downloaded browser. The app under test is the production build
// on a fresh embedded database.
const port = Number(process.env.LATCHKEY_E2E_PORT ?? 3311);
const dataDir = `.test-data/playwright-${port}`;
export const E2E_ADMIN = { email: "owner@e2e.test", password: "correct-horse-battery-staple" };

export default defineConfig({
  testDir: "e2e",
  testMatch: /.*\.spec\.ts$/,
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  reporter: process.env.CI ? [["list"], ["json", { outputFile: "test-results/playwright.json" }]] : "list",
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    },
  },
  webServer: {
    command: `rm -rf ${dataDir} && node dist/server.js`,
    url: `http://127.0.0.1:${port}/api/health`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: "ignore",
    stderr: "pipe",
    env: {
      PORT: String(port),
      HOST: "127.0.0.1",
      LATCHKEY_DATA_DIR: dataDir,
      LATCHKEY_ADMIN_EMAIL: E2E_ADMIN.email,
      LATCHKEY_ADMIN_PASSWORD: E2E_ADMIN.password,
      LATCHKEY_LOG_LEVEL: "warn",
      LATCHKEY_FIRST_RUN_DEMO: "false",
      // Webhook specs run their receiver on a free port of 127.0.0.1.
      LATCHKEY_OUTBOUND_ALLOWLIST: "127.0.0.1",
      NODE_ENV: "production",
    },
  },
});

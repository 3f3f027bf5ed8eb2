// Global setup of the integration project. The suite runs against the production build, so a
// missing build fails here with a clear message. With LATCHKEY_TEST_DB=postgres and no
// LATCHKEY_TEST_PG_URL (a developer running vitest directly), it starts a throwaway cluster.
import { existsSync } from "node:fs";
import path from "node:path";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    pgAdminUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const root = path.resolve(import.meta.dirname, "..");
  if (!existsSync(path.join(root, "dist", "server.js")) || !existsSync(path.join(root, ".next", "BUILD_ID"))) {
    throw new Error("No production build: run `npm run build` first (the integration suite runs `node dist/server.js`, never `next dev`).");
  }
  let url = process.env.LATCHKEY_TEST_PG_URL ?? "";
  let stop: (() => Promise<void>) | undefined;
  if (!url && process.env.LATCHKEY_TEST_DB === "postgres") {
    const cluster = await import("../scripts/pg-cluster.mjs");
    url = await cluster.start();
    stop = cluster.stop;
  }
  project.provide("pgAdminUrl", url);
  return async () => {
    await stop?.();
  };
}

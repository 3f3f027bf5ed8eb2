import { createGithubSandbox } from "@/lib/sandbox/github";
import { createSlackSandbox } from "@/lib/sandbox/slack";
import type { SandboxBackend, SandboxOptions } from "@/lib/sandbox/types";

/** A sandbox backend per built-in connector, created fresh (own state) on each call. */
export const sandboxFactories: Record<string, (opts?: SandboxOptions) => SandboxBackend> = {
  github: createGithubSandbox,
  slack: createSlackSandbox,
};

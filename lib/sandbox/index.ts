import { createGithubSandbox } from "@/lib/sandbox/github";
import { createGmailSandbox } from "@/lib/sandbox/gmail";
import { createGoogleCalendarSandbox } from "@/lib/sandbox/google-calendar";
import { createJiraSandbox } from "@/lib/sandbox/jira";
import { createLinearSandbox } from "@/lib/sandbox/linear";
import { createNotionSandbox } from "@/lib/sandbox/notion";
import { createSlackSandbox } from "@/lib/sandbox/slack";
import { createStripeSandbox } from "@/lib/sandbox/stripe";
import type { SandboxBackend, SandboxOptions } from "@/lib/sandbox/types";

/** A sandbox backend per built-in connector, created fresh (own state) on each call. */
export const sandboxFactories: Record<string, (opts?: SandboxOptions) => SandboxBackend> = {
  github: createGithubSandbox,
  slack: createSlackSandbox,
  google_calendar: createGoogleCalendarSandbox,
  gmail: createGmailSandbox,
  linear: createLinearSandbox,
  notion: createNotionSandbox,
  jira: createJiraSandbox,
  stripe: createStripeSandbox,
};

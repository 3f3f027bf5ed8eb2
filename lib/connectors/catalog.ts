import { github } from "@/lib/connectors/github";
import { gmail } from "@/lib/connectors/gmail";
import { googleCalendar } from "@/lib/connectors/google-calendar";
import { jira } from "@/lib/connectors/jira";
import { linear } from "@/lib/connectors/linear";
import { notion } from "@/lib/connectors/notion";
import { slack } from "@/lib/connectors/slack";
import { stripe } from "@/lib/connectors/stripe";
import type { ConnectorDef, ToolDef } from "@/lib/connectors/types";

/** Every built-in connector. Adding one: a folder in lib/connectors/<slug>/, a sandbox in lib/sandbox/, and a line here. */
export const connectors: ConnectorDef[] = [github, slack, googleCalendar, gmail, linear, notion, jira, stripe];

const bySlug = new Map(connectors.map((c) => [c.slug, c]));
const toolIndex = new Map<string, { connector: ConnectorDef; tool: ToolDef }>();
for (const c of connectors) for (const t of c.tools) toolIndex.set(t.name, { connector: c, tool: t });

export const getConnector = (slug: string) => bySlug.get(slug) ?? null;
export const findTool = (name: string) => toolIndex.get(name) ?? null;

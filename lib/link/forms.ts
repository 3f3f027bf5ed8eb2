import * as z from "zod";
import type { ConnectorDef, FormAuth } from "@/lib/connectors/types";
import type { LinkFormField } from "@/lib/schemas/link";

const WORDS: Record<string, string> = { api: "API", url: "URL", id: "ID", sso: "SSO" };

function labelOf(name: string): string {
  const words = name.split(/[_\s]+/).filter(Boolean).map((w) => WORDS[w.toLowerCase()] ?? w.toLowerCase());
  const first = words[0] ?? name;
  return [first === first.toUpperCase() ? first : first[0]!.toUpperCase() + first.slice(1), ...words.slice(1)].join(" ");
}

const cache = new Map<string, LinkFormField[]>();

/** The form an end user fills in, read from the connector's own zod schema (the one the server validates with). */
export function formFields(def: ConnectorDef): LinkFormField[] {
  if (def.auth.kind === "oauth2") return [];
  const hit = cache.get(def.slug);
  if (hit) return hit;
  const auth: FormAuth = def.auth;
  const js = z.toJSONSchema(auth.form, { target: "draft-2020-12", io: "input", unrepresentable: "any" }) as {
    properties?: Record<string, { format?: string; description?: string }>;
    required?: string[];
  };
  const required = new Set(js.required ?? []);
  const secret = new Set(auth.secretFields);
  const fields = Object.entries(js.properties ?? {}).map(([name, p]): LinkFormField => ({
    name,
    label: labelOf(name),
    type: secret.has(name) ? "password" : p.format === "email" ? "email" : p.format === "uri" ? "url" : "text",
    required: required.has(name),
    hint: p.description ?? null,
  }));
  cache.set(def.slug, fields);
  return fields;
}

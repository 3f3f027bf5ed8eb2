"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import { createMcpServerAction, deleteMcpServerAction, discoverMcpServerAction, testMcpServerAction } from "./actions";
import { EmptyState, FieldError, FormError } from "@/components/ui/form-error";
import type { FieldIssue } from "@/lib/errors";
import type { McpServerOut } from "@/lib/schemas/mcp-servers";

type Discovery = NonNullable<McpServerOut["discovery_result"]>;
type Mode = McpServerOut["auth"]["mode"];

const MODES: { value: Mode; label: string }[] = [
  { value: "none", label: "None" },
  { value: "token", label: "Static token" },
  { value: "oauth_client_credentials", label: "OAuth client credentials" },
  { value: "oauth_authorization_code", label: "OAuth authorization code (per user)" },
];
const modeLabel = (m: Mode) => MODES.find((x) => x.value === m)?.label ?? m;

type Form = {
  name: string;
  slug: string;
  mode: Mode;
  token: string;
  header_name: string;
  client_id: string;
  client_secret: string;
  auth_url: string;
  token_url: string;
  register_url: string;
  resource: string;
  scopes: string;
};

function formFrom(url: string, d: Discovery): Form {
  const named = d.mcp_json && typeof d.mcp_json.name === "string" ? d.mcp_json.name : "";
  let host = "";
  try {
    host = new URL(url).hostname;
  } catch {
    // the server already checked it
  }
  return {
    name: (named || host).slice(0, 100),
    slug: "",
    mode: d.recommended_auth_mode,
    token: "",
    header_name: "",
    client_id: "",
    client_secret: "",
    auth_url: d.auth_url ?? "",
    token_url: d.token_url ?? "",
    register_url: d.register_url ?? "",
    resource: d.resource ?? "",
    scopes: d.scopes.join(" "),
  };
}

/** Only what the operator filled in: discovery fills the rest on the server. */
function authInput(f: Form) {
  const auth: Record<string, unknown> = { mode: f.mode };
  const put = (k: keyof Form, v = f[k].trim()) => {
    if (v) auth[k] = v;
  };
  if (f.mode === "token") {
    put("token", f.token);
    put("header_name");
  }
  if (f.mode === "oauth_client_credentials" || f.mode === "oauth_authorization_code") {
    for (const k of ["client_id", "token_url", "register_url", "resource"] as const) put(k);
    put("client_secret", f.client_secret);
    if (f.mode === "oauth_authorization_code") put("auth_url");
    const scopes = f.scopes.split(/[\s,]+/).filter(Boolean);
    if (scopes.length) auth.scopes = scopes;
  }
  return auth;
}

type TestState = { pending: boolean; result?: { ok: true; tools: string[] } | { ok: false; message: string } };

export function McpServersClient({ servers, canWrite, nextCursor }: { servers: McpServerOut[]; canWrite: boolean; nextCursor: string | null }) {
  const router = useRouter();
  const [pending, start] = useTransition();
  const [url, setUrl] = useState("");
  const [urlError, setUrlError] = useState<string | undefined>();
  const [error, setError] = useState<string | null>(null);
  const [discovery, setDiscovery] = useState<{ url: string; result: Discovery } | null>(null);
  const [form, setForm] = useState<Form | null>(null);
  const [issues, setIssues] = useState<FieldIssue[]>([]);
  const [created, setCreated] = useState<McpServerOut | null>(null);
  const [tests, setTests] = useState<Record<string, TestState>>({});

  const issue = (path: string) => issues.find((i) => i.path === path || i.path === `auth.${path}`)?.message;
  const set = (k: keyof Form) => (e: React.ChangeEvent<HTMLInputElement | HTMLSelectElement>) => setForm((f) => (f ? { ...f, [k]: e.target.value } : f));

  const runDiscovery = () =>
    start(async () => {
      setError(null);
      setUrlError(undefined);
      setIssues([]);
      setCreated(null);
      const r = await discoverMcpServerAction({ url });
      if (!r.ok) {
        setDiscovery(null);
        setForm(null);
        setError(r.error.message);
        setUrlError(r.error.issues?.find((i) => i.path === "url")?.message);
        return;
      }
      setDiscovery({ url, result: r.data });
      setForm(formFrom(url, r.data));
    });

  const create = () =>
    start(async () => {
      if (!discovery || !form) return;
      setError(null);
      setIssues([]);
      const r = await createMcpServerAction({ name: form.name, ...(form.slug.trim() ? { slug: form.slug.trim() } : {}), url: discovery.url, auth: authInput(form) as never });
      if (!r.ok) {
        setError(r.error.message);
        setIssues(r.error.issues ?? []);
        return;
      }
      setCreated(r.data);
      setDiscovery(null);
      setForm(null);
      setUrl("");
      router.refresh();
    });

  const test = (id: string) => {
    setTests((t) => ({ ...t, [id]: { pending: true } }));
    void testMcpServerAction({ id }).then((r) =>
      setTests((t) => ({ ...t, [id]: { pending: false, result: r.ok ? r.data : { ok: false, message: r.error.message } } })),
    );
  };

  const remove = (s: McpServerOut) => {
    if (!window.confirm(`Delete “${s.name}”? Tool packs that name ${s.slug} stop serving its tools.`)) return;
    start(async () => {
      const r = await deleteMcpServerAction({ id: s.id });
      if (!r.ok) setError(r.error.message);
      if (created?.id === s.id) setCreated(null);
      router.refresh();
    });
  };

  const d = discovery?.result;
  const missing = (v: string | null | undefined) => (v ? <code className="break-all">{v}</code> : <span className="text-amber-700">not found</span>);
  const oauth = form?.mode === "oauth_client_credentials" || form?.mode === "oauth_authorization_code";
  const input = (k: keyof Form, label: string, opts: { type?: string; placeholder?: string; hint?: string } = {}) => (
    <div>
      <label htmlFor={`mcp-${k}`} className="label">
        {label}
      </label>
      <input
        id={`mcp-${k}`}
        className="input"
        type={opts.type ?? "text"}
        placeholder={opts.placeholder}
        value={form?.[k] ?? ""}
        autoComplete="off"
        aria-invalid={Boolean(issue(k))}
        aria-describedby={issue(k) ? `mcp-${k}-error` : undefined}
        onChange={set(k)}
      />
      {opts.hint ? <p className="mt-1 text-xs text-zinc-500">{opts.hint}</p> : null}
      <FieldError id={`mcp-${k}-error`} message={issue(k)} />
    </div>
  );

  return (
    <div className="space-y-6">
      {canWrite ? (
        <form
          className="card space-y-3 p-4"
          data-testid="mcp-discover-form"
          onSubmit={(e) => {
            e.preventDefault();
            runDiscovery();
          }}
        >
          <div className="flex flex-wrap items-end gap-3">
            <div className="min-w-80 flex-1">
              <label htmlFor="mcp-url" className="label">
                Server URL
              </label>
              <input
                id="mcp-url"
                className="input"
                placeholder="https://mcp.example.com/mcp"
                value={url}
                maxLength={2000}
                aria-invalid={Boolean(urlError)}
                aria-describedby={urlError ? "mcp-url-error" : undefined}
                onChange={(e) => setUrl(e.target.value)}
              />
              <FieldError id="mcp-url-error" message={urlError} />
            </div>
            <button type="submit" className="btn btn-primary" disabled={pending || !url.trim()}>
              {pending && !form ? "Discovering…" : "Discover"}
            </button>
          </div>
        </form>
      ) : (
        <p className="text-sm text-zinc-600">Your role can view MCP servers but not add or change them.</p>
      )}
      <FormError message={error} />

      {d && form ? (
        <section className="card space-y-4 p-4" data-testid="mcp-discovery">
          <h2 className="text-lg font-semibold">What discovery found</h2>
          <dl className="grid grid-cols-[12rem_1fr] gap-x-4 gap-y-1 text-sm">
            <dt className="text-zinc-500">Requires auth</dt>
            <dd data-testid="discovery-requires-auth">{d.requires_auth ? "yes" : "no"}</dd>
            <dt className="text-zinc-500">Recommended auth</dt>
            <dd data-testid="discovery-recommended">{modeLabel(d.recommended_auth_mode)}</dd>
            {d.requires_auth ? (
              <>
                <dt className="text-zinc-500">Authorization endpoint</dt>
                <dd>{missing(d.auth_url)}</dd>
                <dt className="text-zinc-500">Token endpoint</dt>
                <dd>{missing(d.token_url)}</dd>
                <dt className="text-zinc-500">Registration endpoint</dt>
                <dd>{missing(d.register_url)}</dd>
                <dt className="text-zinc-500">Resource</dt>
                <dd>{missing(d.resource)}</dd>
                <dt className="text-zinc-500">Scopes</dt>
                <dd>{d.scopes.length ? d.scopes.join(" ") : <span className="text-zinc-500">none published</span>}</dd>
              </>
            ) : null}
          </dl>
          {d.errors.length ? (
            <ul className="list-disc space-y-1 pl-5 text-sm text-amber-800" data-testid="discovery-errors">
              {d.errors.map((e) => (
                <li key={e}>{e}</li>
              ))}
            </ul>
          ) : null}
          <details className="text-xs text-zinc-600">
            <summary>Every URL discovery fetched</summary>
            <ul className="mt-1 space-y-0.5">
              {d.tried.map((t, i) => (
                <li key={i}>
                  <code className="break-all">{t.url}</code> — {t.outcome}
                </li>
              ))}
            </ul>
          </details>

          <form
            className="space-y-3 border-t border-zinc-100 pt-4"
            onSubmit={(e) => {
              e.preventDefault();
              create();
            }}
          >
            <h3 className="font-medium">Fill in what it could not, then create</h3>
            <div className="grid gap-3 sm:grid-cols-2">
              {input("name", "Name")}
              {input("slug", "Slug (optional)", { placeholder: "derived from the name", hint: "Tools appear as <slug>__<tool>." })}
              <div>
                <label htmlFor="mcp-mode" className="label">
                  Authentication
                </label>
                <select id="mcp-mode" className="input" value={form.mode} onChange={set("mode")}>
                  {MODES.map((m) => (
                    <option key={m.value} value={m.value}>
                      {m.label}
                    </option>
                  ))}
                </select>
                <FieldError id="mcp-mode-error" message={issue("mode")} />
              </div>
            </div>
            {form.mode === "token" ? (
              <div className="grid gap-3 sm:grid-cols-2">
                {input("token", "Token", { type: "password", hint: "Stored encrypted; never shown again." })}
                {input("header_name", "Header (optional)", { placeholder: "Authorization", hint: "Authorization sends “Bearer <token>”." })}
              </div>
            ) : null}
            {oauth ? (
              <div className="grid gap-3 sm:grid-cols-2">
                {input("client_id", "Client ID (optional)", { hint: "Leave empty and Latchkey registers a client at the registration endpoint." })}
                {input("client_secret", "Client secret (optional)", { type: "password" })}
                {form.mode === "oauth_authorization_code" ? input("auth_url", "Authorization endpoint") : null}
                {input("token_url", "Token endpoint")}
                {input("register_url", "Registration endpoint")}
                {input("resource", "Resource (RFC 8707)")}
                {input("scopes", "Scopes", { placeholder: "space-separated" })}
              </div>
            ) : null}
            <button type="submit" className="btn btn-primary" disabled={pending}>
              {pending ? "Creating…" : "Create server"}
            </button>
          </form>
        </section>
      ) : null}

      {created ? (
        <div role="status" className="card border-emerald-300 bg-emerald-50 p-4" data-testid="mcp-created">
          <p className="font-medium text-emerald-900">
            “{created.name}” was added as <code>{created.slug}</code> ({modeLabel(created.auth.mode)}
            {created.auth.client_registered ? ", client registered by Latchkey" : ""}).
          </p>
          <div className="mt-2 flex flex-wrap items-center gap-3">
            <button type="button" className="btn btn-secondary" disabled={tests[created.id]?.pending} onClick={() => test(created.id)}>
              {tests[created.id]?.pending ? "Testing…" : "Test connection"}
            </button>
            <TestResult state={tests[created.id]} />
          </div>
        </div>
      ) : null}

      {servers.length === 0 ? (
        <EmptyState title="No MCP servers yet">Paste a URL above, or use POST /api/v1/mcp-servers.</EmptyState>
      ) : (
        <div className="card overflow-hidden">
          <table className="w-full text-left text-sm">
            <thead className="bg-zinc-50 text-xs uppercase text-zinc-500">
              <tr>
                <th className="px-4 py-2">Name</th>
                <th className="px-4 py-2">URL</th>
                <th className="px-4 py-2">Auth</th>
                <th className="px-4 py-2">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-zinc-100">
              {servers.map((s) => (
                <tr key={s.id} data-testid="mcp-server-row" data-server-id={s.id}>
                  <td className="px-4 py-2">
                    <div className="font-medium">{s.name}</div>
                    <div className="font-mono text-xs text-zinc-500">{s.slug}</div>
                  </td>
                  <td className="max-w-72 break-all px-4 py-2 font-mono text-xs">{s.url}</td>
                  <td className="px-4 py-2">{modeLabel(s.auth.mode)}</td>
                  <td className="space-y-1 px-4 py-2 text-right">
                    <div className="flex justify-end gap-2">
                      {canWrite ? (
                        <button type="button" className="btn btn-secondary py-1" disabled={tests[s.id]?.pending} onClick={() => test(s.id)}>
                          {tests[s.id]?.pending ? "Testing…" : "Test connection"}
                        </button>
                      ) : null}
                      {canWrite ? (
                        <button type="button" className="btn btn-danger py-1" disabled={pending} onClick={() => remove(s)}>
                          Delete
                        </button>
                      ) : null}
                    </div>
                    <TestResult state={tests[s.id]} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {nextCursor ? (
        <Link className="btn btn-secondary" href={`/mcp-servers?cursor=${nextCursor}`}>
          Next page
        </Link>
      ) : null}
    </div>
  );
}

function TestResult({ state }: { state: TestState | undefined }) {
  if (!state?.result) return null;
  if (state.result.ok) {
    const n = state.result.tools.length;
    return (
      <p role="status" data-testid="mcp-test-result" className="text-sm text-emerald-800" title={state.result.tools.join(", ")}>
        Connected: {n} tool{n === 1 ? "" : "s"}
        {n ? ` (${state.result.tools.slice(0, 5).join(", ")}${n > 5 ? ", …" : ""})` : ""}
      </p>
    );
  }
  return (
    <p role="alert" data-testid="mcp-test-result" className="text-sm text-red-700">
      {state.result.message}
    </p>
  );
}

"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import { createAgentAction, deleteAgentAction } from "./actions";
import { EmptyState, FieldError, FormError } from "@/components/ui/form-error";
import type { AgentOut } from "@/lib/schemas/agents";

type Option = { id: string; name: string };
type Row = AgentOut & { active_sessions: number };

const when = (iso: string) => new Date(iso).toLocaleString();

function Choices({ legend, options, chosen, onToggle, empty, testId }: { legend: string; options: (Option & { hint?: string })[]; chosen: Set<string>; onToggle: (id: string) => void; empty: React.ReactNode; testId: string }) {
  return (
    <fieldset className="min-w-56 flex-1" data-testid={testId}>
      <legend className="label">{legend}</legend>
      {options.length === 0 ? (
        <p className="text-sm text-zinc-500">{empty}</p>
      ) : (
        <ul className="max-h-48 space-y-1 overflow-y-auto">
          {options.map((o) => (
            <li key={o.id}>
              <label className="flex items-center gap-2 text-sm">
                <input type="checkbox" checked={chosen.has(o.id)} onChange={() => onToggle(o.id)} />
                <span>{o.name}</span>
                {o.hint ? <code className="text-xs text-zinc-500">{o.hint}</code> : null}
              </label>
            </li>
          ))}
        </ul>
      )}
    </fieldset>
  );
}

export function AgentsClient({ agents, servers, packs, canWrite, nextCursor }: { agents: Row[]; servers: (Option & { slug: string })[]; packs: Option[]; canWrite: boolean; nextCursor: string | null }) {
  const router = useRouter();
  const [name, setName] = useState("");
  const [chosenServers, setChosenServers] = useState<Set<string>>(new Set());
  const [chosenPacks, setChosenPacks] = useState<Set<string>>(new Set());
  const [error, setError] = useState<string | null>(null);
  const [nameError, setNameError] = useState<string | undefined>();
  const [notice, setNotice] = useState<string | null>(null);
  const [pending, start] = useTransition();
  const serverName = new Map(servers.map((s) => [s.id, s.name]));
  const packName = new Map(packs.map((p) => [p.id, p.name]));
  const toggle = (set: Set<string>, update: (s: Set<string>) => void) => (id: string) => {
    const next = new Set(set);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    update(next);
  };

  const create = () =>
    start(async () => {
      setError(null);
      setNameError(undefined);
      setNotice(null);
      const r = await createAgentAction({ name, servers: [...chosenServers], tool_packs: [...chosenPacks] });
      if (!r.ok) {
        setError(r.error.message);
        setNameError(r.error.issues?.find((i) => i.path === "name")?.message);
        return;
      }
      setNotice(`Agent “${r.data.name}” created (${r.data.id}). Open sessions for it with POST /api/v1/agents/${r.data.id}/sessions.`);
      setName("");
      setChosenServers(new Set());
      setChosenPacks(new Set());
      router.refresh();
    });

  const remove = (a: Row) => {
    const open = a.active_sessions ? ` Its ${a.active_sessions} open session${a.active_sessions === 1 ? " stops" : "s stop"} working at once.` : "";
    if (!window.confirm(`Delete the agent “${a.name}”?${open}`)) return;
    start(async () => {
      setError(null);
      const r = await deleteAgentAction({ id: a.id });
      if (!r.ok) setError(r.error.message);
      else setNotice(`Agent “${a.name}” deleted.`);
      router.refresh();
    });
  };

  return (
    <div className="space-y-6">
      {canWrite ? (
        <form
          className="card space-y-4 p-4"
          aria-label="New agent"
          onSubmit={(e) => {
            e.preventDefault();
            create();
          }}
        >
          <div>
            <label htmlFor="agent-name" className="label">
              New agent name
            </label>
            <input
              id="agent-name"
              className="input"
              placeholder="e.g. support-assistant"
              value={name}
              maxLength={100}
              aria-invalid={Boolean(nameError)}
              aria-describedby={nameError ? "agent-name-error" : undefined}
              onChange={(e) => setName(e.target.value)}
            />
            <FieldError id="agent-name-error" message={nameError} />
          </div>
          <div className="flex flex-wrap gap-6">
            <Choices
              legend="MCP servers its sessions may connect"
              testId="agent-servers"
              options={servers.map((s) => ({ id: s.id, name: s.name, hint: s.slug }))}
              chosen={chosenServers}
              onToggle={toggle(chosenServers, setChosenServers)}
              empty={
                <>
                  No MCP servers yet: <Link className="text-indigo-700 underline" href="/mcp-servers">register one</Link>.
                </>
              }
            />
            <Choices
              legend="Tool packs every session serves"
              testId="agent-packs"
              options={packs}
              chosen={chosenPacks}
              onToggle={toggle(chosenPacks, setChosenPacks)}
              empty={
                <>
                  No tool packs yet: <Link className="text-indigo-700 underline" href="/tool-packs">create one</Link>.
                </>
              }
            />
          </div>
          <button type="submit" className="btn btn-primary" disabled={pending}>
            {pending ? "Saving…" : "Create agent"}
          </button>
        </form>
      ) : (
        <p className="text-sm text-zinc-600">Your role can view agents but not create or delete them.</p>
      )}
      <FormError message={error} />
      {notice ? (
        <p role="status" className="card border-emerald-300 bg-emerald-50 p-3 text-sm text-emerald-900">
          {notice}
        </p>
      ) : null}

      {agents.length === 0 ? (
        <EmptyState title="No agents yet">Create one above, or with POST /api/v1/agents.</EmptyState>
      ) : (
        <div className="card overflow-x-auto">
          <table className="w-full text-left text-sm">
            <thead className="bg-zinc-50 text-xs uppercase text-zinc-500">
              <tr>
                <th className="px-4 py-2">Agent</th>
                <th className="px-4 py-2">MCP servers</th>
                <th className="px-4 py-2">Tool packs</th>
                <th className="px-4 py-2">Open sessions</th>
                <th className="px-4 py-2">Created</th>
                <th className="px-4 py-2">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-zinc-100">
              {agents.map((a) => (
                <tr key={a.id} data-testid="agent-row" data-agent-id={a.id}>
                  <td className="px-4 py-2">
                    <p className="font-medium">{a.name}</p>
                    <p className="font-mono text-xs text-zinc-500">{a.id}</p>
                  </td>
                  <td className="px-4 py-2">{a.servers.length ? a.servers.map((id) => serverName.get(id) ?? id).join(", ") : "—"}</td>
                  <td className="px-4 py-2">{a.tool_packs.length ? a.tool_packs.map((id) => packName.get(id) ?? id).join(", ") : "—"}</td>
                  <td className="px-4 py-2" data-testid="agent-sessions">
                    {a.active_sessions}
                  </td>
                  <td className="px-4 py-2">{when(a.created_at)}</td>
                  <td className="px-4 py-2 text-right">
                    {canWrite ? (
                      <button type="button" className="btn btn-danger py-1" disabled={pending} onClick={() => remove(a)} aria-label={`Delete ${a.name}`}>
                        Delete
                      </button>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {nextCursor ? (
        <Link className="btn btn-secondary" href={`/agents?cursor=${nextCursor}`}>
          Next page
        </Link>
      ) : null}
    </div>
  );
}

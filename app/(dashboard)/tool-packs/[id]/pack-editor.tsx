"use client";

import { useRouter } from "next/navigation";
import { useMemo, useState, useTransition } from "react";
import { deleteToolPackAction, updateToolPackAction } from "../actions";
import { FormError } from "@/components/ui/form-error";

type CatalogTool = { name: string; description: string; scopes: string[]; write: boolean; destructive: boolean };
type Catalog = { slug: string; name: string; tools: CatalogTool[] }[];
type Entry = { connector: string; tools: string[] | "*" };
/** MCP server entries are not edited here (yet); a save keeps them as they are. */
type ServerEntry = { server: string; tools: string[] | "*" };

export function PackEditor({ pack, catalog, canEdit }: { pack: { id: string; entries: (Entry | ServerEntry)[] }; catalog: Catalog; canEdit: boolean }) {
  const router = useRouter();
  const initial = useMemo(() => {
    const sel = new Set<string>();
    for (const e of pack.entries) {
      if ("server" in e) continue;
      const c = catalog.find((x) => x.slug === e.connector);
      for (const t of e.tools === "*" ? (c?.tools.map((x) => x.name) ?? []) : e.tools) sel.add(t);
    }
    return sel;
  }, [pack.entries, catalog]);
  const [selected, setSelected] = useState<Set<string>>(initial);
  const [query, setQuery] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const [pending, start] = useTransition();

  const toggle = (names: string[], on: boolean) =>
    setSelected((prev) => {
      const next = new Set(prev);
      for (const n of names) {
        if (on) next.add(n);
        else next.delete(n);
      }
      setSaved(false);
      return next;
    });
  const q = query.trim().toLowerCase();
  const scopes = catalog
    .map((c) => ({ name: c.name, scopes: [...new Set(c.tools.filter((t) => selected.has(t.name)).flatMap((t) => t.scopes))] }))
    .filter((c) => c.scopes.length);

  const save = () =>
    start(async () => {
      setError(null);
      const entries: Entry[] = catalog
        .map((c) => {
          const chosen = c.tools.filter((t) => selected.has(t.name)).map((t) => t.name);
          return chosen.length === 0 ? null : { connector: c.slug, tools: chosen.length === c.tools.length ? ("*" as const) : chosen };
        })
        .filter((e): e is Entry => e !== null);
      const servers = pack.entries.filter((e): e is ServerEntry => "server" in e);
      const r = await updateToolPackAction({ id: pack.id, entries: [...entries, ...servers] });
      if (!r.ok) return setError(r.error.message);
      setSaved(true);
      router.refresh();
    });

  return (
    <div className="grid gap-6 lg:grid-cols-3">
      <div className="space-y-3 lg:col-span-2">
        <input className="input" placeholder="Search tools…" aria-label="Search tools" value={query} onChange={(e) => setQuery(e.target.value)} />
        {catalog.map((c) => {
          const tools = c.tools.filter((t) => !q || t.name.includes(q) || t.description.toLowerCase().includes(q));
          if (!tools.length) return null;
          const all = tools.every((t) => selected.has(t.name));
          return (
            <fieldset key={c.slug} className="card p-3" disabled={!canEdit || pending}>
              <legend className="sr-only">{c.name}</legend>
              <label className="flex items-center gap-2 font-semibold">
                <input type="checkbox" checked={all} onChange={(e) => toggle(tools.map((t) => t.name), e.target.checked)} aria-label={`All ${c.name} tools`} />
                {c.name}
              </label>
              <ul className="mt-2 space-y-1 pl-6">
                {tools.map((t) => (
                  <li key={t.name}>
                    <label className="flex items-start gap-2 text-sm">
                      <input type="checkbox" className="mt-1" aria-label={t.name} aria-describedby={`desc-${t.name}`} checked={selected.has(t.name)} onChange={(e) => toggle([t.name], e.target.checked)} />
                      <span>
                        <span className="font-mono text-xs">{t.name}</span>
                        {t.write ? <span className={`ml-1 rounded px-1 text-xs ${t.destructive ? "bg-red-100 text-red-800" : "bg-amber-100 text-amber-800"}`}>{t.destructive ? "destructive" : "write"}</span> : null}
                        <span id={`desc-${t.name}`} className="block text-zinc-600">{t.description}</span>
                      </span>
                    </label>
                  </li>
                ))}
              </ul>
            </fieldset>
          );
        })}
      </div>
      <aside className="space-y-3">
        <div className="card p-4 text-sm" data-testid="pack-summary">
          <p className="font-semibold">{selected.size} tools selected</p>
          <p className="mt-2 font-medium">Scopes users will grant</p>
          {scopes.length === 0 ? (
            <p className="text-zinc-500">None yet.</p>
          ) : (
            <ul className="mt-1 space-y-1">
              {scopes.map((s) => (
                <li key={s.name}>
                  {s.name}: <span className="font-mono text-xs">{s.scopes.join(" ")}</span>
                </li>
              ))}
            </ul>
          )}
        </div>
        {canEdit ? (
          <div className="flex gap-2">
            <button type="button" className="btn btn-primary" onClick={save} disabled={pending}>
              {pending ? "Saving…" : "Save tools"}
            </button>
            <button
              type="button"
              className="btn btn-danger"
              disabled={pending}
              onClick={() =>
                window.confirm("Delete this tool pack? Its MCP URLs stop working.") &&
                start(async () => {
                  const r = await deleteToolPackAction({ id: pack.id });
                  if (!r.ok) return setError(r.error.message);
                  router.push("/tool-packs");
                })
              }
            >
              Delete
            </button>
          </div>
        ) : null}
        {saved ? <p role="status" className="text-sm text-emerald-700">Saved: agents see the change on their next request.</p> : null}
        <FormError message={error} />
      </aside>
    </div>
  );
}

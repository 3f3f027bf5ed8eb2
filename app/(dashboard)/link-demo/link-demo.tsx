"use client";

import { useEffect, useRef, useState, useTransition } from "react";
import { mintDemoLinkTokenAction } from "./actions";
import { LatchkeyLink } from "@/components/link/latchkey-link";
import type { LinkEvent } from "@/components/link/events";
import type { LatchkeyLinkMode } from "@/components/link/use-latchkey-link";
import { FormError } from "@/components/ui/form-error";

type Logged = { at: string; event: LinkEvent };

export function LinkDemo({ users, canMint }: { users: { id: string; originUserId: string }[]; canMint: boolean }) {
  const [userId, setUserId] = useState(users[0]?.id ?? "");
  const [originUserId, setOriginUserId] = useState("");
  const [token, setToken] = useState<{ value: string; user: string; expiresAt: string; spent: boolean } | null>(null);
  const [open, setOpen] = useState(false);
  const [mode, setMode] = useState<LatchkeyLinkMode>("modal");
  const [log, setLog] = useState<Logged[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [pending, start] = useTransition();
  // After Link closes the token is spent, so focus goes back to minting the next one.
  const mintButton = useRef<HTMLButtonElement>(null);

  const spent = token?.spent ?? false;
  useEffect(() => {
    // After the dialog has given focus back (to its now disabled trigger), move it on to minting.
    if (spent) mintButton.current?.focus();
  }, [spent]);

  const record = (event: LinkEvent) => setLog((l) => [...l, { at: new Date().toISOString().slice(11, 19), event }]);
  const mint = () =>
    start(async () => {
      setError(null);
      const r = await mintDemoLinkTokenAction(originUserId.trim() ? { origin_user_id: originUserId.trim() } : { registered_user_id: userId });
      if (!r.ok) return setError(r.error.message);
      setToken({ value: r.data.link_token, user: r.data.origin_user_id, expiresAt: r.data.expires_at, spent: false });
    });

  return (
    <div className="space-y-4">
      <section className="card space-y-3 p-4">
        <h2 className="font-semibold">1. A link token</h2>
        <div className="grid gap-3 sm:grid-cols-2">
          <div>
            <label className="label" htmlFor="demo-user">
              Registered user
            </label>
            <select id="demo-user" className="input" value={userId} onChange={(e) => setUserId(e.target.value)} disabled={!users.length}>
              {users.length ? null : <option value="">No registered users yet</option>}
              {users.map((u) => (
                <option key={u.id} value={u.id}>
                  {u.originUserId} ({u.id})
                </option>
              ))}
            </select>
          </div>
          <div>
            <label className="label" htmlFor="demo-origin-user">
              Or an origin_user_id (found or created)
            </label>
            <input id="demo-origin-user" className="input" value={originUserId} maxLength={255} onChange={(e) => setOriginUserId(e.target.value)} placeholder="user-123" />
          </div>
        </div>
        <FormError message={error} />
        {canMint ? (
          <button ref={mintButton} type="button" className="btn btn-primary" disabled={pending || open || (!userId && !originUserId.trim())} onClick={mint}>
            {pending ? "Minting…" : "Mint a link token"}
          </button>
        ) : (
          <p className="text-sm text-zinc-600">Minting link tokens needs the developer role.</p>
        )}
        {token ? (
          <p role="status" className="text-sm text-zinc-700" data-testid="link-demo-token">
            Token for <strong>{token.user}</strong>, single use, {token.spent ? "now spent: mint another to open Link again" : `until ${new Date(token.expiresAt).toLocaleTimeString()}`}.
          </p>
        ) : null}
      </section>

      <section className="card space-y-3 p-4">
        <h2 className="font-semibold">2. Open Link</h2>
        <fieldset className="flex gap-4 text-sm">
          <legend className="sr-only">Mode</legend>
          {(["modal", "popup"] as const).map((m) => (
            <label key={m} className="flex items-center gap-1.5">
              <input type="radio" name="demo-mode" value={m} checked={mode === m} disabled={open} onChange={() => setMode(m)} />
              {m === "modal" ? "Modal (iframe)" : "Popup window"}
            </label>
          ))}
        </fieldset>
        {token ? (
          // The component itself, as an app would use it; a new key per token so nothing carries over.
          <LatchkeyLink
            key={`${token.value}-${mode}`}
            linkToken={token.value}
            mode={mode}
            disabled={token.spent}
            onEvent={(e) => {
              if (e.type === "ready") setOpen(true);
              record(e);
            }}
            onExit={() => {
              setOpen(false);
              // A link token is single use: the next open needs a new one, so focus goes to minting.
              setToken((t) => (t ? { ...t, spent: true } : t));
            }}
          >
            Open Link
          </LatchkeyLink>
        ) : (
          <button type="button" className="btn btn-primary" disabled>
            Open Link
          </button>
        )}
      </section>

      <section className="card p-4">
        <h2 className="font-semibold">Events</h2>
        {log.length ? (
          <ol className="mt-2 space-y-1 font-mono text-xs" data-testid="link-demo-log">
            {log.map((l, i) => (
              <li key={i} data-event={l.event.type}>
                <span className="text-zinc-500">{l.at}</span> {JSON.stringify(l.event)}
              </li>
            ))}
          </ol>
        ) : (
          <p className="mt-2 text-sm text-zinc-600">No events yet.</p>
        )}
      </section>

    </div>
  );
}

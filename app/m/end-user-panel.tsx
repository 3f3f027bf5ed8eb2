"use client";

import { useRef, useState, useTransition } from "react";
import { useRouter } from "next/navigation";
import { FormError } from "@/components/ui/form-error";
import { connectAction, disconnectAction, signOutAction } from "./actions";

export type PanelConnection = {
  id: string;
  connector: string;
  connectorName: string;
  accountLabel: string | null;
  status: "active" | "reauth_required" | "revoked";
  connectedAt: { iso: string; text: string };
  lastUse: { toolPackName: string | null; iso: string; text: string } | null;
};

export type PanelData = {
  brand: string;
  userEmail: string | null;
  requested: { connector: string; connectorName: string; state: "connected" | "reauth_required" | "not_connected" }[];
  connections: PanelConnection[];
  canConnectAny: boolean;
  completed: boolean;
  linkExpires: { iso: string; text: string };
};

const STATUS_TEXT: Record<PanelConnection["status"], string> = { active: "Connected", reauth_required: "Needs reconnecting", revoked: "Revoked" };
const STATUS_CLASS: Record<PanelConnection["status"], string> = {
  active: "bg-emerald-50 text-emerald-800 ring-emerald-200",
  reauth_required: "bg-amber-50 text-amber-900 ring-amber-200",
  revoked: "bg-zinc-100 text-zinc-700 ring-zinc-200",
};

type Busy = { kind: "connect" | "disconnect" | "sign-out"; key: string } | null;

export function EndUserPanel({ data }: { data: PanelData }) {
  const router = useRouter();
  const [pending, start] = useTransition();
  const [busy, setBusy] = useState<Busy>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string>("");
  const [signedOut, setSignedOut] = useState(false);
  const listHeading = useRef<HTMLHeadingElement>(null);

  const connect = (connector: string | null) => {
    setError(null);
    setBusy({ kind: "connect", key: connector ?? "*" });
    start(async () => {
      const r = await connectAction({ connector });
      if (!r.ok) {
        setBusy(null);
        setError(r.error.message);
        return;
      }
      setNotice("Opening the connection page…");
      window.location.assign(r.data.url);
    });
  };

  const disconnect = (c: PanelConnection) => {
    setError(null);
    setBusy({ kind: "disconnect", key: c.id });
    start(async () => {
      const r = await disconnectAction({ connection_id: c.id });
      setBusy(null);
      setConfirming(null);
      if (!r.ok) {
        setError(r.error.message);
        return;
      }
      setNotice(`Disconnected ${r.data.connector_name}${c.accountLabel ? ` (${c.accountLabel})` : ""}.`);
      router.refresh();
      listHeading.current?.focus();
    });
  };

  const signOut = () => {
    setBusy({ kind: "sign-out", key: "" });
    start(async () => {
      await signOutAction({});
      setSignedOut(true);
    });
  };

  if (signedOut) {
    return (
      <div role="status" className="card space-y-2 p-6">
        <h1 className="text-lg font-semibold">You are signed out</h1>
        <p className="text-sm text-zinc-700">You can close this page. Open the link again to come back while it is valid.</p>
      </div>
    );
  }

  const isBusy = (kind: NonNullable<Busy>["kind"], key: string) => pending && busy?.kind === kind && busy.key === key;

  return (
    <div className="space-y-6">
      <header className="space-y-1">
        <p className="text-sm font-semibold text-indigo-700" data-testid="magic-brand">
          {data.brand}
        </p>
        <h1 className="text-2xl font-semibold tracking-tight">Your connected accounts</h1>
        <p className="text-sm text-zinc-600">{data.brand}&rsquo;s assistant uses these accounts on your behalf. Disconnect any of them at any time.</p>
        {data.userEmail ? <p className="text-xs text-zinc-500">Link sent for {data.userEmail}</p> : null}
      </header>

      <p role="status" aria-live="polite" data-testid="magic-notice" className={notice ? "rounded-md border border-emerald-200 bg-emerald-50 px-3 py-2 text-sm text-emerald-900" : "sr-only"}>
        {notice}
      </p>
      <FormError message={error} />

      {data.requested.length > 0 ? (
        <section aria-labelledby="requested-heading" className="space-y-3">
          <h2 id="requested-heading" className="text-base font-semibold">
            Requested
          </h2>
          {data.completed ? (
            <p className="rounded-md border border-emerald-200 bg-emerald-50 px-3 py-2 text-sm text-emerald-900" data-testid="magic-completed">
              All set: every requested account is connected.
            </p>
          ) : null}
          <ul className="card divide-y divide-zinc-100">
            {data.requested.map((r) => (
              <li key={r.connector} className="flex flex-wrap items-center justify-between gap-3 p-4" data-testid="requested-connector">
                <div>
                  <p className="font-medium">{r.connectorName}</p>
                  <p className="text-sm text-zinc-600">{r.state === "connected" ? "Connected" : r.state === "reauth_required" ? "Needs reconnecting" : "Not connected yet"}</p>
                </div>
                {r.state === "connected" ? null : (
                  <button type="button" className="btn btn-primary w-full sm:w-auto" disabled={pending} onClick={() => connect(r.connector)}>
                    {isBusy("connect", r.connector) ? "Opening…" : `${r.state === "reauth_required" ? "Reconnect" : "Connect"} ${r.connectorName}`}
                  </button>
                )}
              </li>
            ))}
          </ul>
        </section>
      ) : null}

      <section aria-labelledby="connections-heading" className="space-y-3">
        <h2 id="connections-heading" ref={listHeading} tabIndex={-1} className="text-base font-semibold focus:outline-none">
          Connected accounts
        </h2>
        {data.connections.length === 0 ? (
          <div className="rounded-lg border border-dashed border-zinc-300 bg-white px-6 py-8 text-center" data-testid="magic-empty">
            <p className="font-medium text-zinc-800">No connected accounts</p>
            <p className="mt-1 text-sm text-zinc-600">Nothing of yours is connected to {data.brand}.</p>
          </div>
        ) : (
          <ul className="space-y-3">
            {data.connections.map((c) => {
              const confirmId = `confirm-${c.id}`;
              return (
                <li key={c.id} className="card p-4" data-testid="end-user-connection" data-connector={c.connector}>
                  <div className="flex flex-wrap items-start justify-between gap-2">
                    <div className="min-w-0">
                      <p className="font-medium">{c.connectorName}</p>
                      <p className="truncate text-sm text-zinc-600">{c.accountLabel ?? "Account name not available"}</p>
                    </div>
                    <span className={`rounded-full px-2 py-0.5 text-xs font-medium ring-1 ${STATUS_CLASS[c.status]}`}>{STATUS_TEXT[c.status]}</span>
                  </div>
                  <dl className="mt-3 grid grid-cols-1 gap-1 text-sm sm:grid-cols-2">
                    <div>
                      <dt className="text-zinc-500">Connected</dt>
                      <dd>
                        <time dateTime={c.connectedAt.iso}>{c.connectedAt.text}</time>
                      </dd>
                    </div>
                    <div>
                      <dt className="text-zinc-500">Last used</dt>
                      <dd data-testid="last-used">
                        {c.lastUse ? (
                          <>
                            by <span className="font-medium">{c.lastUse.toolPackName ?? "a tool pack that no longer exists"}</span>, <time dateTime={c.lastUse.iso}>{c.lastUse.text}</time>
                          </>
                        ) : (
                          "Not used yet"
                        )}
                      </dd>
                    </div>
                  </dl>
                  {confirming === c.id ? (
                    <div role="group" aria-labelledby={`${confirmId}-text`} className="mt-4 space-y-3 rounded-md border border-red-200 bg-red-50 p-3">
                      <p id={`${confirmId}-text`} className="text-sm text-red-900">
                        Disconnect {c.connectorName}
                        {c.accountLabel ? ` (${c.accountLabel})` : ""}? The assistant loses access to it at once.
                      </p>
                      <div className="flex flex-col gap-2 sm:flex-row">
                        <button type="button" className="btn btn-danger w-full sm:w-auto" autoFocus disabled={pending} onClick={() => disconnect(c)}>
                          {isBusy("disconnect", c.id) ? "Disconnecting…" : "Yes, disconnect"}
                        </button>
                        <button type="button" className="btn btn-secondary w-full sm:w-auto" disabled={pending} onClick={() => setConfirming(null)}>
                          Cancel
                        </button>
                      </div>
                    </div>
                  ) : (
                    <div className="mt-4 flex flex-col gap-2 sm:flex-row">
                      {c.status !== "active" ? (
                        <button type="button" className="btn btn-primary w-full sm:w-auto" disabled={pending} onClick={() => connect(c.connector)}>
                          {isBusy("connect", c.connector) ? "Opening…" : `Reconnect ${c.connectorName}`}
                        </button>
                      ) : null}
                      <button
                        type="button"
                        className="btn btn-danger w-full sm:w-auto"
                        disabled={pending}
                        aria-label={`Disconnect ${c.connectorName}${c.accountLabel ? ` (${c.accountLabel})` : ""}`}
                        onClick={() => {
                          setError(null);
                          setConfirming(c.id);
                        }}
                      >
                        Disconnect
                      </button>
                    </div>
                  )}
                </li>
              );
            })}
          </ul>
        )}
        {data.canConnectAny ? (
          <button type="button" className="btn btn-secondary w-full sm:w-auto" disabled={pending} onClick={() => connect(null)}>
            {isBusy("connect", "*") ? "Opening…" : "Connect an account"}
          </button>
        ) : null}
      </section>

      <footer className="flex flex-col gap-3 border-t border-zinc-200 pt-4 text-xs text-zinc-500 sm:flex-row sm:items-center sm:justify-between">
        <p>
          This link works until <time dateTime={data.linkExpires.iso}>{data.linkExpires.text}</time>. Secured by Latchkey.
        </p>
        <button type="button" className="btn btn-secondary" disabled={pending} onClick={signOut}>
          {isBusy("sign-out", "") ? "Signing out…" : "Sign out"}
        </button>
      </footer>
    </div>
  );
}

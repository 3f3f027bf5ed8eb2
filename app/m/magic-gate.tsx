"use client";

import { useEffect, useState } from "react";

type GateState = "checking" | "ready" | "opening" | "expired" | "rate_limited" | "error";

/** `#token=lk_magic_…` from the address bar. The fragment never reaches a server, a log or a Referer. */
function fragmentToken(): string | null {
  const m = /(?:^#|&)token=([^&]+)/.exec(window.location.hash);
  if (!m) return null;
  try {
    return decodeURIComponent(m[1]!);
  } catch {
    return null;
  }
}

/**
 * Opens the page from a magic link: takes the token out of the fragment (and out of the
 * address bar and history), trades it for a session cookie, and reloads. Without a token or
 * a session, and for any token that does not open, it shows the same neutral screen.
 */
export function MagicGate({ hasSession, children }: { hasSession: boolean; children?: React.ReactNode }) {
  const [state, setState] = useState<GateState>(hasSession ? "ready" : "checking");

  useEffect(() => {
    const token = fragmentToken();
    let cancelled = false;
    const settle = (next: GateState) => {
      if (!cancelled) setState(next);
    };
    if (!token) {
      if (!hasSession) settle("expired");
      return () => {
        cancelled = true;
      };
    }
    window.history.replaceState(null, "", window.location.pathname + window.location.search);
    settle("opening");
    fetch("/m/session", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ token }), credentials: "same-origin", cache: "no-store" })
      .then((res) => {
        if (res.ok) window.location.reload();
        else settle(res.status === 429 ? "rate_limited" : "expired");
      })
      .catch(() => settle("error"));
    return () => {
      cancelled = true;
    };
  }, [hasSession]);

  if (state === "ready") return <>{children}</>;
  if (state === "checking" || state === "opening") {
    return (
      <div role="status" aria-live="polite" className="card flex items-center gap-3 p-6 text-sm text-zinc-700">
        <span className="size-4 animate-spin rounded-full border-2 border-indigo-600 border-t-transparent motion-reduce:animate-none" aria-hidden />
        Opening your link…
      </div>
    );
  }
  const message =
    state === "rate_limited"
      ? "Too many attempts from this network. Wait a minute, then open the link again."
      : state === "error"
        ? "We could not reach the server. Check your connection and open the link again."
        : null;
  return (
    <div role="alert" className="card space-y-2 p-6" data-testid="magic-link-expired">
      <h1 className="text-lg font-semibold">{message ? "Something went wrong" : "This link has expired"}</h1>
      <p className="text-sm text-zinc-700">{message ?? "It may have been used up, replaced or revoked. Ask the service that sent it for a new link."}</p>
    </div>
  );
}

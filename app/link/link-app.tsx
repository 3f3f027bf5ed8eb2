"use client";

import { useCallback, useEffect, useRef, useState, type CSSProperties, type ReactNode } from "react";
import { LINK_EVENT_SOURCE, type LinkEventBody } from "@/lib/link/events";
import { EMBED_ORIGIN_PARAM } from "@/lib/link/frame";
import type { LinkCallbackError, LinkConnectorView, LinkFormField, LinkSessionView } from "@/lib/schemas/link";

type ApiError = { code: string; message: string; issues?: { path: string; message: string }[] };
type ApiResult<T> = { ok: true; data: T } | { ok: false; status: number; error: ApiError };

/**
 * The session as a bearer token, in memory only: set when the page is embedded by another site,
 * where the browser keeps no cookie for a frame (lib/link/cookie.ts readLinkBearer).
 */
let bearer: string | null = null;

async function api<T>(method: "GET" | "POST", path: string, body?: unknown): Promise<ApiResult<T>> {
  try {
    const res = await fetch(path, {
      method,
      credentials: "same-origin",
      cache: "no-store",
      headers: { ...(body === undefined ? {} : { "content-type": "application/json" }), ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = (await res.json().catch(() => null)) as (T & { error?: ApiError }) | null;
    if (res.ok && json) return { ok: true, data: json };
    return { ok: false, status: res.status, error: json?.error ?? { code: "internal_error", message: "Something went wrong. Please try again." } };
  } catch {
    return { ok: false, status: 0, error: { code: "network_error", message: "We could not reach the server. Check your connection and try again." } };
  }
}

type Screen =
  | { kind: "loading" }
  | { kind: "list" }
  | { kind: "form"; slug: string }
  | { kind: "redirecting"; slug: string }
  | { kind: "success"; slug: string }
  | { kind: "finished" }
  | { kind: "exit" }
  | { kind: "error"; title: string; message: string; retry?: string | undefined; back?: boolean };

const POPUP_NAME = "latchkey-link-oauth";
/** Messages between a framed Link page and its OAuth popup: same origin both ways, never to the embedder. */
type PopupMessage = { lk: "oauth-popup-ready" } | { lk: "oauth-begin"; session: string | null; connector: string; sandbox?: boolean } | { lk: "oauth-done"; connector: string };
const EMBED_KEY = "latchkey-link-embed-origin";

/**
 * Who embeds this page: the origin it named in ?embed_origin= (kept for the tab's life, so a
 * popup that went to the provider and back still knows), and the window to post to. Events go
 * out only after the session says this origin is one of the environment's (`allowed_origins`),
 * and always with that exact targetOrigin, so the browser delivers nothing to any other page.
 */
type Embedder = { origin: string; target: Window };

function embedderFrom(origin: string | null): Embedder | null {
  if (!origin) return null;
  const target = window.parent !== window ? window.parent : window.opener && window.name !== POPUP_NAME ? (window.opener as Window) : null;
  return target ? { origin, target } : null;
}

function readEmbedOrigin(query: URLSearchParams): string | null {
  try {
    const named = query.get(EMBED_ORIGIN_PARAM);
    if (named) window.sessionStorage.setItem(EMBED_KEY, named);
    return named ?? window.sessionStorage.getItem(EMBED_KEY);
  } catch {
    // Storage may be blocked in a third-party frame; the query is enough there (no round trip).
    return query.get(EMBED_ORIGIN_PARAM);
  }
}

/** Only to the side the handshake proved: the page opener/parent, under the allowed origin. */
function postToOpenerSameOrigin(target: Window | null, msg: PopupMessage) {
  target?.postMessage(msg, window.location.origin);
}

function isPopupMessage(e: MessageEvent, from: Window | null): PopupMessage | null {
  if (e.origin !== window.location.origin || !from || e.source !== from) return null;
  const d = e.data as Partial<PopupMessage> | null;
  if (!d || typeof d !== "object" || typeof d.lk !== "string") return null;
  return d as PopupMessage;
}

function linkError(code: string, message: string): Screen {
  switch (code) {
    case "link_token_expired":
      return { kind: "error", title: "This link has expired", message: "Links work once and for 30 minutes. Ask the app that sent you here for a new link." };
    case "link_token_used":
      return { kind: "error", title: "This link was already used", message: "You already finished with this link. Ask the app that sent you here for a new link to connect another account." };
    case "rate_limited":
      return { kind: "error", title: "Too many attempts", message: "Wait a minute, then reload this page." };
    case "unauthorized":
      return { kind: "error", title: "Open your link again", message: "This page works from the link you were given, and your session here has ended or was never opened. Open the link again, or ask for a new one." };
    default:
      return { kind: "error", title: "Something went wrong", message };
  }
}

function callbackError(code: string, name: string, slug: string | null): Screen {
  const retry = slug ?? undefined;
  const messages: Record<LinkCallbackError, string> = {
    access_denied: `You declined access on ${name}, so nothing was connected.`,
    provider_error: `${name} could not complete the sign-in.`,
    invalid_state: "This sign-in attempt expired or was already used.",
    session_missing: "Your session on this page ended before the sign-in finished.",
    issuer_mismatch: `The sign-in answer did not come from ${name}, so it was refused to keep your account safe.`,
    exchange_failed: `We could not finish connecting ${name}.`,
    not_available: `${name} can no longer be connected with this link.`,
  };
  const message = messages[code as LinkCallbackError] ?? "The sign-in did not complete.";
  const title = code === "access_denied" ? "Access was not granted" : "Connection failed";
  return { kind: "error", title, message: `${message}${code === "not_available" ? "" : " You can try again."}`, retry: code === "not_available" ? undefined : retry, back: true };
}

export function LinkApp() {
  const [view, setView] = useState<LinkSessionView | null>(null);
  const [screen, setScreen] = useState<Screen>({ kind: "loading" });
  const [progress, setProgress] = useState("Loading…");
  const started = useRef(false);
  const heading = useRef<HTMLHeadingElement>(null);
  const embedder = useRef<Embedder | null>(null);
  const oauthPopup = useRef<{ win: Window; connector: string; sandbox: boolean } | null>(null);

  const emit = useCallback((event: LinkEventBody) => {
    const e = embedder.current;
    if (e) e.target.postMessage({ ...event, source: LINK_EVENT_SOURCE }, e.origin);
  }, []);

  const verifyEmbedder = useCallback((candidate: string | null, v: LinkSessionView) => {
    // Latchkey's own pages (the dashboard's demo) are Latchkey: always allowed.
    const allowed = candidate !== null && (candidate === window.location.origin || v.allowed_origins.includes(candidate));
    embedder.current = allowed ? embedderFrom(candidate) : null;
  }, []);

  const emitConnected = useCallback(
    (slug: string, v: LinkSessionView | null, connectionId?: string | null) => {
      const id = connectionId ?? v?.connectors.find((c) => c.slug === slug)?.connection_id;
      if (id) emit({ type: "connected", connection: { id, connector: slug, status: "active" } });
    },
    [emit],
  );

  const refresh = useCallback(async () => {
    const r = await api<LinkSessionView>("GET", "/api/link/session");
    if (r.ok) setView(r.data);
    return r;
  }, []);

  // The OAuth popup of a framed page: it has no session of its own (the frame's was never a
  // cookie), so it asks the frame for it, and binds it to a first-party cookie with the start
  // call; the provider's answer is then checked against that cookie as usual.
  const runOAuthPopup = useCallback(() => {
    setScreen({ kind: "loading" });
    const opener = window.opener as Window | null;
    const onMessage = (e: MessageEvent) => {
      const m = isPopupMessage(e, opener);
      if (m?.lk !== "oauth-begin") return;
      window.removeEventListener("message", onMessage);
      bearer = m.session;
      void api<{ authorize_url: string }>("POST", "/api/link/oauth/start", { connector: m.connector, bind_cookie: true, ...(m.sandbox ? { sandbox: true } : {}) }).then((r) => {
        if (r.ok) window.location.assign(r.data.authorize_url);
        else setScreen(linkError(r.error.code, r.error.message));
      });
    };
    window.addEventListener("message", onMessage);
    postToOpenerSameOrigin(opener, { lk: "oauth-popup-ready" });
  }, []);


  // The link token arrives in the fragment (never sent to a server, never in a Referer) and
  // the OAuth outcome in the query: both leave the address bar before anything else happens.
  const boot = useCallback(async () => {
    const token = new URLSearchParams(window.location.hash.slice(1)).get("link_token");
    const query = new URLSearchParams(window.location.search);
    if (query.get("oauth_popup") === "1" && window.name === POPUP_NAME) {
      window.history.replaceState(null, "", window.location.pathname);
      return runOAuthPopup();
    }
    const embedOrigin = window.name === POPUP_NAME ? null : readEmbedOrigin(query);
    const connected = query.get("connected");
    const error = query.get("error");
    const errorConnector = query.get("connector");
    if (window.location.hash || window.location.search) window.history.replaceState(null, "", window.location.pathname);
    setScreen({ kind: "loading" });
    setProgress("Loading…");
    const r = token
      ? await api<LinkSessionView & { session_token?: string }>("POST", "/api/link/redeem", { link_token: token, ...(embedOrigin && embedOrigin !== window.location.origin ? { embed_origin: embedOrigin } : {}) })
      : await api<LinkSessionView & { session_token?: string }>("GET", "/api/link/session");
    setProgress("");
    if (!r.ok) {
      // No event: before a session the environment, and so whether this embedder may hear
      // anything, is unknown. The embedder learns of the end when its modal or popup is closed.
      setScreen(linkError(r.error.code, r.error.message));
      return;
    }
    // The bearer lives in the module's memory only, not in React state or the DOM.
    const { session_token: sessionToken, ...sessionView } = r.data;
    if (sessionToken) bearer = sessionToken;
    setView(sessionView);
    verifyEmbedder(embedOrigin, sessionView);
    const byslug = (s: string | null) => sessionView.connectors.find((c) => c.slug === s) ?? null;
    if (connected && byslug(connected)) {
      // The OAuth popup of a framed Link page: tell that page (same origin only) and close.
      // postMessage to the opener rather than a BroadcastChannel: channels are partitioned by
      // top-level site, so a frame inside another site would never hear a first-party popup.
      if (window.name === POPUP_NAME && window.opener) {
        postToOpenerSameOrigin(window.opener as Window, { lk: "oauth-done", connector: connected });
        setTimeout(() => window.close(), 1500);
      } else {
        emitConnected(connected, sessionView);
      }
      setScreen({ kind: "success", slug: connected });
    } else if (error) {
      setScreen(callbackError(error, byslug(errorConnector)?.name ?? "The provider", byslug(errorConnector)?.slug ?? null));
    } else {
      setScreen({ kind: "list" });
      emit({ type: "ready" });
    }
  }, [emit, emitConnected, runOAuthPopup, verifyEmbedder]);

  useEffect(() => {
    if (started.current) return;
    started.current = true;
    void boot();
  }, [boot]);

  // A new link opened in this same tab only changes the fragment: no reload happens.
  useEffect(() => {
    const onHash = () => {
      if (new URLSearchParams(window.location.hash.slice(1)).has("link_token")) void boot();
    };
    window.addEventListener("hashchange", onHash);
    return () => window.removeEventListener("hashchange", onHash);
  }, [boot]);

  // A framed page hands its session to its OAuth popup, then waits for its word that the
  // provider step is over. Only that popup, only from this origin.
  useEffect(() => {
    const onMessage = (e: MessageEvent) => {
      const p = oauthPopup.current;
      const m = isPopupMessage(e, p?.win ?? null);
      if (!m || !p) return;
      if (m.lk === "oauth-popup-ready") postToOpenerSameOrigin(p.win, { lk: "oauth-begin", session: bearer, connector: p.connector, sandbox: p.sandbox });
      else if (m.lk === "oauth-done" && m.connector === p.connector) {
        oauthPopup.current = null;
        void refresh().then((r) => {
          setScreen({ kind: "success", slug: m.connector });
          if (r.ok) emitConnected(m.connector, r.data);
        });
      }
    };
    window.addEventListener("message", onMessage);
    return () => window.removeEventListener("message", onMessage);
  }, [refresh, emitConnected]);

  // In an embedder's modal the frame holds the keyboard, so the dialog never sees Escape:
  // Link treats it as Cancel itself (the embedder hears `exit`).
  const finishRef = useRef<(outcome: "done" | "exit") => Promise<void>>(async () => {});
  const endedRef = useRef(false);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== "Escape" || !embedder.current || window.parent === window || endedRef.current) return;
      e.preventDefault();
      void finishRef.current("exit");
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  const screenKey = JSON.stringify(screen);
  useEffect(() => {
    if (screen.kind !== "loading") heading.current?.focus();
  }, [screenKey, screen.kind]);

  const connectorOf = (slug: string) => view?.connectors.find((c) => c.slug === slug) ?? null;

  // sandbox: "Sandbox account" (test environments), the same flow against Latchkey's sandbox provider.
  const startOAuth = async (c: LinkConnectorView, sandbox = false) => {
    // Providers refuse to be framed: from inside a frame the sign-in happens in a popup,
    // opened now (in the click) so no popup blocker stops it.
    const framed = window.self !== window.top;
    if (framed) {
      // The popup starts the sign-in itself (runOAuthPopup), so the state is bound to a cookie
      // it can keep: a cross-site frame has none to give.
      const win = window.open("/link?oauth_popup=1", POPUP_NAME, "popup,width=520,height=720");
      setScreen({ kind: "redirecting", slug: c.slug });
      if (!win) return setScreen({ kind: "error", title: "Could not open the sign-in window", message: "Allow pop-ups for this page and try again.", retry: c.slug, back: true });
      oauthPopup.current = { win, connector: c.slug, sandbox };
      setProgress(`Finish signing in to ${c.name} in the window that opened.`);
      return;
    }
    setScreen({ kind: "redirecting", slug: c.slug });
    setProgress(`Opening ${c.name}…`);
    const r = await api<{ authorize_url: string }>("POST", "/api/link/oauth/start", { connector: c.slug, ...(sandbox ? { sandbox: true } : {}) });
    if (!r.ok) {
      setProgress("");
      setScreen(r.error.code === "unauthorized" ? linkError(r.error.code, r.error.message) : { kind: "error", title: "Could not start", message: r.error.message, back: true });
      return;
    }
    window.location.assign(r.data.authorize_url);
  };

  const connect = (c: LinkConnectorView) => {
    if (c.auth_kind === "oauth2") void startOAuth(c);
    else setScreen({ kind: "form", slug: c.slug });
  };

  const finish = async (outcome: "done" | "exit") => {
    setProgress(outcome === "done" ? "Finishing…" : "Closing…");
    const r = await api<{ redirect_url: string | null }>("POST", "/api/link/session/finish", { outcome });
    setProgress("");
    const embedded = embedder.current !== null;
    endedRef.current = true;
    emit({ type: "exit", reason: outcome === "done" ? "done" : "cancel" });
    if (outcome === "exit") return setScreen({ kind: "exit" });
    // Embedded, the app hears `exit` and decides where to go; a frame cannot move its parent anyway.
    const target = r.ok && !embedded ? r.data.redirect_url : null;
    if (target) {
      setProgress("Taking you back…");
      try {
        (window.top ?? window).location.assign(target);
      } catch {
        window.location.assign(target);
      }
      return;
    }
    setScreen({ kind: "finished" });
  };

  useEffect(() => {
    finishRef.current = finish;
  });

  const accent = view?.branding.accent_color ?? "#4f46e5";
  const style = { "--lk-accent": accent } as CSSProperties;

  return (
    <div style={style} className="min-h-screen bg-zinc-50">
      <main className="mx-auto flex w-full max-w-md flex-col px-4 py-6 sm:py-12">
        <Brand view={view} />
        <div className="card mt-4 p-5 sm:p-6">
          {screen.kind === "loading" ? (
            <Loading />
          ) : screen.kind === "list" && view ? (
            <ConnectorList view={view} heading={heading} onConnect={connect} onSandbox={(c) => void startOAuth(c, true)} onDone={() => void finish("done")} onExit={() => void finish("exit")} />
          ) : screen.kind === "form" && connectorOf(screen.slug) ? (
            <FormScreen
              connector={connectorOf(screen.slug)!}
              heading={heading}
              onBack={() => setScreen({ kind: "list" })}
              onConnected={async (connectionId) => {
                const r = await refresh();
                setScreen({ kind: "success", slug: screen.slug });
                emitConnected(screen.slug, r.ok ? r.data : null, connectionId);
              }}
              onSessionEnded={(code, message) => {
                emit({ type: "error", error: { code, message } });
                setScreen(linkError(code, message));
              }}
              setProgress={setProgress}
            />
          ) : screen.kind === "redirecting" ? (
            <Redirecting name={connectorOf(screen.slug)?.name ?? "the provider"} heading={heading} onBack={() => setScreen({ kind: "list" })} />
          ) : screen.kind === "success" && view ? (
            <Success
              connector={connectorOf(screen.slug)}
              view={view}
              heading={heading}
              popup={typeof window !== "undefined" && window.name === POPUP_NAME}
              onMore={() => setScreen({ kind: "list" })}
              onDone={() => void finish("done")}
            />
          ) : screen.kind === "finished" ? (
            <Message heading={heading} title="All set" tone="success">
              Your accounts are connected. You can close this window.
            </Message>
          ) : screen.kind === "exit" ? (
            <Message heading={heading} title="Nothing more to connect" tone="neutral">
              You left without connecting another account. You can close this window.
            </Message>
          ) : screen.kind === "error" ? (
            <ErrorScreen
              screen={screen}
              heading={heading}
              onRetry={screen.retry && connectorOf(screen.retry) ? () => connect(connectorOf(screen.retry!)!) : undefined}
              onBack={screen.back && view ? () => setScreen({ kind: "list" }) : undefined}
            />
          ) : (
            <Loading />
          )}
        </div>
        <p className="mt-6 text-center text-xs text-zinc-500">Secured by Latchkey · your credentials are encrypted and never shown to the app</p>
        <div role="status" aria-live="polite" className="sr-only">
          {progress}
        </div>
      </main>
    </div>
  );
}

// ------------------------------------------------------------------ pieces

const button = "inline-flex min-h-11 items-center justify-center gap-2 rounded-md bg-[var(--lk-accent)] px-4 py-2 text-sm font-semibold text-white shadow-sm transition hover:brightness-110 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-[var(--lk-accent)] disabled:cursor-not-allowed disabled:opacity-60 motion-reduce:transition-none";
const buttonSecondary =
  "inline-flex min-h-11 items-center justify-center gap-2 rounded-md border border-zinc-300 bg-white px-4 py-2 text-sm font-medium text-zinc-800 transition hover:bg-zinc-100 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-[var(--lk-accent)] motion-reduce:transition-none";
const primary = `${button} w-full`;
const secondary = `${buttonSecondary} w-full`;
const headingClass = "text-lg font-semibold text-zinc-900 focus:outline-none";

type HeadingRef = React.RefObject<HTMLHeadingElement | null>;

function Brand({ view }: { view: LinkSessionView | null }) {
  if (!view) return <div className="h-12" aria-hidden="true" />;
  const { name, logo_url } = view.branding;
  return (
    <header className="flex items-center gap-3">
      {logo_url ? (
        // eslint-disable-next-line @next/next/no-img-element -- a per-environment URL, not a build-time asset
        <img src={logo_url} alt={`${name} logo`} className="size-10 rounded-lg object-contain" />
      ) : (
        <span aria-hidden="true" className="flex size-10 items-center justify-center rounded-lg bg-[var(--lk-accent)] text-lg font-bold text-white">
          {name.slice(0, 1).toUpperCase()}
        </span>
      )}
      <div className="min-w-0">
        <p className="truncate font-semibold text-zinc-900" data-testid="link-brand-name">
          {name}
        </p>
        <p className="text-sm text-zinc-600">wants to connect your accounts</p>
      </div>
      {view.environment_kind === "test" ? (
        <span className="ml-auto shrink-0 rounded-full bg-amber-100 px-2 py-0.5 text-xs font-medium text-amber-900">Test mode</span>
      ) : null}
    </header>
  );
}

function Spinner() {
  return <span aria-hidden="true" className="inline-block size-5 rounded-full border-2 border-zinc-300 border-t-[var(--lk-accent)] motion-safe:animate-spin" />;
}

function Loading() {
  return (
    <div className="flex items-center gap-3 py-6 text-sm text-zinc-600">
      <Spinner /> Loading…
    </div>
  );
}

function ConnectorIcon({ c }: { c: LinkConnectorView }) {
  return (
    // eslint-disable-next-line @next/next/no-img-element -- an inline SVG from the connector catalog
    <img src={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(c.icon_svg)}`} alt="" width={32} height={32} className="size-8 shrink-0" />
  );
}

function StatusBadge({ c }: { c: LinkConnectorView }) {
  if (c.status === "connected") {
    return (
      <span className="inline-flex items-center gap-1 text-sm text-emerald-800">
        <svg aria-hidden="true" viewBox="0 0 20 20" className="size-4 fill-current">
          <path d="M8.1 13.6 4.5 10l-1.4 1.4 5 5 9-9-1.4-1.4z" />
        </svg>
        Connected{c.account_label ? ` as ${c.account_label}` : ""}
      </span>
    );
  }
  if (c.status === "reauth_required") return <span className="text-sm font-medium text-amber-800">Needs reconnecting</span>;
  return <span className="text-sm text-zinc-600">Not connected</span>;
}

function ConnectorList({
  view,
  heading,
  onConnect,
  onSandbox,
  onDone,
  onExit,
}: {
  view: LinkSessionView;
  heading: HeadingRef;
  onConnect: (c: LinkConnectorView) => void;
  onSandbox: (c: LinkConnectorView) => void;
  onDone: () => void;
  onExit: () => void;
}) {
  const anyConnected = view.connectors.some((c) => c.status === "connected");
  return (
    <section aria-labelledby="link-title">
      <h1 id="link-title" ref={heading} tabIndex={-1} className={headingClass}>
        Connect your accounts
      </h1>
      <p className="mt-1 text-sm text-zinc-600">Choose an account to connect. You can disconnect it later through {view.branding.name}.</p>
      {view.connectors.length === 0 ? (
        <p className="mt-4 rounded-md border border-dashed border-zinc-300 p-4 text-sm text-zinc-600">There is nothing to connect with this link.</p>
      ) : (
        <ul className="mt-4 divide-y divide-zinc-200 rounded-md border border-zinc-200">
          {view.connectors.map((c) => (
            <li key={c.slug} data-testid={`connector-${c.slug}`} data-status={c.status} className="flex flex-wrap items-center gap-3 p-3">
              <ConnectorIcon c={c} />
              <div className="min-w-0 flex-1">
                <p className="font-medium text-zinc-900">{c.name}</p>
                {c.available ? <StatusBadge c={c} /> : <span className="text-sm text-zinc-500">Not available yet</span>}
              </div>
              {c.available && c.status !== "connected" ? (
                <button type="button" onClick={() => onConnect(c)} className={`${button} shrink-0`} aria-label={`${c.status === "reauth_required" ? "Reconnect" : "Connect"} ${c.name}`}>
                  {c.status === "reauth_required" ? "Reconnect" : "Connect"}
                </button>
              ) : c.available ? (
                <button type="button" onClick={() => onConnect(c)} className={`${buttonSecondary} shrink-0`} aria-label={`Change the ${c.name} account`}>
                  Change
                </button>
              ) : null}
              {view.environment_kind === "test" && c.auth_kind === "oauth2" ? (
                <button type="button" onClick={() => onSandbox(c)} className={`${buttonSecondary} shrink-0`} aria-label={`Use a ${c.name} sandbox account`}>
                  Sandbox account
                </button>
              ) : null}
            </li>
          ))}
        </ul>
      )}
      <div className="mt-6 flex flex-col-reverse gap-2 sm:flex-row">
        <button type="button" onClick={onExit} className={secondary}>
          Cancel
        </button>
        {anyConnected ? (
          <button type="button" onClick={onDone} className={primary}>
            Done
          </button>
        ) : null}
      </div>
    </section>
  );
}

function FormScreen({
  connector,
  heading,
  onBack,
  onConnected,
  onSessionEnded,
  setProgress,
}: {
  connector: LinkConnectorView;
  heading: HeadingRef;
  onBack: () => void;
  onConnected: (connectionId: string | null) => Promise<void>;
  onSessionEnded: (code: string, message: string) => void;
  setProgress: (s: string) => void;
}) {
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);

  const submit = async (e: React.FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const data = new FormData(e.currentTarget);
    const values = Object.fromEntries(connector.fields.map((f) => [f.name, String(data.get(f.name) ?? "")]).filter(([, v]) => v !== ""));
    setPending(true);
    setErrors({});
    setFormError(null);
    setProgress(`Checking your ${connector.name} details…`);
    const r = await api<{ connector: string; connection_id: string }>("POST", "/api/link/connections", { connector: connector.slug, values });
    setPending(false);
    setProgress("");
    if (r.ok) return onConnected(r.data.connection_id);
    if (r.error.code === "unauthorized") return onSessionEnded(r.error.code, r.error.message);
    const byField: Record<string, string> = {};
    let general: string | null = null;
    for (const i of r.error.issues ?? []) {
      const m = /^values\.([^.]+)/.exec(i.path);
      if (m && connector.fields.some((f) => f.name === m[1])) byField[m[1]!] ??= i.message;
      else general ??= i.message === "rejected by the provider" ? `${connector.name} did not accept these details. Check them and try again.` : i.message;
    }
    // A missing required field reads better as "required" than as zod's type message.
    for (const f of connector.fields) if (f.required && !values[f.name]) byField[f.name] = `${f.label} is required.`;
    setErrors(byField);
    setFormError(Object.keys(byField).length ? (general ?? "Please correct the highlighted fields.") : (general ?? r.error.message));
    const first = connector.fields.find((f) => byField[f.name]);
    if (first) formRef.current?.querySelector<HTMLInputElement>(`#field-${first.name}`)?.focus();
  };

  return (
    <section aria-labelledby="form-title">
      <div className="flex items-center gap-3">
        <ConnectorIcon c={connector} />
        <h1 id="form-title" ref={heading} tabIndex={-1} className={headingClass}>
          Connect {connector.name}
        </h1>
      </div>
      <p className="mt-1 text-sm text-zinc-600">Your details are checked with {connector.name}, then stored encrypted.</p>
      <form ref={formRef} noValidate onSubmit={(e) => void submit(e)} className="mt-4 space-y-4">
        {formError ? (
          <p role="alert" className="rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800">
            {formError}
          </p>
        ) : null}
        {connector.fields.map((f) => (
          <Field key={f.name} field={f} error={errors[f.name]} />
        ))}
        <div className="flex flex-col-reverse gap-2 pt-2 sm:flex-row">
          <button type="button" onClick={onBack} className={secondary}>
            Back
          </button>
          <button type="submit" className={primary} disabled={pending}>
            {pending ? (
              <>
                <Spinner /> Connecting…
              </>
            ) : (
              `Connect ${connector.name}`
            )}
          </button>
        </div>
      </form>
    </section>
  );
}

function Field({ field, error }: { field: LinkFormField; error?: string | undefined }) {
  const id = `field-${field.name}`;
  const described = [field.hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean).join(" ") || undefined;
  return (
    <div>
      <label htmlFor={id} className="mb-1 block text-sm font-medium text-zinc-800">
        {field.label}
        {field.required ? null : <span className="font-normal text-zinc-500"> (optional)</span>}
      </label>
      <input
        id={id}
        name={field.name}
        type={field.type}
        required={field.required}
        aria-required={field.required}
        aria-invalid={error ? true : undefined}
        aria-describedby={described}
        autoComplete={field.type === "password" ? "off" : field.type === "email" ? "email" : "off"}
        autoCapitalize="none"
        spellCheck={false}
        className={`block min-h-11 w-full rounded-md border bg-white px-3 py-2 text-base shadow-sm focus:outline-none focus-visible:ring-2 focus-visible:ring-[var(--lk-accent)] sm:text-sm ${error ? "border-red-500" : "border-zinc-300"}`}
      />
      {field.hint ? (
        <p id={`${id}-hint`} className="mt-1 text-xs text-zinc-600">
          {field.hint}
        </p>
      ) : null}
      {error ? (
        <p id={`${id}-error`} className="mt-1 text-sm text-red-700">
          {error}
        </p>
      ) : null}
    </div>
  );
}

function Redirecting({ name, heading, onBack }: { name: string; heading: HeadingRef; onBack: () => void }) {
  return (
    <section aria-labelledby="redirect-title" aria-busy="true">
      <h1 id="redirect-title" ref={heading} tabIndex={-1} className={headingClass}>
        Connecting to {name}
      </h1>
      <p className="mt-3 flex items-center gap-3 text-sm text-zinc-600">
        <Spinner /> Sign in to {name} and allow access. You will come back here afterwards.
      </p>
      <button type="button" onClick={onBack} className={`${secondary} mt-6`}>
        Back
      </button>
    </section>
  );
}

function Success({
  connector,
  view,
  heading,
  popup,
  onMore,
  onDone,
}: {
  connector: LinkConnectorView | null;
  view: LinkSessionView;
  heading: HeadingRef;
  popup: boolean;
  onMore: () => void;
  onDone: () => void;
}) {
  const more = view.connectors.some((c) => c.available && c.status !== "connected");
  return (
    <section aria-labelledby="success-title" data-testid="link-success">
      <div className="flex size-12 items-center justify-center rounded-full bg-emerald-100" aria-hidden="true">
        <svg viewBox="0 0 20 20" className="size-6 fill-emerald-700">
          <path d="M8.1 13.6 4.5 10l-1.4 1.4 5 5 9-9-1.4-1.4z" />
        </svg>
      </div>
      <h1 id="success-title" ref={heading} tabIndex={-1} className={`${headingClass} mt-3`}>
        {connector ? `${connector.name} connected` : "Account connected"}
      </h1>
      <p className="mt-1 text-sm text-zinc-600">
        {connector?.account_label ? `Connected as ${connector.account_label}. ` : ""}
        You can close this window{popup ? "" : ", or continue below"}.
      </p>
      {popup ? null : (
        <div className="mt-6 flex flex-col-reverse gap-2 sm:flex-row">
          {more ? (
            <button type="button" onClick={onMore} className={secondary}>
              Connect another account
            </button>
          ) : null}
          <button type="button" onClick={onDone} className={primary}>
            {view.redirect_url ? `Continue to ${view.branding.name}` : "Done"}
          </button>
        </div>
      )}
    </section>
  );
}

function Message({ heading, title, tone, children }: { heading: HeadingRef; title: string; tone: "success" | "neutral"; children: ReactNode }) {
  return (
    <section aria-labelledby="message-title">
      <h1 id="message-title" ref={heading} tabIndex={-1} className={`${headingClass} ${tone === "success" ? "text-emerald-900" : ""}`}>
        {title}
      </h1>
      <p className="mt-2 text-sm text-zinc-600">{children}</p>
    </section>
  );
}

function ErrorScreen({ screen, heading, onRetry, onBack }: { screen: Extract<Screen, { kind: "error" }>; heading: HeadingRef; onRetry?: (() => void) | undefined; onBack?: (() => void) | undefined }) {
  return (
    <section aria-labelledby="error-title" data-testid="link-error">
      <div role="alert">
        <h1 id="error-title" ref={heading} tabIndex={-1} className={`${headingClass} text-red-900`}>
          {screen.title}
        </h1>
        <p className="mt-2 text-sm text-zinc-700">{screen.message}</p>
      </div>
      {onRetry || onBack ? (
        <div className="mt-6 flex flex-col-reverse gap-2 sm:flex-row">
          {onBack ? (
            <button type="button" onClick={onBack} className={secondary}>
              Back to accounts
            </button>
          ) : null}
          {onRetry ? (
            <button type="button" onClick={onRetry} className={primary}>
              Try again
            </button>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}

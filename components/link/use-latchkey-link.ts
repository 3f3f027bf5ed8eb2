"use client";

import { useCallback, useEffect, useRef, useState } from "react";
import { acceptLinkMessage, embedLinkUrl, type LinkEvent, type LinkEventConnection, type LinkEventError, type LinkExitReason } from "./events";

export type LatchkeyLinkMode = "modal" | "popup";

export type LatchkeyLinkOptions = {
  /** From your backend (POST /api/v1/link-tokens): single use, 30 minutes. */
  linkToken: string;
  /** Latchkey's URL; defaults to this page's origin (the dashboard). */
  baseUrl?: string;
  mode?: LatchkeyLinkMode;
  onSuccess?: (connection: LinkEventConnection) => void;
  onExit?: (reason: LinkExitReason) => void;
  onError?: (error: LinkEventError) => void;
  /** Every event, including `ready`. */
  onEvent?: (event: LinkEvent) => void;
};

const POPUP_FEATURES = "popup,width=480,height=760";

/**
 * Opens the hosted Link page for one link token, in a modal iframe (render `frame` inside your
 * dialog; <LatchkeyLink> does) or a popup, and turns its postMessage events into callbacks.
 * A message counts only when it comes from Latchkey's origin, from the very window this hook
 * opened, and has exactly the event shape; everything else is ignored.
 */
export function useLatchkeyLink(opts: LatchkeyLinkOptions) {
  const mode = opts.mode ?? "modal";
  const [isOpen, setIsOpen] = useState(false);
  const [ready, setReady] = useState(false);
  const [src, setSrc] = useState<string | null>(null);
  const frameRef = useRef<HTMLIFrameElement | null>(null);
  const popupRef = useRef<Window | null>(null);
  const openRef = useRef(false);
  // The callbacks of the latest render, without re-subscribing the message listener for each.
  const latest = useRef(opts);
  useEffect(() => {
    latest.current = opts;
  });

  const latchkeyOrigin = useCallback(() => new URL(latest.current.baseUrl ?? window.location.origin).origin, []);

  const end = useCallback((reason: LinkExitReason, notify: boolean) => {
    if (!openRef.current) return;
    openRef.current = false;
    setIsOpen(false);
    setReady(false);
    setSrc(null);
    if (popupRef.current && !popupRef.current.closed) popupRef.current.close();
    popupRef.current = null;
    if (notify) {
      latest.current.onEvent?.({ source: "latchkey-link", type: "exit", reason });
      latest.current.onExit?.(reason);
    }
  }, []);

  const open = useCallback(() => {
    if (openRef.current) return;
    const url = embedLinkUrl(latest.current.baseUrl ?? window.location.origin, latest.current.linkToken, window.location.origin);
    if (mode === "popup") {
      const win = window.open(url, "latchkey-link", POPUP_FEATURES);
      if (!win) {
        latest.current.onError?.({ code: "popup_blocked", message: "The browser blocked the Link window. Open it from a click." });
        return;
      }
      popupRef.current = win;
    } else {
      setSrc(url);
    }
    openRef.current = true;
    setIsOpen(true);
  }, [mode]);

  /** Closes Link from the app's side; reported as an `exit` with reason `closed`. */
  const close = useCallback(() => end("closed", true), [end]);

  useEffect(() => {
    if (!isOpen) return;
    const onMessage = (e: MessageEvent) => {
      const source = mode === "popup" ? popupRef.current : (frameRef.current?.contentWindow ?? null);
      const event = acceptLinkMessage(e, { origin: latchkeyOrigin(), source });
      if (!event) return;
      const cb = latest.current;
      if (event.type === "exit") return end(event.reason, true);
      cb.onEvent?.(event);
      if (event.type === "ready") setReady(true);
      else if (event.type === "connected") cb.onSuccess?.(event.connection);
      else if (event.type === "error") cb.onError?.(event.error);
    };
    window.addEventListener("message", onMessage);
    // A popup the user closed sends nothing: notice it.
    const timer = mode === "popup" ? window.setInterval(() => popupRef.current?.closed && end("closed", true), 400) : undefined;
    return () => {
      window.removeEventListener("message", onMessage);
      if (timer) window.clearInterval(timer);
    };
  }, [isOpen, mode, end, latchkeyOrigin]);

  return { open, close, ready, isOpen, frame: { src, ref: frameRef } };
}

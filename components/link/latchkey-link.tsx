"use client";

import { useEffect, useId, useRef, type ReactNode } from "react";
import { useLatchkeyLink, type LatchkeyLinkOptions } from "./use-latchkey-link";

type Props = LatchkeyLinkOptions & { children?: ReactNode; className?: string; disabled?: boolean };

/**
 * A button that opens Latchkey Link for one link token, in an accessible modal (an iframe of the
 * hosted page) or a popup. Events arrive as callbacks; see useLatchkeyLink for the checks.
 */
export function LatchkeyLink({ children = "Connect accounts", className = "btn btn-primary", disabled, ...opts }: Props) {
  const link = useLatchkeyLink(opts);
  const trigger = useRef<HTMLButtonElement>(null);
  return (
    <>
      <button ref={trigger} type="button" className={className} disabled={disabled || link.isOpen} onClick={link.open}>
        {children}
      </button>
      {link.isOpen && link.frame.src ? (
        <LinkModal src={link.frame.src} frameRef={link.frame.ref} ready={link.ready} onClose={link.close} returnFocus={trigger} />
      ) : null}
    </>
  );
}

/**
 * The dialog: labelled, aria-modal, focus kept inside (the close button and the frame), Escape
 * closes it (an `exit`), and focus goes back to what opened it.
 */
export function LinkModal({
  src,
  frameRef,
  ready,
  onClose,
  returnFocus,
}: {
  src: string;
  frameRef: React.RefObject<HTMLIFrameElement | null>;
  ready: boolean;
  onClose: () => void;
  returnFocus?: React.RefObject<HTMLElement | null>;
}) {
  const titleId = useId();
  const dialog = useRef<HTMLDivElement>(null);
  const closeBtn = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    const back = returnFocus?.current ?? null;
    closeBtn.current?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") {
        e.preventDefault();
        onClose();
      } else if (e.key === "Tab") {
        const items = [closeBtn.current, frameRef.current].filter((x): x is HTMLButtonElement | HTMLIFrameElement => Boolean(x));
        const first = items[0];
        const last = items.at(-1);
        if (!first || !last) return;
        if (e.shiftKey && document.activeElement === first) {
          e.preventDefault();
          last.focus();
        } else if (!e.shiftKey && document.activeElement === last) {
          e.preventDefault();
          first.focus();
        } else if (!dialog.current?.contains(document.activeElement)) {
          e.preventDefault();
          first.focus();
        }
      }
    };
    document.addEventListener("keydown", onKey);
    const overflow = document.body.style.overflow;
    document.body.style.overflow = "hidden";
    return () => {
      document.removeEventListener("keydown", onKey);
      document.body.style.overflow = overflow;
      back?.focus();
    };
  }, [onClose, frameRef, returnFocus]);

  return (
    <div className="fixed inset-0 z-50 flex items-center justify-center bg-zinc-950/60 p-2 sm:p-6">
      <div ref={dialog} role="dialog" aria-modal="true" aria-labelledby={titleId} data-testid="latchkey-link-modal" className="flex h-full max-h-[760px] w-full max-w-md flex-col overflow-hidden rounded-lg bg-white shadow-xl">
        <div className="flex items-center justify-between border-b border-zinc-200 px-3 py-2">
          <h2 id={titleId} className="text-sm font-semibold text-zinc-900">
            Connect your accounts
          </h2>
          <button ref={closeBtn} type="button" onClick={onClose} className="btn" aria-label="Close">
            ✕
          </button>
        </div>
        <iframe
          ref={frameRef}
          src={src}
          title="Latchkey Link"
          aria-busy={!ready}
          className="w-full flex-1 border-0"
          // No allow-top-navigation: Link never moves the app's page; the app hears `exit`.
          sandbox="allow-scripts allow-same-origin allow-forms allow-popups allow-popups-to-escape-sandbox"
          referrerPolicy="no-referrer"
        />
      </div>
    </div>
  );
}

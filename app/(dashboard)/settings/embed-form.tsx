"use client";

import { useState, useTransition } from "react";
import { useRouter } from "next/navigation";
import { updateEmbedSettingsAction } from "./actions";
import { FieldError, FormError } from "@/components/ui/form-error";
import type { EmbedSettings } from "@/lib/schemas/environment-settings";

const toText = (s: EmbedSettings | null) => (s?.allowed_origins ?? []).join("\n");

/** The origins that may frame the Link page and receive its events. */
export function EmbedForm({ current, canEdit, environmentName }: { current: EmbedSettings | null; canEdit: boolean; environmentName: string }) {
  const router = useRouter();
  const [text, setText] = useState(toText(current));
  const [error, setError] = useState<string | null>(null);
  const [fieldError, setFieldError] = useState<string | undefined>(undefined);
  const [saved, setSaved] = useState(false);
  const [pending, start] = useTransition();

  const submit = () =>
    start(async () => {
      setError(null);
      setFieldError(undefined);
      setSaved(false);
      const origins = text.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);
      const r = await updateEmbedSettingsAction({ embed: origins.length ? { allowed_origins: origins } : null });
      if (!r.ok) {
        setError(r.error.message);
        // Name the offending line: issues come back as embed.allowed_origins.<index>.
        const issue = r.error.issues?.[0];
        const m = issue ? /allowed_origins\.(\d+)/.exec(issue.path) : null;
        setFieldError(issue ? (m ? `${origins[Number(m[1])]}: ${issue.message}` : issue.message) : undefined);
        return;
      }
      setText(toText(r.data.embed));
      setSaved(true);
      router.refresh();
    });

  return (
    <form
      className="card space-y-3 p-4"
      data-testid="embed-form"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      <div>
        <h2 className="font-semibold">Embedding Link in {environmentName}</h2>
        <p className="mt-1 text-sm text-zinc-600">
          Pages on these origins may show the Link page in a frame or popup (<code>&lt;LatchkeyLink&gt;</code>, <code>/link.js</code>) and receive its events. Anything
          else gets no events, and browsers refuse to frame the page there.
        </p>
      </div>
      <div>
        <label className="label" htmlFor="embed-allowed-origins">
          Allowed origins
        </label>
        <textarea
          id="embed-allowed-origins"
          className="input min-h-24 font-mono text-sm"
          value={text}
          disabled={!canEdit}
          aria-invalid={Boolean(fieldError)}
          aria-describedby="embed-allowed-origins-hint embed-allowed-origins-error"
          onChange={(e) => setText(e.target.value)}
        />
        <p id="embed-allowed-origins-hint" className="mt-1 text-xs text-zinc-500">
          One per line, exactly as the browser shows it: https://app.example.com (no path, no trailing slash, no wildcard; http only on localhost). Up to 20.
        </p>
        <FieldError id="embed-allowed-origins-error" message={fieldError} />
      </div>
      <FormError message={error} />
      {saved ? (
        <p role="status" className="text-sm text-emerald-700">
          Saved.
        </p>
      ) : null}
      {canEdit ? (
        <button type="submit" className="btn btn-primary" disabled={pending}>
          {pending ? "Saving…" : "Save"}
        </button>
      ) : (
        <p className="text-sm text-zinc-600">Only admins can change where Link may be embedded.</p>
      )}
    </form>
  );
}

"use client";

import { useState, useTransition } from "react";
import { useRouter } from "next/navigation";
import { updateIdpSettingsAction } from "./actions";
import { FieldError, FormError } from "@/components/ui/form-error";
import type { IdpSettings } from "@/lib/schemas/environment-settings";

type Fields = { issuer: string; jwks_url: string; audience: string; user_claim: string; auto_create_users: boolean };

const fromSettings = (s: IdpSettings | null): Fields => ({
  issuer: s?.issuer ?? "",
  jwks_url: s?.jwks_url ?? "",
  audience: Array.isArray(s?.audience) ? s.audience.join(", ") : (s?.audience ?? ""),
  user_claim: s?.user_claim ?? "sub",
  auto_create_users: s?.auto_create_users ?? false,
});

/** The identity provider whose JWTs may call /mcp/{tool_pack_slug} as registered users. */
export function IdpForm({ current, canEdit, environmentName }: { current: IdpSettings | null; canEdit: boolean; environmentName: string }) {
  const router = useRouter();
  const [f, setF] = useState<Fields>(fromSettings(current));
  const [error, setError] = useState<string | null>(null);
  const [issues, setIssues] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState(false);
  const [pending, start] = useTransition();

  const submit = (idp: IdpSettings | null) =>
    start(async () => {
      setError(null);
      setIssues({});
      setSaved(false);
      const r = await updateIdpSettingsAction({ idp });
      if (!r.ok) {
        setError(r.error.message);
        setIssues(Object.fromEntries((r.error.issues ?? []).map((i) => [i.path.replace(/^idp\./, ""), i.message])));
        return;
      }
      setF(fromSettings(r.data.idp));
      setSaved(true);
      router.refresh();
    });

  const audiences = f.audience.split(",").map((s) => s.trim()).filter(Boolean);
  const field = (key: "issuer" | "jwks_url" | "audience" | "user_claim", label: string, hint: string) => (
    <div>
      <label className="label" htmlFor={`idp-${key}`}>
        {label}
      </label>
      <input
        id={`idp-${key}`}
        className="input"
        value={f[key]}
        disabled={!canEdit}
        maxLength={2000}
        aria-invalid={Boolean(issues[key])}
        aria-describedby={`idp-${key}-hint`}
        onChange={(e) => setF({ ...f, [key]: e.target.value })}
      />
      <p id={`idp-${key}-hint`} className="mt-1 text-xs text-zinc-500">
        {hint}
      </p>
      <FieldError id={`idp-${key}-error`} message={issues[key]} />
    </div>
  );

  return (
    <form
      className="card space-y-3 p-4"
      data-testid="idp-form"
      onSubmit={(e) => {
        e.preventDefault();
        submit({ issuer: f.issuer.trim(), jwks_url: f.jwks_url.trim(), audience: audiences.length === 1 ? audiences[0]! : audiences, user_claim: f.user_claim.trim() || "sub", auto_create_users: f.auto_create_users });
      }}
    >
      <div>
        <h2 className="font-semibold">Identity provider of {environmentName} (JWT gateway tokens)</h2>
        <p className="mt-1 text-sm text-zinc-600">
          Agents may call <code>/mcp/&lt;tool pack slug&gt;</code> with a JWT from your identity provider. Latchkey checks its signature against the JWKS, its
          issuer, audience and expiry, and serves the registered user whose <code>origin_user_id</code> is the claim below.
        </p>
      </div>
      {field("issuer", "Issuer", "Exactly the iss claim of your tokens, e.g. https://login.example.com/")}
      {field("jwks_url", "JWKS URL", "https only, fetched through the outbound guard.")}
      {field("audience", "Audience", "The aud your tokens carry; several separated by commas.")}
      {field("user_claim", "User claim", "Which claim holds your user id (default sub).")}
      <label className="flex items-center gap-2 text-sm">
        <input type="checkbox" checked={f.auto_create_users} disabled={!canEdit} onChange={(e) => setF({ ...f, auto_create_users: e.target.checked })} />
        Create the registered user on first use (otherwise an unknown user gets 401)
      </label>
      <FormError message={error} />
      {saved ? (
        <p role="status" className="text-sm text-emerald-700">
          Saved.
        </p>
      ) : null}
      {canEdit ? (
        <div className="flex gap-2">
          <button type="submit" className="btn btn-primary" disabled={pending}>
            {pending ? "Saving…" : "Save"}
          </button>
          {current ? (
            <button
              type="button"
              className="btn btn-danger"
              disabled={pending}
              onClick={() => {
                if (window.confirm("Stop accepting this identity provider's tokens?")) submit(null);
              }}
            >
              Remove
            </button>
          ) : null}
        </div>
      ) : (
        <p className="text-sm text-zinc-600">Only admins can change the identity provider.</p>
      )}
    </form>
  );
}

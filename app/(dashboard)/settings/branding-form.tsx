"use client";

import { useState, useTransition } from "react";
import { useRouter } from "next/navigation";
import { updateBrandingSettingsAction } from "./actions";
import { FieldError, FormError } from "@/components/ui/form-error";
import type { BrandingSettings } from "@/lib/schemas/environment-settings";

type Fields = { name: string; logo_url: string; accent_color: string };
const fromSettings = (s: BrandingSettings | null): Fields => ({ name: s?.name ?? "", logo_url: s?.logo_url ?? "", accent_color: s?.accent_color ?? "" });

/** Name, logo and accent colour of the hosted Link page; empty fields fall back to the defaults. */
export function BrandingForm({ current, canEdit, environmentName, defaultName }: { current: BrandingSettings | null; canEdit: boolean; environmentName: string; defaultName: string }) {
  const router = useRouter();
  const [f, setF] = useState<Fields>(fromSettings(current));
  const [error, setError] = useState<string | null>(null);
  const [issues, setIssues] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState(false);
  const [pending, start] = useTransition();

  const submit = () =>
    start(async () => {
      setError(null);
      setIssues({});
      setSaved(false);
      const branding = Object.fromEntries(Object.entries(f).map(([k, v]) => [k, v.trim()]).filter(([, v]) => v)) as BrandingSettings;
      const r = await updateBrandingSettingsAction({ branding: Object.keys(branding).length ? branding : null });
      if (!r.ok) {
        setError(r.error.message);
        setIssues(Object.fromEntries((r.error.issues ?? []).map((i) => [i.path.replace(/^branding\./, ""), i.message])));
        return;
      }
      setF(fromSettings(r.data.branding));
      setSaved(true);
      router.refresh();
    });

  const field = (key: keyof Fields, label: string, hint: string, placeholder: string) => (
    <div>
      <label className="label" htmlFor={`branding-${key}`}>
        {label}
      </label>
      <input
        id={`branding-${key}`}
        className="input"
        value={f[key]}
        placeholder={placeholder}
        disabled={!canEdit}
        maxLength={key === "logo_url" ? 100_000 : 100}
        aria-invalid={Boolean(issues[key])}
        aria-describedby={`branding-${key}-hint${issues[key] ? ` branding-${key}-error` : ""}`}
        onChange={(e) => setF({ ...f, [key]: e.target.value })}
      />
      <p id={`branding-${key}-hint`} className="mt-1 text-xs text-zinc-500">
        {hint}
      </p>
      <FieldError id={`branding-${key}-error`} message={issues[key]} />
    </div>
  );

  return (
    <form
      className="card space-y-3 p-4"
      data-testid="branding-form"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      <div>
        <h2 className="font-semibold">Link page branding of {environmentName}</h2>
        <p className="mt-1 text-sm text-zinc-600">What your end users see when they connect their accounts. Empty fields use the defaults.</p>
      </div>
      {field("name", "Name", `Shown as who is asking (default: ${defaultName}).`, defaultName)}
      {field("logo_url", "Logo URL", "https, or a small data:image URL.", "https://example.com/logo.png")}
      {field("accent_color", "Accent colour", "#rgb or #rrggbb.", "#4f46e5")}
      <FormError message={error} />
      {saved ? (
        <p role="status" className="text-sm text-emerald-700">
          Saved.
        </p>
      ) : null}
      {canEdit ? (
        <button type="submit" className="btn btn-primary" disabled={pending}>
          {pending ? "Saving…" : "Save branding"}
        </button>
      ) : (
        <p className="text-sm text-zinc-600">Only admins can change the branding.</p>
      )}
    </form>
  );
}

"use client";

import { useState, useTransition } from "react";
import { useRouter } from "next/navigation";
import { createEnvironmentAction, createOrganizationAction } from "../actions";
import { FormError } from "@/components/ui/form-error";

function OneFieldForm({ label, button, onSubmit }: { label: string; button: string; onSubmit: (v: string) => Promise<{ ok: boolean; error?: { message: string } }> }) {
  const router = useRouter();
  const [value, setValue] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [pending, start] = useTransition();
  const id = label.toLowerCase().replace(/\W+/g, "-");
  return (
    <form
      className="card space-y-2 p-4"
      onSubmit={(e) => {
        e.preventDefault();
        start(async () => {
          setError(null);
          const r = await onSubmit(value);
          if (!r.ok) return setError(r.error?.message ?? "Failed");
          setValue("");
          router.refresh();
        });
      }}
    >
      <label className="label" htmlFor={id}>
        {label}
      </label>
      <div className="flex gap-2">
        <input id={id} className="input" value={value} onChange={(e) => setValue(e.target.value)} maxLength={100} />
        <button className="btn btn-primary" disabled={pending}>
          {pending ? "Saving…" : button}
        </button>
      </div>
      <FormError message={error} />
    </form>
  );
}

export function SettingsClient({ canAddEnvironment }: { canAddEnvironment: boolean }) {
  return (
    <div className="space-y-4">
      {canAddEnvironment ? <OneFieldForm label="New test environment" button="Add" onSubmit={(name) => createEnvironmentAction({ name })} /> : null}
      <OneFieldForm label="New organization" button="Create" onSubmit={(name) => createOrganizationAction({ name })} />
    </div>
  );
}

"use client";

import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import { createToolPackAction } from "./actions";
import { FieldError, FormError } from "@/components/ui/form-error";

export function NewPackForm() {
  const router = useRouter();
  const [name, setName] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [fieldError, setFieldError] = useState<string | undefined>();
  const [pending, start] = useTransition();
  return (
    <form
      className="card flex flex-wrap items-end gap-3 p-4"
      onSubmit={(e) => {
        e.preventDefault();
        start(async () => {
          setError(null);
          setFieldError(undefined);
          const r = await createToolPackAction({ name, entries: [] });
          if (!r.ok) {
            setError(r.error.message);
            setFieldError(r.error.issues?.find((i) => i.path === "name" || i.path === "slug")?.message);
            return;
          }
          router.push(`/tool-packs/${r.data.id}`);
        });
      }}
    >
      <div className="min-w-64 flex-1">
        <label className="label" htmlFor="pack-name">
          New tool pack name
        </label>
        <input id="pack-name" className="input" value={name} onChange={(e) => setName(e.target.value)} maxLength={100} placeholder="e.g. Support agent" />
        <FieldError id="pack-name-error" message={fieldError} />
      </div>
      <button className="btn btn-primary" disabled={pending}>
        {pending ? "Creating…" : "Create tool pack"}
      </button>
      <div className="w-full">
        <FormError message={error} />
      </div>
    </form>
  );
}

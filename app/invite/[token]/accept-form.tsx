"use client";

import { useState, useTransition } from "react";
import { acceptInvitationAction } from "./actions";
import { FieldError, FormError } from "@/components/ui/form-error";

export function AcceptForm({ token, email, role, existing }: { token: string; email: string; role: string; existing: boolean }) {
  const [error, setError] = useState<string | null>(null);
  const [pwError, setPwError] = useState<string | undefined>();
  const [done, setDone] = useState(false);
  const [pending, start] = useTransition();
  if (done) {
    return (
      <p role="status" className="card p-6 text-sm">
        You have joined. <a className="text-indigo-700 underline" href="/login">Sign in</a> as {email}.
      </p>
    );
  }
  return (
    <form
      className="card space-y-4 p-6"
      onSubmit={(e) => {
        e.preventDefault();
        const data = new FormData(e.currentTarget);
        start(async () => {
          setError(null);
          setPwError(undefined);
          const r = await acceptInvitationAction({ token, password: String(data.get("password") ?? ""), name: String(data.get("name") ?? "") || undefined });
          if (!r.ok) {
            setError(r.error.message);
            setPwError(r.error.issues?.find((i) => i.path === "password")?.message);
            return;
          }
          setDone(true);
        });
      }}
    >
      <p className="text-sm text-zinc-700">
        You are invited as <strong>{role}</strong> with <strong>{email}</strong>.
      </p>
      {existing ? null : (
        <div>
          <label className="label" htmlFor="name">
            Your name
          </label>
          <input id="name" name="name" className="input" maxLength={100} />
        </div>
      )}
      <div>
        <label className="label" htmlFor="password">
          {existing ? "Your current password" : "Choose a password (12+ characters)"}
        </label>
        <input id="password" name="password" type="password" className="input" required autoComplete={existing ? "current-password" : "new-password"} aria-describedby="password-error" />
        <FieldError id="password-error" message={pwError} />
      </div>
      <FormError message={error} />
      <button className="btn btn-primary w-full" disabled={pending}>
        {pending ? "Joining…" : "Join"}
      </button>
    </form>
  );
}

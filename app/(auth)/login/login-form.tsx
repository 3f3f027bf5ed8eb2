"use client";

import { signIn } from "next-auth/react";
import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import { FormError } from "@/components/ui/form-error";

export function LoginForm({ sso }: { sso: { name: string } | null }) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [pending, start] = useTransition();
  return (
    <div className="card space-y-4 p-6">
      <form
        className="space-y-4"
        onSubmit={(e) => {
          e.preventDefault();
          const data = new FormData(e.currentTarget);
          start(async () => {
            setError(null);
            const r = await signIn("credentials", { email: data.get("email"), password: data.get("password"), redirect: false });
            if (!r || r.error) {
              setError("Wrong email or password, or too many attempts. Try again in a few minutes.");
              return;
            }
            router.replace("/");
            router.refresh();
          });
        }}
      >
        <div>
          <label className="label" htmlFor="email">
            Email
          </label>
          <input id="email" name="email" type="email" autoComplete="username" required className="input" />
        </div>
        <div>
          <label className="label" htmlFor="password">
            Password
          </label>
          <input id="password" name="password" type="password" autoComplete="current-password" required className="input" />
        </div>
        <FormError message={error} />
        <button className="btn btn-primary w-full" type="submit" disabled={pending}>
          {pending ? "Signing in…" : "Sign in"}
        </button>
      </form>
      {sso ? (
        <button type="button" className="btn btn-secondary w-full" onClick={() => signIn("oidc", { callbackUrl: "/" })}>
          Continue with {sso.name}
        </button>
      ) : null}
    </div>
  );
}

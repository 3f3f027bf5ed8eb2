"use client";

import { signOut } from "next-auth/react";

export function SignOutButton() {
  return (
    <button type="button" className="text-sm text-zinc-500 underline-offset-2 hover:underline" onClick={() => signOut({ callbackUrl: "/login" })}>
      Sign out
    </button>
  );
}

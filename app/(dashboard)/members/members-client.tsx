"use client";

import { useState, useTransition } from "react";
import { useRouter } from "next/navigation";
import { changeRoleAction, inviteMemberAction, removeMemberAction, revokeInvitationAction } from "./actions";
import { EmptyState, FieldError, FormError } from "@/components/ui/form-error";
import type { Role } from "@/db/schema";

const ROLES: Role[] = ["owner", "admin", "developer", "viewer"];

type Member = { userId: string; email: string; name: string | null; role: Role; joinedAt: string; lastLoginAt: string | null };
type Invite = { id: string; email: string; role: Role; expiresAt: string };

export function MembersClient({ me, myRole, canManage, members, invites }: { me: string; myRole: Role; canManage: boolean; members: Member[]; invites: Invite[] }) {
  const router = useRouter();
  const [pending, start] = useTransition();
  const [error, setError] = useState<string | null>(null);
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<Role>("developer");
  const [emailError, setEmailError] = useState<string | undefined>();
  const [link, setLink] = useState<string | null>(null);
  const run = (fn: () => Promise<{ ok: boolean; error?: { message: string } }>) =>
    start(async () => {
      setError(null);
      const r = await fn();
      if (!r.ok) setError(r.error?.message ?? "Failed");
      router.refresh();
    });

  return (
    <div className="space-y-6">
      <FormError message={error} />
      {canManage ? (
        <form
          className="card flex flex-wrap items-end gap-3 p-4"
          onSubmit={(e) => {
            e.preventDefault();
            setEmailError(undefined);
            start(async () => {
              setError(null);
              const r = await inviteMemberAction({ email, role });
              if (!r.ok) {
                setError(r.error.message);
                setEmailError(r.error.issues?.find((i) => i.path === "email")?.message);
                return;
              }
              setLink(`${window.location.origin}${r.data.path}`);
              setEmail("");
              router.refresh();
            });
          }}
        >
          <div className="min-w-64 flex-1">
            <label className="label" htmlFor="invite-email">
              Invite by email
            </label>
            <input id="invite-email" className="input" type="email" value={email} onChange={(e) => setEmail(e.target.value)} aria-describedby="invite-email-error" />
            <FieldError id="invite-email-error" message={emailError} />
          </div>
          <div>
            <label className="label" htmlFor="invite-role">
              Role
            </label>
            <select id="invite-role" className="input" value={role} onChange={(e) => setRole(e.target.value as Role)}>
              {ROLES.filter((r) => r !== "owner" || myRole === "owner").map((r) => (
                <option key={r}>{r}</option>
              ))}
            </select>
          </div>
          <button className="btn btn-primary" type="submit" disabled={pending}>
            {pending ? "Inviting…" : "Create invitation"}
          </button>
        </form>
      ) : null}
      {link ? (
        <div role="status" className="card border-emerald-300 bg-emerald-50 p-4">
          <p className="text-sm font-medium text-emerald-900">Send this link to the person you invited (valid 7 days, usable once). It is not shown again.</p>
          <code data-testid="invite-link" className="mt-2 block overflow-x-auto rounded bg-white px-3 py-2 text-sm">
            {link}
          </code>
        </div>
      ) : null}

      <div className="card overflow-hidden">
        <table className="w-full text-left text-sm">
          <thead className="bg-zinc-50 text-xs uppercase text-zinc-500">
            <tr>
              <th className="px-4 py-2">Member</th>
              <th className="px-4 py-2">Role</th>
              <th className="px-4 py-2">Last sign-in</th>
              <th className="px-4 py-2">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody className="divide-y divide-zinc-100">
            {members.map((m) => (
              <tr key={m.userId}>
                <td className="px-4 py-2">
                  <div className="font-medium">{m.name ?? m.email}</div>
                  <div className="text-xs text-zinc-500">{m.email}</div>
                </td>
                <td className="px-4 py-2">
                  {canManage && m.userId !== me ? (
                    <select
                      aria-label={`Role of ${m.email}`}
                      className="input py-1"
                      value={m.role}
                      disabled={pending}
                      onChange={(e) => run(() => changeRoleAction({ userId: m.userId, role: e.target.value as Role }))}
                    >
                      {ROLES.map((r) => (
                        <option key={r}>{r}</option>
                      ))}
                    </select>
                  ) : (
                    m.role
                  )}
                </td>
                <td className="px-4 py-2">{m.lastLoginAt ? new Date(m.lastLoginAt).toLocaleString() : "never"}</td>
                <td className="px-4 py-2 text-right">
                  {canManage && m.userId !== me ? (
                    <button
                      type="button"
                      className="btn btn-danger py-1"
                      disabled={pending}
                      onClick={() => window.confirm(`Remove ${m.email}?`) && run(() => removeMemberAction({ userId: m.userId }))}
                    >
                      Remove
                    </button>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>

      <section>
        <h2 className="mb-2 font-semibold">Pending invitations</h2>
        {invites.length === 0 ? (
          <EmptyState title="No pending invitations" />
        ) : (
          <ul className="card divide-y divide-zinc-100">
            {invites.map((i) => (
              <li key={i.id} className="flex items-center justify-between px-4 py-2 text-sm">
                <span>
                  {i.email} as <strong>{i.role}</strong>, expires {new Date(i.expiresAt).toLocaleDateString()}
                </span>
                {canManage ? (
                  <button type="button" className="btn btn-secondary py-1" disabled={pending} onClick={() => run(() => revokeInvitationAction({ id: i.id }))}>
                    Revoke
                  </button>
                ) : null}
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}

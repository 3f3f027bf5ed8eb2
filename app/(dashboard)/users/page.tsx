import Link from "next/link";
import * as z from "zod";
import { EmptyState } from "@/components/ui/form-error";
import { requireDashboard } from "@/lib/dashboard/context";
import { listRegisteredUsers } from "@/lib/registered-users/service";
import { getRuntime } from "@/lib/runtime";

export const metadata = { title: "Registered users" };

const q = z.object({
  search: z.string().trim().max(255).optional(),
  group: z.string().trim().max(100).optional(),
  cursor: z.string().max(200).regex(/^[A-Za-z0-9_-]+$/).optional(),
});

export default async function UsersPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  const ctx = await requireDashboard();
  const rt = await getRuntime();
  const parsed = q.safeParse(await searchParams);
  const f = parsed.success ? parsed.data : {};
  const r = await listRegisteredUsers(rt.db, { environmentId: ctx.environment.id, limit: 50, cursor: f.cursor, search: f.search || undefined, group: f.group || undefined });
  return (
    <div className="max-w-5xl space-y-6">
      <header>
        <h1 className="text-2xl font-semibold">Registered users</h1>
        <p className="mt-1 text-sm text-zinc-600">Your product&apos;s users in {ctx.environment.name}, created by your backend with POST /api/v1/registered-users.</p>
      </header>
      <form className="card flex flex-wrap items-end gap-3 p-4" method="get">
        <div>
          <label className="label" htmlFor="search">
            Origin user id or email starts with
          </label>
          <input id="search" name="search" className="input" defaultValue={f.search ?? ""} />
        </div>
        <div>
          <label className="label" htmlFor="group">
            Shared credential group
          </label>
          <input id="group" name="group" className="input" defaultValue={f.group ?? ""} />
        </div>
        <button className="btn btn-secondary">Filter</button>
      </form>
      {r.data.length === 0 ? (
        <EmptyState title="No registered users">Create one from your backend: POST /api/v1/registered-users {"{ origin_user_id }"}.</EmptyState>
      ) : (
        <div className="card overflow-hidden">
          <table className="w-full text-left text-sm">
            <thead className="bg-zinc-50 text-xs uppercase text-zinc-500">
              <tr>
                <th className="px-4 py-2">Origin user id</th>
                <th className="px-4 py-2">Email</th>
                <th className="px-4 py-2">Group</th>
                <th className="px-4 py-2">Created</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-zinc-100">
              {r.data.map((u) => (
                <tr key={u.id}>
                  <td className="px-4 py-2">
                    <Link className="font-medium text-indigo-700 underline" href={`/users/${u.id}`}>
                      {u.originUserId}
                    </Link>
                  </td>
                  <td className="px-4 py-2">{u.email ?? "—"}</td>
                  <td className="px-4 py-2">{u.sharedCredentialGroup ?? "—"}</td>
                  <td className="px-4 py-2">{u.createdAt.toLocaleString()}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {r.nextCursor ? (
        <Link className="btn btn-secondary" href={`/users?${new URLSearchParams({ ...(f.search ? { search: f.search } : {}), ...(f.group ? { group: f.group } : {}), cursor: r.nextCursor })}`}>
          Next page
        </Link>
      ) : null}
    </div>
  );
}

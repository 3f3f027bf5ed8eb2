import Link from "next/link";
import * as z from "zod";
import { EmptyState } from "@/components/ui/form-error";
import { requireDashboard } from "@/lib/dashboard/context";
import { listOutbox } from "@/lib/email/outbox";
import { getRuntime } from "@/lib/runtime";

export const metadata = { title: "Email outbox" };

const q = z.object({ cursor: z.string().max(200).regex(/^[A-Za-z0-9_-]+$/).optional() });

const STATUS_CLASS = { outbox: "text-indigo-700", sent: "text-emerald-700", failed: "text-red-700" } as const;

export default async function OutboxPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  const ctx = await requireDashboard();
  const rt = await getRuntime();
  const parsed = q.safeParse(await searchParams);
  let p: Awaited<ReturnType<typeof listOutbox>>;
  try {
    p = await listOutbox(rt.db, { environmentId: ctx.environment.id, limit: 50, cursor: parsed.success ? parsed.data.cursor : undefined });
  } catch {
    p = await listOutbox(rt.db, { environmentId: ctx.environment.id, limit: 50 });
  }
  const smtp = Boolean(rt.env.SMTP_URL);
  return (
    <div className="max-w-5xl space-y-6">
      <header>
        <h1 className="text-2xl font-semibold">Email outbox</h1>
        <p className="mt-1 text-sm text-zinc-600" data-testid="outbox-mode">
          {smtp
            ? "Emails go out through the SMTP server in SMTP_URL. Only who, what and whether it was accepted are kept here, never the email itself."
            : "No SMTP server is configured (SMTP_URL), so nothing is sent: every email is kept here instead, so you can see, and follow, what would have been sent."}
        </p>
      </header>
      {p.data.length === 0 ? (
        <EmptyState title="No emails yet">Magic links created with send_email appear here, newest first.</EmptyState>
      ) : (
        <div className="card overflow-x-auto">
          <table className="w-full text-left text-sm">
            <thead className="bg-zinc-50 text-xs uppercase text-zinc-500">
              <tr>
                <th className="px-4 py-2">Time</th>
                <th className="px-4 py-2">To</th>
                <th className="px-4 py-2">Subject</th>
                <th className="px-4 py-2">Status</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-zinc-100" data-testid="outbox-rows">
              {p.data.map((e) => (
                <tr key={e.id} data-testid="outbox-row">
                  <td className="whitespace-nowrap px-4 py-2">
                    <time dateTime={e.createdAt.toISOString()}>{e.createdAt.toLocaleString()}</time>
                  </td>
                  <td className="px-4 py-2">{e.toAddress}</td>
                  <td className="px-4 py-2">
                    <Link className="text-indigo-700 underline" href={`/outbox/${e.id}`}>
                      {e.subject}
                    </Link>
                  </td>
                  <td className="px-4 py-2">
                    <span className={STATUS_CLASS[e.status]}>{e.status === "outbox" ? "not sent (outbox)" : e.status}</span>
                    {e.error ? <span className="ml-2 text-xs text-zinc-500">{e.error}</span> : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {p.nextCursor ? (
        <Link className="btn btn-secondary" href={`/outbox?cursor=${p.nextCursor}`}>
          Older emails
        </Link>
      ) : null}
    </div>
  );
}

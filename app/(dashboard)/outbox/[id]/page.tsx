import Link from "next/link";
import { notFound } from "next/navigation";
import { requireDashboard, hasRole } from "@/lib/dashboard/context";
import { getOutboxEmail } from "@/lib/email/outbox";
import { getRuntime } from "@/lib/runtime";

export const metadata = { title: "Email" };

/** The plain-text body with its links clickable, so a developer can follow a magic link from here. */
function Linkified({ text }: { text: string }) {
  const parts = text.split(/(https?:\/\/[^\s<>"]+)/g);
  return (
    <>
      {parts.map((part, i) =>
        i % 2 === 1 ? (
          <a key={i} href={part} className="break-all text-indigo-700 underline" data-testid="outbox-link">
            {part}
          </a>
        ) : (
          part
        ),
      )}
    </>
  );
}

export default async function OutboxEmailPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const ctx = await requireDashboard();
  const rt = await getRuntime();
  const email = /^eml_[0-9a-z]{22}$/.test(id) ? await getOutboxEmail(rt, ctx.environment, id) : null;
  if (!email) notFound();
  // The body holds a working magic link: who may read it is who may act for end users.
  const mayRead = hasRole(ctx.role, "developer");
  return (
    <div className="max-w-4xl space-y-6">
      <p>
        <Link href="/outbox" className="text-sm text-indigo-700 underline">
          ← Email outbox
        </Link>
      </p>
      <header>
        <h1 className="text-2xl font-semibold" data-testid="outbox-subject">
          {email.subject}
        </h1>
        <dl className="mt-2 grid grid-cols-[8rem_1fr] gap-1 text-sm">
          <dt className="text-zinc-500">To</dt>
          <dd>{email.toAddress}</dd>
          <dt className="text-zinc-500">Time</dt>
          <dd>
            <time dateTime={email.createdAt.toISOString()}>{email.createdAt.toLocaleString()}</time>
          </dd>
          <dt className="text-zinc-500">Status</dt>
          <dd>
            {email.status === "outbox" ? "not sent: no SMTP server configured" : email.status}
            {email.error ? <span className="ml-2 text-zinc-600">({email.error})</span> : null}
          </dd>
          {email.magicLinkId ? (
            <>
              <dt className="text-zinc-500">Magic link</dt>
              <dd>
                <code>{email.magicLinkId}</code>
              </dd>
            </>
          ) : null}
        </dl>
      </header>
      {!email.body ? (
        <p className="card p-4 text-sm text-zinc-600">This email went to an SMTP server: only its delivery record is kept, not its content.</p>
      ) : !mayRead ? (
        <p className="card p-4 text-sm text-zinc-600">The body holds a working magic link; reading it needs the developer role or higher.</p>
      ) : (
        <>
          <section className="space-y-2">
            <h2 className="font-semibold">Text</h2>
            <pre className="card overflow-x-auto whitespace-pre-wrap p-4 text-sm" data-testid="outbox-text">
              <Linkified text={email.body.text} />
            </pre>
          </section>
          <section className="space-y-2">
            <h2 className="font-semibold">HTML</h2>
            {/* Sandboxed: no scripts, no same-origin access, whatever the body holds. */}
            <iframe title="HTML version of the email" sandbox="" srcDoc={email.body.html} className="card h-[28rem] w-full bg-white" />
          </section>
        </>
      )}
    </div>
  );
}

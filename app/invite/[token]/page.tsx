import { AcceptForm } from "./accept-form";
import { findOpenInvitation } from "@/lib/orgs/members";
import { findUserByEmail } from "@/lib/orgs/users";
import { getRuntime } from "@/lib/runtime";

export const metadata = { title: "Join organization" };
export const dynamic = "force-dynamic";

export default async function InvitePage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  const rt = await getRuntime();
  const invite = token.length < 200 ? await findOpenInvitation(rt.db, token) : null;
  return (
    <main className="flex min-h-screen items-center justify-center p-4">
      <div className="w-full max-w-sm space-y-6">
        <h1 className="text-center text-2xl font-bold">Join Latchkey</h1>
        {invite ? (
          <AcceptForm token={token} email={invite.email} role={invite.role} existing={Boolean(await findUserByEmail(rt.db, invite.email))} />
        ) : (
          <p role="alert" className="card p-6 text-sm text-zinc-700">
            This invitation link is invalid, expired or already used. Ask an admin for a new one.
          </p>
        )}
      </div>
    </main>
  );
}

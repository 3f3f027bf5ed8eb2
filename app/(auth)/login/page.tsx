import { redirect } from "next/navigation";
import { LoginForm } from "./login-form";
import { oidcEnabled } from "@/lib/auth";
import { getDashboardContext } from "@/lib/dashboard/context";

export const metadata = { title: "Sign in" };
export const dynamic = "force-dynamic";

export default async function LoginPage() {
  if (await getDashboardContext()) redirect("/");
  const sso = await oidcEnabled();
  return (
    <main className="flex min-h-screen items-center justify-center p-4">
      <div className="w-full max-w-sm space-y-6">
        <div className="text-center">
          <h1 className="text-2xl font-bold">Latchkey</h1>
          <p className="text-sm text-zinc-600">Sign in to the dashboard</p>
        </div>
        <LoginForm sso={sso} />
      </div>
    </main>
  );
}

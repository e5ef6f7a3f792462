import { redirect } from "next/navigation";
import { countUsers } from "@/lib/auth/users";
import { sessionActor } from "@/lib/auth/actor";
import { safeCallbackPath } from "@/lib/auth/callback-url";
import { loginErrorMessage } from "@/lib/auth/login-errors";
import { LoginForm } from "./login-form";

export const dynamic = "force-dynamic";
export const metadata = { title: "Sign in" };

export default async function LoginPage({ searchParams }: { searchParams: Promise<{ callbackUrl?: string; error?: string }> }) {
  if ((await countUsers()) === 0) redirect("/setup");
  if (await sessionActor()) redirect(safeCallbackPath((await searchParams).callbackUrl));
  const sp = await searchParams;
  // Only same-origin paths are followed after sign-in.
  const callbackUrl = safeCallbackPath(sp.callbackUrl);
  // Next.js has decoded the value already (decoding again made `%E0` a 500); only known messages are shown.
  return <LoginForm callbackUrl={callbackUrl} initialError={loginErrorMessage(sp.error)} />;
}

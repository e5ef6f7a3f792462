import { redirect } from "next/navigation";
import { countUsers } from "@/lib/auth/users";
import { sessionActor } from "@/lib/auth/actor";
import { LoginForm } from "./login-form";

export const dynamic = "force-dynamic";
export const metadata = { title: "Sign in" };

export default async function LoginPage({ searchParams }: { searchParams: Promise<{ callbackUrl?: string; error?: string }> }) {
  if ((await countUsers()) === 0) redirect("/setup");
  if (await sessionActor()) redirect("/");
  const sp = await searchParams;
  // Only same-site paths are followed after sign-in.
  const callbackUrl = sp.callbackUrl?.startsWith("/") && !sp.callbackUrl.startsWith("//") ? sp.callbackUrl : "/";
  return <LoginForm callbackUrl={callbackUrl} initialError={sp.error && sp.error !== "undefined" ? decodeURIComponent(sp.error) : undefined} />;
}

import { redirect } from "next/navigation";
import { countUsers } from "@/lib/auth/users";
import { SetupForm } from "./setup-form";

export const dynamic = "force-dynamic";
export const metadata = { title: "Set up" };

export default async function SetupPage() {
  // One-time page: gone as soon as any user exists.
  if ((await countUsers()) > 0) redirect("/login");
  return <SetupForm />;
}

import { redirect } from "next/navigation";
import { sessionActor } from "@/lib/auth/actor";
import { countUsers } from "@/lib/auth/users";
import { Nav } from "@/components/shell/nav";
import { HealthBanner } from "@/components/shell/health-banner";
import { UserMenu } from "@/components/shell/user-menu";

export const dynamic = "force-dynamic";

// Session guard for every dashboard page. A convenience, not the security
// boundary: each action and route handler checks the role itself.
export default async function DashboardLayout({ children }: { children: React.ReactNode }) {
  const actor = await sessionActor();
  if (!actor) redirect((await countUsers()) === 0 ? "/setup" : "/login");
  return (
    <div className="flex min-h-screen">
      <aside className="hidden w-56 shrink-0 border-r border-slate-200 bg-white md:block">
        <div className="px-5 py-5 text-xl font-bold tracking-tight text-sky-700">⚓ Wharf</div>
        <Nav />
      </aside>
      <div className="flex min-w-0 flex-1 flex-col">
        <header className="flex items-center justify-between gap-4 border-b border-slate-200 bg-white px-6 py-3">
          <div className="md:hidden">
            <Nav compact />
          </div>
          <div className="flex-1" />
          <UserMenu email={actor.label} role={actor.role} />
        </header>
        <HealthBanner />
        <main className="mx-auto w-full max-w-6xl flex-1 px-6 py-8">{children}</main>
      </div>
    </div>
  );
}

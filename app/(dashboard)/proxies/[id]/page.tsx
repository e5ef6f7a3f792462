import Link from "next/link";
import { notFound } from "next/navigation";
import { requirePageUser } from "@/app/(dashboard)/page-user";
import { isAppError } from "@/lib/errors";
import { getProxy } from "@/lib/standalone-proxies/get-proxy";
import { Badge } from "@/components/ui/badge";
import { Card, PageHeader } from "@/components/ui/card";
import { EditProxyForm } from "../proxy-form";

export const dynamic = "force-dynamic";
export const metadata = { title: "Proxy" };

async function load(id: string) {
  try {
    return await getProxy({ id });
  } catch (err) {
    if (isAppError(err) && err.code === "NOT_FOUND") notFound();
    throw err;
  }
}

function Status({ label, status, error }: { label: string; status: string; error?: string }) {
  return (
    <div>
      <dt className="text-xs uppercase text-slate-500">{label}</dt>
      <dd className="mt-1 space-y-1">
        <Badge>{status}</Badge>
        {error && <p className="break-words text-xs text-rose-700">{error}</p>}
      </dd>
    </div>
  );
}

export default async function ProxyPage({ params }: { params: Promise<{ id: string }> }) {
  const actor = await requirePageUser("viewer");
  const p = await load((await params).id);
  return (
    <>
      <PageHeader title={p.domain} description={`Standalone proxy to ${p.upstream}`} actions={<Link href="/proxies" className="text-sm text-sky-700 hover:underline">← All proxies</Link>} />
      <div className="space-y-6">
        <Card title="Status">
          <dl className="grid gap-4 sm:grid-cols-4">
            <Status label="Route" {...p.route} />
            <Status label="DNS" {...p.dns} />
            <div>
              <dt className="text-xs uppercase text-slate-500">Options</dt>
              <dd className="mt-1 text-sm">{[p.websockets && "WebSockets", p.forceTls && "Force TLS"].filter(Boolean).join(", ") || "—"}</dd>
            </div>
            <div>
              <dt className="text-xs uppercase text-slate-500">Updated</dt>
              <dd className="mt-1 text-sm">{p.updatedAt.toLocaleString()}</dd>
            </div>
          </dl>
        </Card>
        {actor.role === "admin" && (
          <Card title="Edit">
            <EditProxyForm id={p.id} initial={{ domain: p.domain, upstream: p.upstream, websockets: p.websockets, forceTls: p.forceTls }} />
          </Card>
        )}
      </div>
    </>
  );
}

import { requirePageUser } from "@/app/(dashboard)/page-user";
import { listEvents } from "@/lib/audit/list-events";
import { listSyncRuns } from "@/lib/reconcile/list-runs";
import { Card, EmptyState, PageHeader } from "@/components/ui/card";
import { Badge } from "@/components/ui/badge";

export const dynamic = "force-dynamic";
export const metadata = { title: "Activity" };

function summary(report: string | null): string {
  if (!report) return "—";
  try {
    const r = JSON.parse(report) as Record<string, unknown>;
    return ["created", "updated", "deleted", "alreadySynced", "failed", "foreign"].map((k) => `${k} ${Array.isArray(r[k]) ? (r[k] as unknown[]).length : (r[k] ?? 0)}`).join(" · ");
  } catch {
    return "—";
  }
}

export default async function ActivityPage() {
  await requirePageUser("viewer");
  const [runs, events] = await Promise.all([listSyncRuns({ limit: 50 }), listEvents({ limit: 200 })]);
  return (
    <>
      <PageHeader title="Activity" description="Sync runs and the audit log: who did what, when, with what result." />
      <Card title="Sync runs" className="mb-6">
        {runs.length === 0 ? (
          <EmptyState title="No sync has run yet">Syncs run from the scheduler, the cron route, the CLI and “Sync now” on the DNS page.</EmptyState>
        ) : (
          <table className="w-full text-left text-sm" data-testid="sync-runs">
            <thead className="text-xs uppercase text-slate-500"><tr><th className="py-1">Started</th><th>Trigger</th><th>Status</th><th>Duration</th><th>API calls</th><th>Report</th></tr></thead>
            <tbody>
              {runs.map((r) => (
                <tr key={r.id} className="border-t border-slate-100 align-top">
                  <td className="py-2">{r.startedAt.toLocaleString()}</td>
                  <td>{r.trigger}{r.dryRun && " (dry run)"}</td>
                  <td><Badge>{r.status}</Badge>{r.error && <div className="text-xs text-rose-700">{r.error}</div>}</td>
                  <td>{r.durationMs != null ? `${r.durationMs} ms` : "—"}</td>
                  <td>{r.apiCalls}</td>
                  <td className="text-xs text-slate-600">{summary(r.report)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>
      <Card title="Audit log">
        {events.length === 0 ? (
          <EmptyState title="No events yet" />
        ) : (
          <table className="w-full text-left text-sm" data-testid="audit-log">
            <thead className="text-xs uppercase text-slate-500"><tr><th className="py-1">When</th><th>Who</th><th>Action</th><th>Target</th><th>Result</th></tr></thead>
            <tbody>
              {events.map((e) => (
                <tr key={e.id} className="border-t border-slate-100 align-top">
                  <td className="whitespace-nowrap py-2">{e.createdAt.toLocaleString()}</td>
                  <td>{e.actorLabel}</td>
                  <td className="font-mono text-xs">{e.action}</td>
                  <td className="text-slate-600">{e.target ?? "—"}</td>
                  <td><Badge>{e.result}</Badge>{e.message && <div className="max-w-md text-xs text-slate-500">{e.message}</div>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>
    </>
  );
}

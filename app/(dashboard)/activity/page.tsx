import { requirePageUser } from "@/app/(dashboard)/page-user";
import { listEvents } from "@/lib/audit/list-events";
import { listSyncRuns } from "@/lib/reconcile/list-runs";
import { Card, EmptyState, PageHeader } from "@/components/ui/card";
import { Badge } from "@/components/ui/badge";
import { BadQuery } from "@/components/ui/bad-query";
import { ListFilters } from "@/components/ui/list-filters";
import { Pager, scopedParams } from "@/components/ui/pager";
import { badQueryOrThrow, DEFAULT_PAGE_SIZE, toSearchParams } from "@/lib/pagination";
import { EVENT_RESULTS } from "@/lib/audit/list-events";
import { RUN_STATUSES, RUN_TRIGGERS } from "@/lib/reconcile/list-runs";

export const dynamic = "force-dynamic";
export const metadata = { title: "Activity" };


// Two lists on one page: each one's parameters carry its prefix (`runs.cursor`, `events.q`).
const RUNS = "runs.";
const EVENTS = "events.";

export default async function ActivityPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  await requirePageUser("viewer");
  const params = toSearchParams(await searchParams);
  const [runs, events] = await Promise.all([
    listSyncRuns({ params: scopedParams(params, RUNS), defaultLimit: DEFAULT_PAGE_SIZE }).catch(badQueryOrThrow),
    listEvents({ params: scopedParams(params, EVENTS), defaultLimit: DEFAULT_PAGE_SIZE }).catch(badQueryOrThrow),
  ]);
  return (
    <>
      <PageHeader title="Activity" description="Sync runs and the audit log: who did what, when, with what result." />
      <Card title="Sync runs" className="mb-6">
        <div className="mb-3">
          <ListFilters params={params} prefix={RUNS} label="Filter runs" placeholder="" selects={[{ name: "trigger", label: "Trigger", options: RUN_TRIGGERS }, { name: "status", label: "Status", options: RUN_STATUSES }]} />
        </div>
        {runs instanceof Error ? (
          <BadQuery error={runs} basePath="/activity" />
        ) : runs.items.length === 0 ? (
          <EmptyState title="No sync has run yet">Syncs run from the scheduler, the cron route, the CLI and “Sync now” on the DNS page.</EmptyState>
        ) : (
          <>
          <table className="list-table" data-testid="sync-runs">
            <thead><tr><th className="py-1">Started</th><th>Trigger</th><th>Status</th><th>Duration</th><th>API calls</th><th>Report</th></tr></thead>
            <tbody>
              {runs.items.map((r) => (
                <tr key={r.id}>
                  <td>{r.startedAt.toLocaleString()}</td>
                  <td>{r.trigger}{r.dryRun && " (dry run)"}</td>
                  <td><Badge>{r.status}</Badge>{r.error && <div className="text-xs text-rose-700">{r.error}</div>}</td>
                  <td>{r.durationMs != null ? `${r.durationMs} ms` : "—"}</td>
                  <td>{r.apiCalls}</td>
                  <td className="text-xs text-slate-600">{r.summary ?? "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pager page={runs} shown={runs.items.length} params={params} basePath="/activity" prefix={RUNS} limit={runs.limit} noun="sync runs" />
          </>
        )}
      </Card>
      <Card title="Audit log">
        <div className="mb-3">
          <ListFilters params={params} prefix={EVENTS} label="Filter events" placeholder="action, target or who" selects={[{ name: "result", label: "Result", options: EVENT_RESULTS }]} />
        </div>
        {events instanceof Error ? (
          <BadQuery error={events} basePath="/activity" />
        ) : events.items.length === 0 ? (
          <EmptyState title="No events yet" />
        ) : (
          <>
          <table className="list-table" data-testid="audit-log">
            <thead><tr><th className="py-1">When</th><th>Who</th><th>Action</th><th>Target</th><th>Result</th></tr></thead>
            <tbody>
              {events.items.map((e) => (
                <tr key={e.id}>
                  <td className="whitespace-nowrap">{e.createdAt.toLocaleString()}</td>
                  <td>{e.actorLabel}</td>
                  <td className="font-mono text-xs">{e.action}</td>
                  <td className="text-slate-600">{e.target ?? "—"}</td>
                  <td><Badge>{e.result}</Badge>{e.message && <div className="max-w-md text-xs text-slate-500">{e.message}</div>}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pager page={events} shown={events.items.length} params={params} basePath="/activity" prefix={EVENTS} limit={events.limit} noun="events" />
          </>
        )}
      </Card>
    </>
  );
}

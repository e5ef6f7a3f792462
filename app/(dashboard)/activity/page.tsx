import { requirePageUser } from "@/app/(dashboard)/page-user";
import { listEvents } from "@/lib/audit/list-events";
import { listSyncRuns } from "@/lib/reconcile/list-runs";
import { Card, EmptyState, PageHeader } from "@/components/ui/card";
import { AuditTable, SyncRunsTable } from "@/components/activity/activity-tables";
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
          <SyncRunsTable
            rows={runs.items.map((r) => ({ id: r.id, started: r.startedAt.toLocaleString(), trigger: r.trigger, dryRun: r.dryRun, status: r.status, error: r.error ?? null, durationMs: r.durationMs ?? null, apiCalls: r.apiCalls, summary: r.summary ?? null }))}
          />
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
          <AuditTable
            rows={events.items.map((e) => ({ id: e.id, when: e.createdAt.toLocaleString(), who: e.actorLabel, action: e.action, target: e.target ?? null, result: e.result, message: e.count > 1 ? `${e.message ?? ""} (×${e.count} in this minute)`.trim() : (e.message ?? null) }))}
          />
          <Pager page={events} shown={events.items.length} params={params} basePath="/activity" prefix={EVENTS} limit={events.limit} noun="events" />
          </>
        )}
      </Card>
    </>
  );
}

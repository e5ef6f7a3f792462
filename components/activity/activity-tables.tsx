"use client";
import { Badge } from "@/components/ui/badge";

// The activity lists' rows, rendered from their data (on the server for the
// first paint, then hydrated): as server components every cell was serialized
// again into the page's RSC payload, twice the size of the rows' HTML. Times
// arrive formatted by the server, so that hydration sees the same text.

export interface AuditRow { id: string; when: string; who: string; action: string; target: string | null; result: string; message: string | null }
export interface SyncRunRow { id: string; started: string; trigger: string; dryRun: boolean; status: string; error: string | null; durationMs: number | null; apiCalls: number; summary: string | null }

export function AuditTable({ rows }: { rows: AuditRow[] }) {
  return (
    <table className="list-table audit-table" data-testid="audit-log">
      <thead><tr><th className="py-1">When</th><th>Who</th><th>Action</th><th>Target</th><th>Result</th></tr></thead>
      <tbody>
        {rows.map((e) => (
          <tr key={e.id}>
            <td>{e.when}</td>
            <td>{e.who}</td>
            <td>{e.action}</td>
            <td>{e.target ?? "—"}</td>
            <td><Badge>{e.result}</Badge>{e.message && <div>{e.message}</div>}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function SyncRunsTable({ rows }: { rows: SyncRunRow[] }) {
  return (
    <table className="list-table sync-runs-table" data-testid="sync-runs">
      <thead><tr><th className="py-1">Started</th><th>Trigger</th><th>Status</th><th>Duration</th><th>API calls</th><th>Report</th></tr></thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.id}>
            <td>{r.started}</td>
            <td>{r.trigger}{r.dryRun && " (dry run)"}</td>
            <td><Badge>{r.status}</Badge>{r.error && <div className="cell-error">{r.error}</div>}</td>
            <td>{r.durationMs != null ? `${r.durationMs} ms` : "—"}</td>
            <td>{r.apiCalls}</td>
            <td>{r.summary ?? "—"}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

"use client";
import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import { Badge } from "@/components/ui/badge";
import { buttonClass } from "@/components/ui/styles";
import type { SyncReport } from "@/lib/reconcile/report";
import { syncAction } from "./actions";

const COUNTS = [
  ["created", "created"],
  ["updated", "updated"],
  ["deleted", "deleted"],
  ["alreadySynced", "already synced"],
  ["failed", "failed"],
  ["foreign", "foreign"],
] as const;

/** "Sync now" with a dry-run preview of the plan, and the report of the last run. */
export function SyncPanel({ canEdit }: { canEdit: boolean }) {
  const router = useRouter();
  const [pending, start] = useTransition();
  const [report, setReport] = useState<SyncReport | null>(null);
  const [error, setError] = useState<string | null>(null);
  const run = (dryRun: boolean, force = false) =>
    start(async () => {
      setError(null);
      const res = await syncAction({ dryRun, force });
      if (res.ok) {
        setReport(res.data);
        if (!dryRun) router.refresh();
      } else setError(res.error);
    });
  if (!canEdit) return null;
  return (
    <section className="mb-6 rounded-lg border border-slate-200 bg-white p-4 shadow-sm" aria-label="Sync">
      <div className="flex flex-wrap items-center gap-3">
        <button type="button" className={buttonClass("secondary")} disabled={pending} onClick={() => run(true)}>{pending ? "Working…" : "Preview (dry run)"}</button>
        <button type="button" className={buttonClass()} disabled={pending} onClick={() => run(false)}>{pending ? "Syncing…" : "Sync now"}</button>
        {report?.blocked && !report.dryRun && (
          <button type="button" className={buttonClass("danger")} disabled={pending} onClick={() => confirm("Delete the records held back by the safety rule?") && run(false, true)}>Sync with force</button>
        )}
        <span className="text-xs text-slate-500">Compares DNS, containers and routes with what Wharf expects and repairs drift.</span>
      </div>
      {error && <p role="alert" className="mt-3 text-sm text-rose-700">{error}</p>}
      {report && (
        <div className="mt-4" data-testid="sync-report">
          <p className="text-sm font-medium">
            {report.dryRun ? "Dry run — nothing was changed. Plan:" : "Sync finished:"}{" "}
            {COUNTS.map(([k, label]) => `${report[k]} ${label}`).join(" · ")} · containers restarted {report.containers.restarted} · routes repaired {report.routes.repaired} · {report.apiCalls} API calls in {report.durationMs} ms
          </p>
          {report.blocked && <p className="mt-1 text-sm text-amber-700">{report.blocked}</p>}
          {report.lines.length > 0 && (
            <ul className="mt-2 max-h-64 overflow-auto text-xs">
              {report.lines.map((l, i) => (
                <li key={i} className="grid grid-cols-[5rem_5rem_4rem_1fr] gap-2 border-t border-slate-100 py-1">
                  <span><Badge tone={l.status === "failed" ? "red" : l.status === "ok" ? "green" : l.status === "planned" ? "blue" : "gray"}>{l.status}</Badge></span>
                  <span>{l.kind}</span>
                  <span>{l.action}</span>
                  <span><span className="font-mono">{l.name}</span>{l.message && <span className="text-slate-500"> — {l.message}</span>}</span>
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </section>
  );
}

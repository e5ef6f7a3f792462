"use client";
import { Badge } from "@/components/ui/badge";
import { useHealth } from "./health-banner";

export function HealthPanel() {
  const { data, isLoading, error } = useHealth();
  if (isLoading) return <p className="text-sm text-slate-500">Checking…</p>;
  if (error || !data) return <p className="text-sm text-rose-700">Health check failed.</p>;
  const rows: [string, string, string | undefined][] = [
    ["Database", data.db, data.messages?.db],
    ["Docker engine", data.docker, data.messages?.docker],
    ["Proxy provider", data.proxy, data.messages?.proxy],
    ["DNS", data.dns, data.messages?.dns],
  ];
  return (
    <dl className="grid grid-cols-[10rem_1fr] gap-y-2 text-sm" data-testid="health-panel">
      {rows.map(([k, v, m]) => (
        <div key={k} className="contents">
          <dt className="text-slate-500">{k}</dt>
          <dd><Badge>{v.replace("_", " ")}</Badge>{m && <span className="ml-2 text-xs text-slate-500">{m}</span>}</dd>
        </div>
      ))}
      {data.servers && data.servers.total > 0 && (
        <>
          <dt className="text-slate-500">Servers</dt>
          <dd data-testid="health-servers">
            <Badge>{data.servers.status}</Badge>
            <span className="ml-2 text-xs text-slate-500">
              {data.servers.down.length ? `${data.servers.down.length} of ${data.servers.total} remote down (${data.messages?.servers ?? data.servers.down.join(", ")}); their instances show as unknown` : `${data.servers.total} remote, all answering`}
            </span>
          </dd>
        </>
      )}
      <dt className="text-slate-500">Version</dt>
      <dd>{data.version}</dd>
    </dl>
  );
}

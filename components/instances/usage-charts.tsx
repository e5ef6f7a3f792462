"use client";
import { useQuery } from "@tanstack/react-query";
import { Area, AreaChart, CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { TUsageCoverage, TUsageSample } from "@/lib/instances/get-usage";
import { formatBytes } from "./format";

const MB = 1024 * 1024;
/** Axis labels: with seconds while the series spans under an hour (fresh instances), minutes otherwise. */
const timeFormat = (spanMs: number) => (ms: number) => new Date(ms).toLocaleTimeString([], spanMs < 3_600_000 ? { hour: "2-digit", minute: "2-digit", second: "2-digit" } : { hour: "2-digit", minute: "2-digit" });

/** Counters are cumulative since the container started: per-second rates between neighbours (a reset, e.g. a redeploy, gives no point). */
function rates(samples: TUsageSample[], pick: (s: TUsageSample) => number) {
  const out: { t: number; v: number }[] = [];
  for (let i = 1; i < samples.length; i++) {
    const dt = (Date.parse(samples[i].at) - Date.parse(samples[i - 1].at)) / 1000;
    const dv = pick(samples[i]) - pick(samples[i - 1]);
    if (dt > 0 && dv >= 0) out.push({ t: Date.parse(samples[i].at), v: dv / dt });
  }
  return out;
}


function SmallChart({ title, current, testId, children }: { title: string; current: string; testId: string; children: React.ReactElement }) {
  return (
    <figure className="rounded-md border border-slate-200 p-3" data-testid={testId}>
      <figcaption className="mb-1 flex items-baseline justify-between text-xs text-slate-500">
        <span className="font-medium text-slate-700">{title}</span>
        <span>{current}</span>
      </figcaption>
      <div className="h-28">
        <ResponsiveContainer width="100%" height="100%">{children}</ResponsiveContainer>
      </div>
    </figure>
  );
}

const axis = { tick: { fontSize: 10 }, stroke: "#94a3b8" };

/** Last 24 h of samples from the collector (one read per interval for everyone; viewers only poll the database). */
export function UsageCharts({ instanceId, running }: { instanceId: string; running: boolean }) {
  const { data, error } = useQuery({
    queryKey: ["usage", instanceId],
    queryFn: async () => {
      const res = await fetch(`/api/instances/${instanceId}/usage`, { cache: "no-store" });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      return (await res.json()) as { samples: TUsageSample[]; coverage?: TUsageCoverage | null };
    },
    refetchInterval: running ? 15_000 : false,
  });
  if (error) return <p className="text-sm text-rose-700">Usage could not be loaded: {error.message}</p>;
  const samples = data?.samples ?? [];
  const coverage = running && data?.coverage ? <Coverage coverage={data.coverage} /> : null;
  if (samples.length === 0) return <>{coverage}<p className="text-sm text-slate-500" data-testid="usage-empty">{running ? "No samples yet: the collector reads usage every 15 s." : "No samples: the instance is not running."}</p></>;
  const last = samples[samples.length - 1];
  const cpu = samples.filter((s) => s.cpuPercent !== null).map((s) => ({ t: Date.parse(s.at), v: s.cpuPercent as number }));
  const mem = samples.map((s) => ({ t: Date.parse(s.at), used: s.memoryBytes / MB, limit: s.memoryLimitBytes / MB }));
  const rx = rates(samples, (s) => s.netRx);
  const tx = new Map(rates(samples, (s) => s.netTx).map((p) => [p.t, p.v]));
  const net = rx.map((p) => ({ t: p.t, rx: p.v / 1024, tx: (tx.get(p.t) ?? 0) / 1024 }));
  const rd = rates(samples, (s) => s.blockRead);
  const wr = new Map(rates(samples, (s) => s.blockWrite).map((p) => [p.t, p.v]));
  const blk = rd.map((p) => ({ t: p.t, read: p.v / 1024, write: (wr.get(p.t) ?? 0) / 1024 }));
  const time = timeFormat(Date.parse(last.at) - Date.parse(samples[0].at));
  const x = <XAxis dataKey="t" type="number" domain={["dataMin", "dataMax"]} tickFormatter={time} {...axis} />;
  const tip = <Tooltip labelFormatter={(v) => new Date(Number(v)).toLocaleString()} formatter={(v) => (typeof v === "number" ? v.toFixed(2) : String(v))} />;
  return (
    <>
    {coverage}
    <div className="grid gap-3 sm:grid-cols-2" data-testid="usage-charts">
      <SmallChart title="CPU %" testId="chart-cpu" current={last.cpuPercent === null ? "—" : `${last.cpuPercent.toFixed(1)} %`}>
        <LineChart data={cpu}><CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />{x}<YAxis width={32} {...axis} />{tip}<Line type="monotone" dataKey="v" name="CPU %" stroke="#0284c7" dot={false} isAnimationActive={false} /></LineChart>
      </SmallChart>
      <SmallChart title="Memory (MB)" testId="chart-memory" current={`${formatBytes(last.memoryBytes)} / ${formatBytes(last.memoryLimitBytes)}`}>
        <AreaChart data={mem}><CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />{x}<YAxis width={40} {...axis} />{tip}<Area type="monotone" dataKey="used" name="used MB" stroke="#059669" fill="#a7f3d0" isAnimationActive={false} /><Line type="monotone" dataKey="limit" name="limit MB" stroke="#e11d48" dot={false} isAnimationActive={false} /></AreaChart>
      </SmallChart>
      <SmallChart title="Network (kB/s)" testId="chart-network" current={`rx ${formatBytes(last.netRx)} · tx ${formatBytes(last.netTx)} total`}>
        <LineChart data={net}><CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />{x}<YAxis width={32} {...axis} />{tip}<Line type="monotone" dataKey="rx" name="rx kB/s" stroke="#7c3aed" dot={false} isAnimationActive={false} /><Line type="monotone" dataKey="tx" name="tx kB/s" stroke="#ea580c" dot={false} isAnimationActive={false} /></LineChart>
      </SmallChart>
      <SmallChart title="Block I/O (kB/s)" testId="chart-block" current={`read ${formatBytes(last.blockRead)} · write ${formatBytes(last.blockWrite)} total`}>
        <LineChart data={blk}><CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />{x}<YAxis width={32} {...axis} />{tip}<Line type="monotone" dataKey="read" name="read kB/s" stroke="#0891b2" dot={false} isAnimationActive={false} /><Line type="monotone" dataKey="write" name="write kB/s" stroke="#be123c" dot={false} isAnimationActive={false} /></LineChart>
      </SmallChart>
    </div>
    </>
  );
}

/** A Swarm service's usage is read from each node's own engine: say how many tasks the samples cover, and which nodes are missing. */
function Coverage({ coverage }: { coverage: TUsageCoverage }) {
  const partial = coverage.tasksRead < coverage.tasksTotal;
  return (
    <div className={`mb-3 text-sm ${partial ? "text-amber-800" : "text-slate-600"}`} data-testid="usage-coverage">
      <p>Usage from {coverage.tasksRead} of {coverage.tasksTotal} task{coverage.tasksTotal === 1 ? "" : "s"}</p>
      {coverage.unreadNodes.length > 0 && (
        <ul className="mt-1 list-disc pl-5 text-xs">
          {coverage.unreadNodes.map((u) => (
            <li key={u.node} data-testid="usage-unread-node">
              {u.reason === "down" ? `node ${u.node}: its server does not answer, ${u.tasks} task${u.tasks === 1 ? "" : "s"} not read` : `add node ${u.node} as a server to read its usage (${u.tasks} task${u.tasks === 1 ? "" : "s"})`}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

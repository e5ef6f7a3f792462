import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";

// Wharf's Prometheus registry (issue 29). The counters and histograms here
// count what this process did since it started (Prometheus handles the reset
// at a restart); the gauges of state (instances, records, certificates,
// leases) are read from the database at each scrape (collect-metrics.ts).
// Names follow Prometheus conventions: wharf_ prefix, _total for counters,
// base units (_seconds).
const g = globalThis as unknown as { __wharfMetrics?: ReturnType<typeof create> };

function create() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "wharf_" });
  // prom-client names these gauges *_total, which Prometheus reserves for counters (promtool refuses them).
  for (const n of ["nodejs_active_handles_total", "nodejs_active_requests_total", "nodejs_active_resources_total"]) registry.removeSingleMetric(`wharf_${n}`);
  const deployments = new Counter({ name: "wharf_deployments_total", help: "Finished deployments by kind and result.", labelNames: ["kind", "result"] as const, registers: [registry] });
  const deploymentDuration = new Histogram({
    name: "wharf_deployment_duration_seconds",
    help: "Duration of finished deployments.",
    labelNames: ["kind", "result"] as const,
    buckets: [1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600],
    registers: [registry],
  });
  const syncRuns = new Counter({ name: "wharf_sync_runs_total", help: "Finished sync runs by result.", labelNames: ["result"] as const, registers: [registry] });
  const syncDuration = new Histogram({ name: "wharf_sync_duration_seconds", help: "Duration of sync runs.", buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300], registers: [registry] });
  const providerRequests = new Counter({ name: "wharf_provider_requests_total", help: "HTTP requests to DNS providers by provider and status code (network: no answer).", labelNames: ["provider", "code"] as const, registers: [registry] });
  const providerErrors = new Counter({ name: "wharf_provider_errors_total", help: "Provider requests that failed (status >= 400 or no answer) by provider and code.", labelNames: ["provider", "code"] as const, registers: [registry] });
  const notifications = new Counter({ name: "wharf_notifications_total", help: "Notification delivery attempts by channel and result (sent, retry, failed).", labelNames: ["channel", "result"] as const, registers: [registry] });
  return { registry, deployments, deploymentDuration, syncRuns, syncDuration, providerRequests, providerErrors, notifications };
}

export function metrics() {
  return (g.__wharfMetrics ??= create());
}

export function observeDeployment(kind: string, result: string, seconds: number): void {
  const m = metrics();
  m.deployments.inc({ kind, result });
  m.deploymentDuration.observe({ kind, result }, Math.max(0, seconds));
}

export function observeSync(result: string, seconds: number): void {
  const m = metrics();
  m.syncRuns.inc({ result });
  m.syncDuration.observe(Math.max(0, seconds));
}

export function observeNotification(channel: string, result: "sent" | "retry" | "failed"): void {
  metrics().notifications.inc({ channel, result });
}

/** fetch, counted per provider and status code (or "network" when there was no answer). */
export async function countedFetch(provider: string, input: string | URL | Request, init?: RequestInit): Promise<Response> {
  const m = metrics();
  let res: Response;
  try {
    res = await fetch(input, init);
  } catch (err) {
    m.providerRequests.inc({ provider, code: "network" });
    m.providerErrors.inc({ provider, code: "network" });
    throw err;
  }
  const code = String(res.status);
  m.providerRequests.inc({ provider, code });
  if (res.status >= 400) m.providerErrors.inc({ provider, code });
  return res;
}

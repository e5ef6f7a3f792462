import { Gauge, Registry } from "prom-client";
import { db } from "../db";
import { liveLeases } from "../db/lease";
import { INSTANCE_STATES } from "../lifecycle/states";
import { metrics } from "./registry";

const gauges = (() => {
  const r = new Registry();
  const make = (name: string, help: string, labelNames: string[] = []) => new Gauge({ name, help, labelNames, registers: [r] });
  return {
    registry: r,
    instances: make("wharf_instances", "Instances by lifecycle state.", ["state"]),
    dnsRecords: make("wharf_dns_records", "Records in Wharf's DNS ledger by provider and status.", ["provider", "status"]),
    certificates: make("wharf_certificates", "Consumers' certificates by status.", ["consumer_type", "status"]),
    certExpiry: make("wharf_certificate_expiry_timestamp_seconds", "When each issued certificate expires (Unix time).", ["consumer_type", "name"]),
    lastSyncSuccess: make("wharf_sync_last_success_timestamp_seconds", "When the last successful sync finished (Unix time); absent before the first."),
    lastSyncDuration: make("wharf_sync_last_duration_seconds", "Duration of the last finished sync."),
    leases: make("wharf_leases_held", "Leases currently held (1) by name.", ["name"]),
    outbox: make("wharf_notification_outbox", "Notification outbox rows by status.", ["status"]),
    deliveries: make("wharf_notification_deliveries", "Stored notification deliveries by channel and status.", ["channel", "status"]),
  };
})();

/** Reads the state gauges from the database (one grouped query each). */
async function refreshGauges(now = new Date()): Promise<void> {
  const [instances, records, instCerts, proxyCerts, instExp, proxyExp, lastOk, lastRun, leases, outbox, deliveries, channels] = await Promise.all([
    db.instance.groupBy({ by: ["status"], _count: { _all: true } }),
    db.dnsRecord.groupBy({ by: ["provider", "status"], _count: { _all: true } }),
    db.instance.groupBy({ by: ["certStatus"], _count: { _all: true } }),
    db.standaloneProxy.groupBy({ by: ["certStatus"], _count: { _all: true } }),
    db.instance.findMany({ where: { certStatus: "issued", certNotAfter: { not: null } }, select: { name: true, certNotAfter: true } }),
    db.standaloneProxy.findMany({ where: { certStatus: "issued", certNotAfter: { not: null } }, select: { domain: true, certNotAfter: true } }),
    db.syncRun.findFirst({ where: { status: "succeeded", dryRun: false }, orderBy: { finishedAt: "desc" }, select: { finishedAt: true } }),
    db.syncRun.findFirst({ where: { finishedAt: { not: null }, durationMs: { not: null } }, orderBy: { finishedAt: "desc" }, select: { durationMs: true } }),
    liveLeases(), // by the database's clock (issue 26)
    db.notificationEvent.groupBy({ by: ["status"], _count: { _all: true } }),
    db.notificationDelivery.groupBy({ by: ["channelId", "status"], _count: { _all: true } }),
    db.notificationChannel.findMany({ select: { id: true, name: true } }),
  ]);
  for (const gauge of Object.values(gauges)) if (gauge instanceof Gauge) gauge.reset();
  for (const s of INSTANCE_STATES) gauges.instances.set({ state: s }, 0);
  for (const i of instances) gauges.instances.set({ state: i.status }, i._count._all);
  for (const r of records) gauges.dnsRecords.set({ provider: r.provider, status: r.status }, r._count._all);
  for (const c of instCerts) gauges.certificates.set({ consumer_type: "instance", status: c.certStatus }, c._count._all);
  for (const c of proxyCerts) gauges.certificates.set({ consumer_type: "standalone", status: c.certStatus }, c._count._all);
  for (const c of instExp) gauges.certExpiry.set({ consumer_type: "instance", name: c.name }, c.certNotAfter!.getTime() / 1000);
  for (const c of proxyExp) gauges.certExpiry.set({ consumer_type: "standalone", name: c.domain }, c.certNotAfter!.getTime() / 1000);
  if (lastOk?.finishedAt) gauges.lastSyncSuccess.set(lastOk.finishedAt.getTime() / 1000);
  if (lastRun?.durationMs != null) gauges.lastSyncDuration.set(lastRun.durationMs / 1000);
  for (const l of leases) gauges.leases.set({ name: l.name.slice(0, 100) }, 1);
  for (const s of ["pending", "dispatched"]) gauges.outbox.set({ status: s }, 0);
  for (const o of outbox) gauges.outbox.set({ status: o.status }, o._count._all);
  const names = new Map(channels.map((c) => [c.id, c.name]));
  for (const d of deliveries) gauges.deliveries.set({ channel: names.get(d.channelId) ?? d.channelId, status: d.status }, d._count._all);
}

/** The Prometheus text exposition of everything: process counters plus database state. */
export async function collectMetrics(): Promise<{ contentType: string; body: string }> {
  await refreshGauges();
  const merged = Registry.merge([metrics().registry, gauges.registry]);
  return { contentType: merged.contentType, body: await merged.metrics() };
}

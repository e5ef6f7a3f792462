"use client";
import { useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useEffect } from "react";
import { Badge } from "@/components/ui/badge";
import { Card, PageHeader } from "@/components/ui/card";
import { CertificateBadge } from "@/components/tls/certificate-badge";
import { InstanceActions } from "./instance-actions";
import { DeploymentHistory } from "./deployment-history";
import { LogViewer } from "./log-viewer";
import { DeployTokens, InstanceUpdates } from "./instance-updates";
import { EditInstanceForm } from "./edit-instance-form";
import { UsageCharts } from "./usage-charts";
import { DomainsSection } from "./domains-section";
import { joinArgv } from "@/lib/deployer/argv";
import { isBusyStatus, useDeployments, useInstance, type TInstanceDetail } from "./use-instance";

export function InstanceDetail({ initial, canEdit }: { initial: TInstanceDetail; canEdit: boolean }) {
  const router = useRouter();
  const { data: inst, error } = useInstance(initial.id, initial);
  const busy = isBusyStatus(inst.status);
  const { data: deployments } = useDeployments(inst.id, busy);
  useEffect(() => {
    if (error?.message.includes("not found")) router.push("/instances");
  }, [error, router]);
  // When the status settles, the history must show the finished deployment now, not at its next slow poll.
  const qc = useQueryClient();
  useEffect(() => {
    void qc.invalidateQueries({ queryKey: ["deployments", inst.id] });
  }, [inst.status, inst.id, qc]);
  return (
    <>
      <PageHeader title={inst.name} description={inst.fqdn} actions={<Badge>{inst.status}</Badge>} />
      {inst.error && (
        <div role="alert" className="mb-4 whitespace-pre-wrap rounded-md border border-rose-200 bg-rose-50 p-3 text-sm text-rose-800" data-testid="instance-error">
          {inst.error}
        </div>
      )}
      <div className="grid gap-6 lg:grid-cols-3">
        <Card title="Details" className="lg:col-span-2">
          <dl className="grid grid-cols-[9rem_1fr] gap-y-2 text-sm">
            <dt className="text-slate-500">Status</dt><dd data-testid="instance-status"><Badge>{inst.status}</Badge></dd>
            <dt className="text-slate-500">Server</dt>
            <dd data-testid="instance-server">
              {inst.server}
              {inst.status === "unknown" && <span className="ml-2 text-xs text-amber-800">status unknown: the server does not answer; nothing is changed on it until it does</span>}
            </dd>
            {inst.replicas !== undefined && (
              <>
                <dt className="text-slate-500">Replicas</dt>
                <dd data-testid="instance-replicas">
                  {inst.replicas} {inst.placement && inst.placement.length > 0 && <span className="ml-2 font-mono text-xs text-slate-600">placement {inst.placement.join(", ")}</span>}
                  {/* The service's tasks as the manager sees them now: where each runs and the address the proxy reaches it at. */}
                  <ul className="mt-1 font-mono text-xs" data-testid="instance-tasks">
                    {inst.tasks === null || inst.tasks === undefined ? <li className="font-sans text-slate-500">tasks unknown: the manager does not answer</li> : inst.tasks.filter((t) => t.desiredState === "running").map((t, i) => (
                      <li key={`${t.node}-${t.address ?? i}`} data-testid="instance-task" data-state={t.state}>{t.node} · {t.state}{t.address && ` · ${t.address}`}{t.error && <span className="ml-2 text-rose-700">{t.error}</span>}</li>
                    ))}
                  </ul>
                </dd>
              </>
            )}
            <dt className="text-slate-500">Image</dt><dd className="font-mono text-xs">{inst.image}</dd>
            <dt className="text-slate-500">Address</dt><dd><a className="text-sky-700 underline" href={inst.url} target="_blank" rel="noreferrer" data-testid="instance-url">{inst.url}</a></dd>
            <dt className="text-slate-500">Container port</dt><dd>{inst.port}</dd>
            <dt className="text-slate-500">Route</dt><dd><Badge>{inst.route.status}</Badge>{inst.route.error && <span className="ml-2 text-xs text-rose-700">{inst.route.error}</span>}</dd>
            <dt className="text-slate-500">DNS</dt><dd><Badge>{inst.dns.status}</Badge>{"error" in inst.dns && inst.dns.error && <span className="ml-2 text-xs text-rose-700">{String(inst.dns.error)}</span>}</dd>
            <dt className="text-slate-500">Certificate</dt><dd><CertificateBadge tls={inst.tls} /></dd>
            <dt className="text-slate-500">TLS options</dt><dd className="text-xs text-slate-600" data-testid="instance-tls-options">HTTPS {inst.tlsOptions.https ? "on" : "off"} · redirect {inst.tlsOptions.redirect ? "on (once issued)" : "off"} · HSTS {inst.tlsOptions.hsts ? "on" : "off"}</dd>
            <dt className="text-slate-500">Container</dt><dd className="font-mono text-xs">{inst.containerName ?? "—"}</dd>
            <dt className="text-slate-500">Rollback target</dt><dd className="font-mono text-xs">{inst.rollback ? `${inst.rollback.image} (${inst.rollback.containerName})` : "—"}</dd>
            <dt className="text-slate-500">Container state</dt>
            <dd data-testid="container-state">
              {inst.container ? (
                <>
                  {inst.container.state}
                  {inst.container.exitCode !== null && inst.container.state !== "running" && ` (exit code ${inst.container.exitCode})`}
                  {inst.container.oomKilled && <span className="ml-2"><Badge>OOMKilled</Badge> <span className="text-xs text-rose-700">killed for using more memory than its limit</span></span>}
                </>
              ) : "—"}
            </dd>
            <dt className="text-slate-500">Mounts</dt>
            <dd className="font-mono text-xs" data-testid="instance-mounts">
              {inst.mounts.length === 0 ? "—" : inst.mounts.map((m) => <div key={m.target}>{m.type === "volume" ? `volume ${m.name}` : `bind ${m.source}${m.readOnly ? " (read-only)" : ""}`} → {m.target}</div>)}
            </dd>
            <dt className="text-slate-500">Limits</dt>
            <dd data-testid="instance-limits">
              {[inst.limits.memoryMb && `${inst.limits.memoryMb} MB memory`, inst.limits.cpus && `${inst.limits.cpus} CPU`, inst.limits.pidsLimit && `${inst.limits.pidsLimit} processes`].filter(Boolean).join(" · ") || "none"}
            </dd>
            <dt className="text-slate-500">Reservations</dt>
            <dd data-testid="instance-reservations">
              {[inst.reservations.memoryMb && `${inst.reservations.memoryMb} MB memory`, inst.reservations.cpus && `${inst.reservations.cpus} CPU`].filter(Boolean).join(" · ") || "none"}
            </dd>
            {inst.replicas !== undefined && (
              <>
                <dt className="text-slate-500">Swarm service</dt>
                <dd data-testid="instance-swarm">
                  {inst.replicas} replica{inst.replicas === 1 ? "" : "s"}
                  {inst.placement && inst.placement.length > 0 && <span className="ml-2 font-mono text-xs">{inst.placement.join(", ")}</span>}
                  {inst.tasks?.map((t, i) => (
                    <div key={i} className="font-mono text-xs">
                      {t.node || "(unassigned)"}: {t.state}
                      {t.address && ` · ${t.address}`}
                      {t.error && <span className="text-rose-700"> · {t.error}</span>}
                    </div>
                  ))}
                </dd>
                <dt className="text-slate-500">Volumes pinned to</dt>
                <dd data-testid="instance-pinned-node">
                  {inst.pinnedNode ? (
                    <>
                      <span className="font-mono text-xs">{inst.pinnedNode.hostname ?? inst.pinnedNode.id}</span>
                      {inst.pinnedNode.availability && <span className="ml-2 text-xs text-slate-500">{inst.pinnedNode.state}, {inst.pinnedNode.availability}</span>}
                      {inst.replicas > 1 && <span className="ml-2 text-xs text-slate-500">all {inst.replicas} replicas run there</span>}
                      {inst.pinnedNode.problem && <div className="text-xs text-rose-700">{inst.pinnedNode.problem}: the tasks cannot run until it is active again (then redeploy), or a redeploy moves the pin (Edit → node)</div>}
                    </>
                  ) : inst.pinVolumes === false ? "not pinned (the volumes are shared storage)" : "—"}
                </dd>
              </>
            )}
            <dt className="text-slate-500">Command</dt><dd className="font-mono text-xs">{inst.entrypoint && <div>entrypoint: {joinArgv(inst.entrypoint)}</div>}{inst.command ? joinArgv(inst.command) : inst.entrypoint ? null : "image default"}</dd>
            <dt className="text-slate-500">Deploy strategy</dt><dd>{inst.deployStrategy}{inst.deployStrategy === "stop-first" && <span className="ml-2 text-xs text-amber-700">brief downtime on every redeploy</span>}</dd>
            <dt className="text-slate-500">Environment</dt>
            <dd className="font-mono text-xs">{inst.env.length === 0 ? "—" : inst.env.map((e) => <div key={e.key}>{e.key}={e.secret ? "•••••• (secret)" : e.value}</div>)}</dd>
          </dl>
        </Card>
        <Card title="Actions">{canEdit ? <InstanceActions instance={inst} /> : <p className="text-sm text-slate-500">Read-only: your role is viewer.</p>}</Card>
      </div>
      <div className="mt-6 grid gap-6 lg:grid-cols-3">
        <Card title="Image and updates" className="lg:col-span-2"><InstanceUpdates instance={inst} canEdit={canEdit} /></Card>
        {canEdit && <Card title="Deploy tokens"><DeployTokens instanceId={inst.id} /></Card>}
      </div>
      <Card title="Domains" className="mt-6"><DomainsSection instanceId={inst.id} fqdn={inst.fqdn} canEdit={canEdit} /></Card>
      <Card title="Usage" className="mt-6"><UsageCharts instanceId={inst.id} running={inst.status === "running"} /></Card>
      {canEdit && <Card title="Edit" className="mt-6"><EditInstanceForm instance={inst} busy={busy} /></Card>}
      <Card title="Deployments" className="mt-6"><DeploymentHistory deployments={deployments ?? []} instanceId={inst.id} canRollBack={canEdit && !busy} /></Card>
      {/* Admin-only: apps print secrets at start-up (SPEC §12); the /logs endpoint refuses viewers too. A Swarm service has no container of its own: its log is every task's. */}
      <Card title="Container logs" className="mt-6">
        {!canEdit ? <p className="text-sm text-slate-500">Container logs are shown to admins only: apps often print secrets at start-up.</p> : inst.containerId || inst.replicas !== undefined ? <LogViewer instanceId={inst.id} key={inst.containerId ?? "service"} /> : <p className="text-sm text-slate-500">No container yet.</p>}
      </Card>
    </>
  );
}

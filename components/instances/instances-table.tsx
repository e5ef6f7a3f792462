"use client";
import Link from "next/link";
import { Badge } from "@/components/ui/badge";
import { CertificateBadge } from "@/components/tls/certificate-badge";
import { useInstances } from "./use-instance";
import type { TInstanceRow } from "./instance-row";
import { formatBytes } from "./format";

export function InstancesTable({ initial, query, sortHeaders }: {
  initial: TInstanceRow[];
  query?: string;
  sortHeaders?: { name: React.ReactNode; image: React.ReactNode; status: React.ReactNode };
}) {
  const { data } = useInstances(initial, query);
  return (
    <table className="list-table instances-table rounded-lg bg-white shadow-sm" data-testid="instances-table">
      <thead>
        <tr>
          {sortHeaders?.name ?? <th className="px-4 py-2">Name</th>}{sortHeaders?.image ?? <th>Image</th>}<th>Address</th>
          {sortHeaders?.status ?? <th>Status</th>}<th>Route</th><th>DNS</th><th>HTTPS</th><th>CPU</th><th>Memory</th>
        </tr>
      </thead>
      <tbody>
        {data.map((i) => (
          <tr key={i.id} data-instance={i.name}>
            <td>
              <Link href={`/instances/${i.id}`} prefetch={false}>{i.name}</Link>
              {i.server && <div className="text-xs font-normal text-slate-500" data-testid="instance-server">on {i.server}</div>}
            </td>
            <td>{i.image}</td>
            {/* target=_blank implies rel=noopener in every current browser. */}
            <td>
              <a href={i.url} target="_blank">{i.url}</a>
              {i.domains?.map((d) => (
                <div key={d.domain} className="text-xs" data-testid="instance-domain" data-state={d.state}>
                  {d.domain} <Badge>{d.state}</Badge>
                </div>
              ))}
            </td>
            <td>
              <Badge>{i.status}</Badge>
              {i.error && <div className="cell-error">{i.error}</div>}
            </td>
            <td><Badge>{i.routeStatus}</Badge></td>
            <td><Badge>{i.dnsStatus}</Badge></td>
            <td><CertificateBadge tls={i.tls ?? { status: "off" }} compact /></td>
            {i.usage ? (
              <>
                <td data-testid="usage-cpu">{i.usage.cpuPercent != null ? `${i.usage.cpuPercent.toFixed(1)} %` : "—"}</td>
                <td data-testid="usage-memory">{`${formatBytes(i.usage.memoryBytes)} / ${formatBytes(i.usage.memoryLimitBytes)}`}</td>
              </>
            ) : (
              <><td>—</td><td>—</td></>
            )}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

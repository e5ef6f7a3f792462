"use client";
import Link from "next/link";
import { Badge } from "@/components/ui/badge";
import { CertificateBadge } from "@/components/tls/certificate-badge";
import { useInstances, type TInstanceListed } from "./use-instance";
import { formatBytes } from "./format";

export function InstancesTable({ initial, query, sortHeaders }: {
  initial: TInstanceListed[];
  query?: string;
  sortHeaders?: { name: React.ReactNode; image: React.ReactNode; status: React.ReactNode };
}) {
  const { data } = useInstances(initial, query);
  return (
    <table className="list-table rounded-lg bg-white shadow-sm" data-testid="instances-table">
      <thead>
        <tr>
          {sortHeaders?.name ?? <th className="px-4 py-2">Name</th>}{sortHeaders?.image ?? <th>Image</th>}<th>Address</th>
          {sortHeaders?.status ?? <th>Status</th>}<th>Route</th><th>DNS</th><th>HTTPS</th><th>CPU</th><th>Memory</th>
        </tr>
      </thead>
      <tbody>
        {data.map((i) => (
          <tr key={i.id} data-instance={i.name}>
            <td className="font-medium"><Link href={`/instances/${i.id}`} prefetch={false} className="text-sky-700 underline">{i.name}</Link></td>
            <td className="font-mono text-xs">{i.image}</td>
            <td><a href={i.url} className="text-sky-700 underline" target="_blank" rel="noreferrer">{i.url}</a></td>
            <td>
              <Badge>{i.status}</Badge>
              {i.error && <div className="max-w-xs truncate text-xs text-rose-700" title={i.error}>{i.error}</div>}
            </td>
            <td><Badge>{i.route.status}</Badge></td>
            <td><Badge>{i.dns.status}</Badge></td>
            <td><CertificateBadge tls={i.tls} compact /></td>
            <td className="whitespace-nowrap text-xs" data-testid="usage-cpu">{i.usage?.cpuPercent != null ? `${i.usage.cpuPercent.toFixed(1)} %` : "—"}</td>
            <td className="whitespace-nowrap text-xs" data-testid="usage-memory">{i.usage ? `${formatBytes(i.usage.memoryBytes)} / ${formatBytes(i.usage.memoryLimitBytes)}` : "—"}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

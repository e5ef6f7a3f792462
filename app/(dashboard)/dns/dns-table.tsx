"use client";
import Link from "next/link";
import { Badge, type Tone } from "@/components/ui/badge";
import { DNS_STATUS_LABEL } from "@/lib/dns/status-labels";
import type { DnsRow } from "@/lib/dns/overview";
import { DeleteRecordButton } from "./delete-record-button";

/** One row of the DNS list as the page sends it: only what the table shows (it repeats 200 times). */
export type DnsTableRow = Pick<DnsRow, "fqdn" | "type" | "content" | "consumerType" | "consumerId" | "consumerName" | "status" | "lastError"> & {
  /** "YYYY-MM-DD HH:MM:SS UTC", or null. */
  verified: string | null;
  /** The provider to name in the delete confirmation; null when the row is not in the ledger (nothing to delete). */
  deleteAt: string | null;
};

const STATUS_TONE: Record<string, Tone> = { missing: "amber", wildcard: "blue" };

/**
 * The DNS list's rows, rendered from their data on the client (and on the
 * server for the first paint): as a server component each cell was
 * serialized again into the page's RSC payload, twice the HTML's size.
 */
export function DnsTable({ rows, canEdit, headers }: { rows: DnsTableRow[]; canEdit: boolean; headers: { name: React.ReactNode; status: React.ReactNode } }) {
  return (
    <table className="list-table dns-table" data-testid="dns-records">
      <thead>
        <tr>
          {headers.name}<th>Type</th><th>Content</th><th>Consumer</th>
          {headers.status}<th>Last error</th><th>Verified</th>
          {canEdit && <th className="px-4"><span className="sr-only">Actions</span></th>}
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.fqdn} data-fqdn={r.fqdn}>
            <td>{r.fqdn}</td>
            <td>{r.type}</td>
            <td>{r.content}</td>
            <td>
              <span>{r.consumerType === "instance" ? "Instance " : "Proxy "}</span>
              {r.consumerName ? <Link href={r.consumerType === "instance" ? `/instances/${r.consumerId}` : `/proxies/${r.consumerId}`} prefetch={false}>{r.consumerName}</Link> : <i>(gone)</i>}
            </td>
            <td data-testid="dns-status"><Badge tone={STATUS_TONE[r.status]}>{DNS_STATUS_LABEL[r.status] ?? r.status}</Badge></td>
            <td>{r.lastError ?? ""}</td>
            <td>{r.verified ?? "—"}</td>
            {canEdit && <td>{r.deleteAt && <DeleteRecordButton fqdn={r.fqdn} provider={r.deleteAt} />}</td>}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

"use client";
import Link from "next/link";
import { useActionState, useState } from "react";
import { Badge } from "@/components/ui/badge";
import { CertificateBadge, type TlsView } from "@/components/tls/certificate-badge";
import { EmptyState } from "@/components/ui/card";
import { FormStatus, SubmitButton } from "@/components/ui/form";
import { buttonClass } from "@/components/ui/styles";
import type { ActionResult } from "@/lib/action";
import { deleteProxyAction } from "./actions";

export interface ProxyRow {
  id: string;
  domain: string;
  upstream: string;
  websockets: boolean;
  forceTls: boolean;
  route: { status: string; error?: string };
  dns: { status: string; error?: string };
  tls: TlsView;
  url: string;
}

function DeleteProxyButton({ id, domain, onDeleted }: { id: string; domain: string; onDeleted: (message: string) => void }) {
  // The row disappears with its own state once the delete succeeds, so the success text is reported to the table.
  const [state, action] = useActionState(async (prev: ActionResult | null, form: FormData) => {
    const res = await deleteProxyAction(prev, form);
    if (res.ok) onDeleted(res.message ?? `Proxy ${domain} deleted.`);
    return res;
  }, null);
  return (
    <form
      action={action}
      onSubmit={(e) => {
        if (!confirm(`Delete the proxy for ${domain}? Its route and DNS record are removed.`)) e.preventDefault();
      }}
      className="flex flex-col items-end gap-1"
      aria-label={`Delete proxy ${domain}`}
    >
      <input type="hidden" name="id" value={id} />
      <input type="hidden" name="domain" value={domain} />
      <SubmitButton variant="danger" pendingText="Deleting…">Delete</SubmitButton>
      {state && !state.ok && <FormStatus state={state} />}
    </form>
  );
}

function StatusCell({ status, error }: { status: string; error?: string }) {
  return (
    <div className="space-y-1">
      <Badge>{status}</Badge>
      {error && <p className="max-w-xs break-words text-xs text-rose-700">{error}</p>}
    </div>
  );
}

/** Stays mounted when the last proxy is deleted, so the success notice survives the empty state. */
export function ProxyTable({ proxies, canEdit, sortHeaders }: { proxies: ProxyRow[]; canEdit: boolean; sortHeaders?: { domain: React.ReactNode; upstream: React.ReactNode; route: React.ReactNode } }) {
  const [notice, setNotice] = useState<string | null>(null);
  return (
    <div className="space-y-3">
      {notice && (
        <p role="status" className="text-sm text-emerald-700">
          {notice}
        </p>
      )}
      {proxies.length === 0 ? (
        <EmptyState title="No standalone proxies yet">Standalone proxies route a domain to an upstream such as http://192.0.2.10:8080.</EmptyState>
      ) : (
      <table className="list-table rounded-lg bg-white shadow-sm" aria-label="Standalone proxies">
        <thead>
          <tr>
            {sortHeaders?.domain ?? <th className="px-4 py-2">Domain</th>}
            {sortHeaders?.upstream ?? <th>Upstream</th>}
            {sortHeaders?.route ?? <th>Route</th>}
            <th>DNS</th>
            <th>HTTPS</th>
            <th>Options</th>
            {canEdit && <th className="px-4 text-right">Actions</th>}
          </tr>
        </thead>
        <tbody>
          {proxies.map((p) => (
            <tr key={p.id} data-testid="proxy-row">
              <td className="font-medium">
                <Link href={`/proxies/${p.id}`} prefetch={false} className="hover:underline">
                  {p.domain}
                </Link>
              </td>
              <td className="font-mono text-xs">{p.upstream}</td>
              <td data-testid="route-status">
                <StatusCell {...p.route} />
              </td>
              <td data-testid="dns-status">
                <StatusCell {...p.dns} />
              </td>
              <td>
                <CertificateBadge tls={p.tls} compact />
                {p.tls.status === "issued" && <a href={p.url} className="text-xs text-sky-700 underline" target="_blank" rel="noreferrer">{p.url}</a>}
              </td>
              <td className="text-xs text-slate-600">
                {[p.websockets && "WebSockets", p.forceTls && "Force TLS"].filter(Boolean).join(", ") || "—"}
              </td>
              {canEdit && (
                <td>
                  <div className="flex items-start justify-end gap-2">
                    <Link href={`/proxies/${p.id}`} prefetch={false} className={buttonClass("secondary")} aria-label={`Edit proxy ${p.domain}`}>
                      Edit
                    </Link>
                    <DeleteProxyButton id={p.id} domain={p.domain} onDeleted={setNotice} />
                  </div>
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
      )}
    </div>
  );
}

"use client";
import Link from "next/link";
import { useActionState, useState } from "react";
import { Badge } from "@/components/ui/badge";
import { CertificateBadge, type TlsView } from "@/components/tls/certificate-badge";
import { EmptyState } from "@/components/ui/card";
import { FormStatus } from "@/components/ui/form";
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
}

/** A route or DNS status, with its error when there is one (no wrapper: this repeats on every row). */
function StatusCell({ status, error }: { status: string; error?: string }) {
  return (
    <>
      <Badge>{status}</Badge>
      {error && <p className="cell-error">{error}</p>}
    </>
  );
}

/** Stays mounted when the last proxy is deleted, so the success notice survives the empty state. */
export function ProxyTable({ proxies, canEdit, sortHeaders }: { proxies: ProxyRow[]; canEdit: boolean; sortHeaders?: { domain: React.ReactNode; upstream: React.ReactNode; route: React.ReactNode } }) {
  const [notice, setNotice] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<string | null>(null);
  // One form around the table for every row's Delete: the clicked button submits its id (a form, two
  // hidden inputs and React's action placeholder per row were a third of a 200-row page).
  const [state, action] = useActionState(async (prev: ActionResult | null, form: FormData) => {
    const id = String(form.get("id") ?? "");
    const domain = proxies.find((p) => p.id === id)?.domain ?? id;
    form.set("domain", domain);
    setDeleting(id);
    const res = await deleteProxyAction(prev, form);
    setDeleting(null);
    setNotice(res.ok ? (res.message ?? `Proxy ${domain} deleted.`) : null);
    return res.ok ? null : { ...res, error: `${domain}: ${res.error}` };
  }, null);
  return (
    <div className="space-y-3">
      {notice && (
        <p role="status" className="text-sm text-emerald-700">
          {notice}
        </p>
      )}
      <FormStatus state={state} />
      {proxies.length === 0 ? (
        <EmptyState title="No standalone proxies yet">Standalone proxies route a domain to an upstream such as http://192.0.2.10:8080.</EmptyState>
      ) : (
      <form action={action}>
      <table className="list-table proxy-table rounded-lg bg-white shadow-sm" aria-label="Standalone proxies">
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
              <td>
                {/* The proxy's page is where it is edited (one link per row: an Edit button beside it was 20 KB of a 200-row page). */}
                <Link href={`/proxies/${p.id}`} prefetch={false}>
                  {p.domain}
                </Link>
              </td>
              <td>{p.upstream}</td>
              <td data-testid="route-status">
                <StatusCell {...p.route} />
              </td>
              <td data-testid="dns-status">
                <StatusCell {...p.dns} />
              </td>
              <td>
                <CertificateBadge tls={p.tls} compact />
                {p.tls.status === "issued" && <a href={`https://${p.domain}`} className="text-xs text-sky-700 underline" target="_blank" rel="noreferrer">https://{p.domain}</a>}
              </td>
              <td>{[p.websockets && "WebSockets", p.forceTls && "Force TLS"].filter(Boolean).join(", ") || "—"}</td>
              {canEdit && (
                <td className="row-actions">
                  <button
                    type="submit"
                    name="id"
                    value={p.id}
                    className={buttonClass("danger")}
                    disabled={deleting !== null}
                    aria-label={`Delete proxy ${p.domain}`}
                    onClick={(e) => {
                      if (!confirm(`Delete the proxy for ${p.domain}? Its route and DNS record are removed.`)) e.preventDefault();
                    }}
                  >
                    {deleting === p.id ? "Deleting…" : "Delete"}
                  </button>
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
      </form>
      )}
    </div>
  );
}

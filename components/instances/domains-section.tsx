"use client";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useActionState, useEffect, useState } from "react";
import { Badge, type Tone } from "@/components/ui/badge";
import { FormStatus, SubmitButton, TextField } from "@/components/ui/form";
import { addDomainAction, domainAction } from "@/app/(dashboard)/instances/domain-actions";
import type { TDomainView } from "@/lib/domains/present-domain";

type Domain = Omit<TDomainView, "checkedAt" | "retryAt" | "misconfiguredSince" | "unroutedAt"> & { checkedAt?: string; retryAt?: string; misconfiguredSince?: string; unroutedAt?: string };

const TONE: Record<string, Tone> = { active: "green", failed: "red", misconfigured: "amber", pending: "blue", validating: "blue", routing: "blue", removing: "amber" };
const SETTLED = new Set(["active", "failed", "misconfigured"]);

function Copyable({ text, label }: { text: string; label: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <button
      type="button"
      className="ml-1 rounded border border-slate-300 px-1 text-[10px] text-slate-600 hover:bg-slate-100"
      aria-label={`Copy ${label}`}
      onClick={() => void navigator.clipboard?.writeText(text).then(() => setCopied(true), () => setCopied(false))}
    >
      {copied ? "copied" : "copy"}
    </button>
  );
}

/** The records that would satisfy validation: any one of them (the TXT one for a Cloudflare-proxied name). */
function Records({ d }: { d: Domain }) {
  return (
    <table className="mt-2 w-full text-xs" data-testid="domain-records">
      <thead>
        <tr className="text-left text-slate-500"><th className="pr-2 font-normal">Type</th><th className="pr-2 font-normal">Name</th><th className="font-normal">Value</th></tr>
      </thead>
      <tbody className="font-mono">
        {d.expected.map((r) => (
          <tr key={`${r.type}-${r.content}`} data-testid={`domain-record-${r.type}`}>
            <td className="pr-2 align-top">{r.type}</td>
            <td className="break-all pr-2 align-top">{r.name}<Copyable text={r.name} label={`${r.type} name`} /></td>
            <td className="break-all align-top">{r.content}<Copyable text={r.content} label={`${r.type} value`} /></td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The CNAME Wharf writes itself: the domain's zone is one the DNS provider manages. */
function ManagedDns({ d, fqdn }: { d: Domain; fqdn: string }) {
  const dns = d.dns!;
  return (
    <p className="mt-2 text-xs text-slate-600" data-testid="domain-dns-managed">
      DNS managed by Wharf in zone <span className="font-mono">{dns.zone}</span>: <span className="font-mono">{d.domain} CNAME {fqdn}</span>
      {dns.status !== "synced" && <span className="text-rose-700"> ({dns.status}{dns.error ? `: ${dns.error}` : ""})</span>}. Nothing to create.
    </p>
  );
}

export function DomainsSection({ instanceId, fqdn, canEdit }: { instanceId: string; fqdn: string; canEdit: boolean }) {
  const qc = useQueryClient();
  const { data } = useQuery({
    queryKey: ["domains", instanceId],
    queryFn: async () => ((await (await fetch(`/api/instances/${instanceId}/domains`, { cache: "no-store" })).json()) as { items: Domain[] }).items,
    // Poll while a job works on a domain; settle otherwise.
    refetchInterval: (q) => ((q.state.data ?? []).some((d) => !SETTLED.has(d.state)) ? 1000 : 15_000),
  });
  const [added, add] = useActionState(addDomainAction, null);
  const [acted, act] = useActionState(domainAction, null);
  useEffect(() => {
    void qc.invalidateQueries({ queryKey: ["domains", instanceId] });
  }, [added, acted, qc, instanceId]);
  const items = data ?? [];
  return (
    <div className="space-y-3 text-sm">
      <p className="text-slate-600">
        Serve this instance at a domain of your own as well as <span className="font-mono">{fqdn}</span>. Create one of the records shown for it
        (a CNAME, an A record to the target address, or — for a name proxied by Cloudflare — the TXT record); Wharf routes it only once the DNS shows it.
        When the domain&apos;s zone is one the configured DNS provider manages, Wharf writes the CNAME itself.
      </p>
      {canEdit && (
        <form action={add} className="grid items-end gap-3 sm:grid-cols-[1fr_auto]" aria-label="Add domain">
          <input type="hidden" name="id" value={instanceId} />
          <TextField label="Domain" name="domain" placeholder="shop.example.org" defaultValue={added && !added.ok ? added.typed?.domain : undefined} error={added && !added.ok ? added.fieldErrors?.domain : undefined} />
          <SubmitButton pendingText="Adding…">Add domain</SubmitButton>
        </form>
      )}
      <FormStatus state={added} />
      <FormStatus state={acted} />
      {items.length === 0 ? (
        <p className="text-slate-500">No custom domains.</p>
      ) : (
        <ul className="divide-y divide-slate-100" data-testid="domains">
          {items.map((d) => (
            <li key={d.domain} className="py-3" data-testid="domain" data-domain={d.domain} data-state={d.state}>
              <div className="flex flex-wrap items-center justify-between gap-2">
                <span>
                  <span className="font-mono">{d.domain}</span> <span data-testid="domain-state"><Badge tone={TONE[d.state]}>{d.state}</Badge></span>
                  {d.checkedAt && <span className="ml-2 text-xs text-slate-500">checked {new Date(d.checkedAt).toLocaleString()}</span>}
                </span>
                {canEdit && (
                  <span className="flex gap-2">
                    <form action={act}>
                      <input type="hidden" name="id" value={instanceId} /><input type="hidden" name="domain" value={d.domain} />
                      <SubmitButton variant="secondary" name="op" value="check" pendingText="Checking…" disabled={!SETTLED.has(d.state) && d.state !== "pending"}>Check now</SubmitButton>
                    </form>
                    <form action={act} onSubmit={(e) => { if (!confirm(`Remove ${d.domain} from this instance?`)) e.preventDefault(); }}>
                      <input type="hidden" name="id" value={instanceId} /><input type="hidden" name="domain" value={d.domain} />
                      <SubmitButton variant="danger" name="op" value="remove" pendingText="Removing…" disabled={d.state === "removing"}>Remove</SubmitButton>
                    </form>
                  </span>
                )}
              </div>
              {d.reason && <p className={`mt-1 text-xs ${d.state === "misconfigured" ? "text-amber-700" : "text-rose-700"}`} data-testid="domain-reason">{d.reason}</p>}
              {d.state === "misconfigured" && d.unroutedAt && <p className="mt-1 text-xs text-amber-700">Still served until {new Date(d.unroutedAt).toLocaleString()}; then it is taken off the route unless it points here again.</p>}
              {d.state === "failed" && d.retryAt && <p className="mt-1 text-xs text-slate-500">Wharf checks again after {new Date(d.retryAt).toLocaleString()}, or now with Check now.</p>}
              {d.dns ? <ManagedDns d={d} fqdn={fqdn} /> : d.state !== "active" && <Records d={d} />}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

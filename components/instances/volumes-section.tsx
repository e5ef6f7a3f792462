"use client";
import Link from "next/link";
import { useActionState } from "react";
import { FormStatus, SubmitButton } from "@/components/ui/form";
import { deleteVolumeAction } from "@/app/(dashboard)/instances/actions";
import type { TVolumeList, TVolumeView } from "@/lib/deployer/instance-volumes";
import { formatBytes } from "./format";

/**
 * Wharf's named volumes on every engine server: mounted ones name their
 * instance; kept ones (instance removed) can be attached to a new instance
 * (on the local server) or deleted. A server that did not answer is named.
 */
export function VolumesSection({ volumes, unavailable = [], canEdit, error }: { volumes: TVolumeView[]; unavailable?: TVolumeList["unavailable"]; canEdit: boolean; error?: string }) {
  const [state, action] = useActionState(deleteVolumeAction, null);
  if (error) return <p className="text-sm text-amber-700">{error}</p>;
  const down = unavailable.map((u) => (
    <p key={u.server} className="text-sm text-amber-700" data-testid="volumes-unavailable">Volumes on server {u.server} unavailable: {u.error}</p>
  ));
  if (volumes.length === 0) return <>{down}<p className="text-sm text-slate-500">No volumes. Instances get one per mount such as <code>/data</code>; it outlives redeploys and, unless you ask, removal.</p></>;
  const servers = new Set(volumes.map((v) => v.server)).size > 1 || volumes.some((v) => v.serverId !== null);
  return (
    <div className="space-y-2">
      {down}
      <table className="w-full text-left text-sm" data-testid="volumes-table">
        <thead className="text-xs uppercase text-slate-500">
          <tr><th className="py-1">Volume</th>{servers && <th>Server</th>}<th>Size</th><th>Used by</th><th></th></tr>
        </thead>
        <tbody>
          {volumes.map((v) => (
            <tr key={`${v.server}/${v.name}`} className="border-t border-slate-100" data-volume={v.name} data-server={v.server}>
              <td className="py-1 font-mono text-xs">{v.name}</td>
              {servers && <td className="text-xs">{v.server}</td>}
              <td className="text-xs">{v.sizeBytes === null ? "—" : formatBytes(v.sizeBytes)}</td>
              <td className="text-xs">{v.instance ? <Link className="text-sky-700 underline" href={`/instances/${v.instance.id}`}>{v.instance.name}</Link> : <span className="text-amber-700">kept (no instance)</span>}</td>
              <td className="text-right">
                {canEdit && !v.instance && (
                  <form action={action} onSubmit={(e) => { if (!confirm(`Delete volume ${v.name} on ${v.server} and all its data?`)) e.preventDefault(); }} className="inline-flex gap-2">
                    <Link className="text-xs text-sky-700 underline" href={`/instances/new?volume=${encodeURIComponent(v.name)}${v.serverId ? `&server=${encodeURIComponent(v.server)}` : ""}`}>Attach to a new instance</Link>
                    <input type="hidden" name="name" value={v.name} />
                    <input type="hidden" name="server" value={v.server} />
                    <SubmitButton variant="danger" pendingText="Deleting…">Delete</SubmitButton>
                  </form>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <FormStatus state={state} />
    </div>
  );
}

"use client";
import { useState, useTransition } from "react";
import { buttonClass } from "@/components/ui/styles";
import { deleteDnsRecordAction } from "./actions";

/** "Delete" with an inline confirmation: the record goes at the provider first, then from the ledger. */
export function DeleteRecordButton({ fqdn, provider }: { fqdn: string; provider: string }) {
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [pending, start] = useTransition();

  if (!confirming) {
    return (
      <button type="button" className={buttonClass("secondary")} onClick={() => { setError(null); setConfirming(true); }} aria-label={`Delete ${fqdn}`}>
        Delete
      </button>
    );
  }
  return (
    <div role="alertdialog" aria-label={`Delete ${fqdn}?`} className="max-w-xs space-y-2 rounded-md border border-rose-200 bg-rose-50 p-2 text-xs">
      <p>Delete <strong>{fqdn}</strong> at {provider} and from Wharf&apos;s ledger?</p>
      <div className="flex gap-2">
        <button
          type="button"
          className={buttonClass("danger")}
          disabled={pending}
          onClick={() =>
            start(async () => {
              const res = await deleteDnsRecordAction(fqdn);
              if (res.ok) setConfirming(false);
              else setError(res.error);
            })
          }
        >
          {pending ? "Deleting…" : "Delete record"}
        </button>
        <button type="button" className={buttonClass("secondary")} disabled={pending} onClick={() => setConfirming(false)}>
          Cancel
        </button>
      </div>
      {error && <p role="alert" className="text-rose-700">{error}</p>}
    </div>
  );
}

"use client";
import Link from "next/link";
import { useActionState } from "react";
import { FormStatus, SubmitButton } from "@/components/ui/form";
import { chooseManagedProxyAction } from "@/app/(dashboard)/actions";

/**
 * The first-run notice (issue 24): with no proxy configured, instances run
 * but nothing answers at their names. Admins get the managed proxy in one
 * click; everyone gets the way to the other choices.
 */
export function NoProxyNotice({ canEdit, fqdn }: { canEdit: boolean; fqdn?: string }) {
  const [state, action] = useActionState(chooseManagedProxyAction, null);
  return (
    <div role="status" className="mb-4 rounded-md border border-sky-200 bg-sky-50 p-3 text-sm text-sky-900" data-testid="no-proxy-notice">
      <p className="font-medium">
        {fqdn ? <>This instance is not reachable at <span className="font-mono">{fqdn}</span> yet: </> : <>Instances are not reachable by name yet: </>}
        no proxy is configured.
      </p>
      <p className="mt-1">
        {canEdit ? "Wharf can run Caddy itself, on ports 80 and 443 of this machine, and route every instance at once." : "An admin can let Wharf run Caddy, or configure an existing proxy."}{" "}
        <Link href="/settings" className="underline">Proxy settings</Link> has the other choices (your own Caddy, Nginx Proxy Manager).
      </p>
      {canEdit && (
        <form action={action} className="mt-2 flex flex-wrap items-center gap-3">
          <SubmitButton pendingText="Starting Caddy…">Use Wharf&apos;s Caddy</SubmitButton>
          <FormStatus state={state} />
        </form>
      )}
    </div>
  );
}

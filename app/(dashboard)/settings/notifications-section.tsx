"use client";
import { useActionState, useState, useTransition } from "react";
import { Field, FormStatus, SubmitButton, TextField, buttonClass, inputClass } from "@/components/ui/form";
import type { ActionResult } from "@/lib/action";
import { EVENT_NAMES } from "@/lib/outbox/events";
import { createChannelAction, deleteChannelAction, savePublicUrlAction, setChannelEnabledAction, testChannelAction, updateChannelAction } from "./notification-actions";

type Delivery = { id: string; event: string; consumer: string | null; count: number; status: string; attempts: number; error: string | null; createdAt: string };
export type ChannelView = { id: string; name: string; type: string; config: Record<string, unknown>; events: "all" | string[]; enabled: boolean; updatedAt: string; lastDeliveries: Delivery[] };

function ChannelRow({ ch }: { ch: ChannelView }) {
  const [pending, start] = useTransition();
  const [result, setResult] = useState<{ ok: boolean; message: string } | null>(null);
  const [editing, setEditing] = useState(false);
  const where = String(ch.config.url ?? ch.config.serverUrl ?? ch.config.host ?? (ch.config.urlSet ? "(webhook URL set)" : ""));
  return (
    <li className="rounded border border-slate-200 p-3" data-testid={`channel-${ch.name}`}>
      <div className="flex flex-wrap items-center gap-3">
        <strong>{ch.name}</strong>
        <span className="text-xs uppercase text-slate-500">{ch.type}</span>
        <span className="truncate text-sm text-slate-600">{where}</span>
        <span className="text-xs text-slate-500">{ch.events === "all" ? "all events" : ch.events.join(", ")}</span>
        <label className="ml-auto flex items-center gap-1 text-sm">
          <input type="checkbox" checked={ch.enabled} disabled={pending} onChange={(e) => start(async () => void (await setChannelEnabledAction(ch.id, e.target.checked)))} aria-label={`Enabled: ${ch.name}`} />
          Enabled
        </label>
        <button type="button" className={buttonClass("secondary")} disabled={pending} onClick={() => start(async () => {
          const res = await testChannelAction(ch.id);
          setResult(res.ok ? res.data : { ok: false, message: res.error });
        })}>
          {pending ? "Sending…" : "Send test"}
        </button>
        <button type="button" className={buttonClass("secondary")} aria-expanded={editing} onClick={() => setEditing(!editing)}>
          {editing ? "Close" : "Edit"}
        </button>
        <button type="button" className={buttonClass("danger")} disabled={pending} onClick={() => confirm(`Delete channel ${ch.name}?`) && start(async () => void (await deleteChannelAction(ch.id)))}>
          Delete
        </button>
      </div>
      {editing && <EditChannelForm ch={ch} />}
      {result && (
        <p role="status" data-testid="channel-test-result" className={`mt-2 text-sm ${result.ok ? "text-emerald-700" : "text-rose-700"}`}>
          {result.ok ? "✓ " : "✗ "}
          {result.message}
        </p>
      )}
      {ch.lastDeliveries.length > 0 && (
        <table className="mt-2 w-full text-xs">
          <thead><tr className="text-left text-slate-500"><th>When</th><th>Event</th><th>Result</th><th>Attempts</th><th>Error</th></tr></thead>
          <tbody>
            {ch.lastDeliveries.map((d) => (
              <tr key={d.id} data-testid="delivery-row">
                <td>{new Date(d.createdAt).toLocaleString()}</td>
                <td>{d.event}{d.consumer ? ` (${d.consumer})` : ""}{d.count > 1 ? ` ×${d.count}` : ""}</td>
                <td>{d.status}</td>
                <td>{d.attempts}</td>
                <td className="text-rose-700">{d.error}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </li>
  );
}

/** Secret fields are write-only: on Edit they start blank, and blank keeps the stored value while the address is unchanged. */
const keepHint = (set: unknown, address: string) => (set ? `Leave blank to keep the stored one; enter it again when ${address} changes` : undefined);

function TypeFields({ type, fe, values = {}, editing = false }: { type: string; fe?: Record<string, string>; values?: Record<string, unknown>; editing?: boolean }) {
  const v = (k: string, fallback?: string | number) => {
    const x = values[k];
    return Array.isArray(x) ? x.join(", ") : typeof x === "string" || typeof x === "number" ? x : fallback;
  };
  switch (type) {
    case "webhook":
      return (
        <>
          <TextField label="URL" name="config.url" defaultValue={v("url")} error={fe?.["config.url"]} placeholder="https://hooks.example.com/wharf" />
          <TextField label="Signing secret" name="config.secret" type="password" autoComplete="off" error={fe?.["config.secret"]} hint={(editing && keepHint(values.secretSet, "the URL")) || "X-Wharf-Signature-256: sha256=HMAC of the body"} />
        </>
      );
    case "slack":
    case "discord":
      return <TextField label="Incoming webhook URL" name="config.url" type="password" autoComplete="off" error={fe?.["config.url"]} hint={editing && values.urlSet ? "Leave blank to keep the stored URL" : "The URL is the credential: it is stored encrypted and not shown again"} />;
    case "ntfy":
      return (
        <>
          <TextField label="Server URL" name="config.serverUrl" defaultValue={v("serverUrl")} error={fe?.["config.serverUrl"]} placeholder="https://ntfy.sh" />
          <TextField label="Topic" name="config.topic" defaultValue={v("topic")} error={fe?.["config.topic"]} />
          <TextField label="Access token (optional)" name="config.token" type="password" autoComplete="off" error={fe?.["config.token"]} hint={editing ? keepHint(values.tokenSet, "the server URL") : undefined} />
          <TextField label="Priority (1-5)" name="config.priority" type="number" defaultValue={v("priority", 3)} error={fe?.["config.priority"]} />
        </>
      );
    case "email":
      return (
        <>
          <TextField label="SMTP host" name="config.host" defaultValue={v("host")} error={fe?.["config.host"]} />
          <TextField label="Port" name="config.port" type="number" defaultValue={v("port", 587)} error={fe?.["config.port"]} />
          <Field label="Security" name="config.security" error={fe?.["config.security"]}>
            <select id="config.security" name="config.security" className={inputClass} defaultValue={v("security", "starttls")}>
              <option value="starttls">STARTTLS (required)</option>
              <option value="tls">TLS</option>
              <option value="none">none (local relay)</option>
            </select>
          </Field>
          <TextField label="Username (optional)" name="config.username" defaultValue={v("username")} error={fe?.["config.username"]} autoComplete="off" />
          <TextField label="Password" name="config.password" type="password" autoComplete="off" error={fe?.["config.password"]} hint={editing ? keepHint(values.passwordSet, "the host, port or username") : undefined} />
          <TextField label="From" name="config.from" defaultValue={v("from")} error={fe?.["config.from"]} placeholder="wharf@example.com" />
          <TextField label="To (comma-separated)" name="config.to" defaultValue={v("to")} error={fe?.["config.to"] ?? fe?.["config.to.0"]} />
          <Field label="Extra trusted root (PEM, optional)" name="config.trustedRootPem" error={fe?.["config.trustedRootPem"]} hint="For a relay whose certificate a private CA signed; the system roots are always trusted">
            <textarea id="config.trustedRootPem" name="config.trustedRootPem" rows={3} className={inputClass} defaultValue={v("trustedRootPem")} placeholder="-----BEGIN CERTIFICATE-----" />
          </Field>
        </>
      );
    default:
      return null;
  }
}

function EventsField({ initial, error }: { initial: "all" | string[]; error?: string }) {
  // Controlled, so a refused save (which resets the form's uncontrolled fields) keeps the choice.
  const [all, setAll] = useState(initial === "all");
  const [picked, setPicked] = useState<string[]>(initial === "all" ? [] : initial);
  return (
    <fieldset className="sm:col-span-2">
      <legend className="text-sm font-medium">Events {error && <span className="text-rose-700">{error}</span>}</legend>
      <label className="mr-4 text-sm"><input type="checkbox" name="eventsAll" checked={all} onChange={(e) => setAll(e.target.checked)} /> all events</label>
      {!all && EVENT_NAMES.map((e) => (
        <label key={e} className="mr-4 inline-block text-sm"><input type="checkbox" name="event" value={e} checked={picked.includes(e)} onChange={(x) => setPicked(x.target.checked ? [...picked, e] : picked.filter((p) => p !== e))} /> {e}</label>
      ))}
    </fieldset>
  );
}

type ChannelAction = (prev: ActionResult | null, form: FormData) => Promise<ActionResult>;

/**
 * Submits a channel form without React's automatic form reset: a reset puts
 * each field back to its first render (the "all events" box checked again
 * while the list below it says otherwise), and a refused form would lose what
 * was typed. The callers key their fields on the saved data instead (a
 * channel's updatedAt, the list of channels), so a save remounts them with
 * the saved values and blank secret fields once the refreshed page arrives;
 * a counter bumped by the action would remount them with the props from
 * before the save.
 */
function useChannelForm(action: ChannelAction) {
  const [state, dispatch, pending] = useActionState(action, null);
  const [, start] = useTransition();
  const onSubmit = (e: React.FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    start(() => dispatch(form));
  };
  return { state, pending, onSubmit, fe: state && !state.ok ? state.fieldErrors : undefined };
}

function EditChannelForm({ ch }: { ch: ChannelView }) {
  const { state, pending, onSubmit, fe } = useChannelForm((prev, form) => updateChannelAction(ch.id, prev, form));
  return (
    <form onSubmit={onSubmit} className="mt-3 grid gap-3 border-t border-slate-200 pt-3 sm:grid-cols-2" aria-label={`Edit channel ${ch.name}`}>
      <div key={ch.updatedAt} className="contents">
        <TextField label="Channel name" name="channelName" defaultValue={ch.name} error={fe?.name} />
        <TypeFields type={ch.type} fe={fe} values={ch.config} editing />
        <EventsField initial={ch.events} error={fe?.events} />
      </div>
      <div className="flex items-center gap-3 sm:col-span-2">
        <button type="submit" className={buttonClass("primary")} disabled={pending} aria-busy={pending}>{pending ? "Saving…" : "Save channel"}</button>
        <FormStatus state={state} />
      </div>
    </form>
  );
}

export function NotificationsSection({ channels, publicUrl }: { channels: ChannelView[]; publicUrl: string | null }) {
  const { state, pending, onSubmit, fe } = useChannelForm(createChannelAction);
  const [urlState, urlAction] = useActionState(savePublicUrlAction, null);
  const [type, setType] = useState("webhook");
  return (
    <div className="space-y-4">
      <form action={urlAction} className="flex flex-wrap items-end gap-3" aria-label="Public URL">
        <TextField label="Public URL (for links in messages)" name="publicUrl" defaultValue={publicUrl ?? ""} placeholder="https://wharf.example.com" error={urlState && !urlState.ok ? urlState.fieldErrors?.publicUrl : undefined} />
        <SubmitButton variant="secondary">Save URL</SubmitButton>
        <FormStatus state={urlState} />
      </form>
      {channels.length === 0 ? <p className="text-sm text-slate-600">No channels yet.</p> : <ul className="space-y-2">{channels.map((c) => <ChannelRow key={c.id} ch={c} />)}</ul>}
      <form onSubmit={onSubmit} className="grid gap-3 sm:grid-cols-2" aria-label="Add notification channel">
        <div key={channels.map((c) => c.id).join(",")} className="contents">
          <TextField label="Channel name" name="channelName" error={fe?.name} placeholder="ops-webhook" />
          <Field label="Type" name="type" error={fe?.type}>
            <select id="type" name="type" className={inputClass} value={type} onChange={(e) => setType(e.target.value)}>
              <option value="webhook">Webhook</option>
              <option value="email">E-mail (SMTP)</option>
              <option value="ntfy">ntfy</option>
              <option value="slack">Slack</option>
              <option value="discord">Discord</option>
            </select>
          </Field>
          <TypeFields type={type} fe={fe} />
          <EventsField initial="all" error={fe?.events} />
        </div>
        <div className="flex items-center gap-3 sm:col-span-2">
          <button type="submit" className={buttonClass("primary")} disabled={pending} aria-busy={pending}>{pending ? "Adding…" : "Add channel"}</button>
          <FormStatus state={state} />
        </div>
      </form>
    </div>
  );
}

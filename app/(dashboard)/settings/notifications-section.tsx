"use client";
import { useActionState, useState, useTransition } from "react";
import { Field, FormStatus, SubmitButton, TextField, buttonClass, inputClass } from "@/components/ui/form";
import { EVENT_NAMES } from "@/lib/notifications/events";
import { createChannelAction, deleteChannelAction, savePublicUrlAction, setChannelEnabledAction, testChannelAction } from "./notification-actions";

type Delivery = { id: string; event: string; consumer: string | null; count: number; status: string; attempts: number; error: string | null; createdAt: string };
export type ChannelView = { id: string; name: string; type: string; config: Record<string, unknown>; events: "all" | string[]; enabled: boolean; lastDeliveries: Delivery[] };

function ChannelRow({ ch }: { ch: ChannelView }) {
  const [pending, start] = useTransition();
  const [result, setResult] = useState<{ ok: boolean; message: string } | null>(null);
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
        <button type="button" className={buttonClass("danger")} disabled={pending} onClick={() => confirm(`Delete channel ${ch.name}?`) && start(async () => void (await deleteChannelAction(ch.id)))}>
          Delete
        </button>
      </div>
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

function TypeFields({ type, fe }: { type: string; fe?: Record<string, string> }) {
  switch (type) {
    case "webhook":
      return (
        <>
          <TextField label="URL" name="config.url" error={fe?.["config.url"]} placeholder="https://hooks.example.com/wharf" />
          <TextField label="Signing secret" name="config.secret" type="password" autoComplete="off" error={fe?.["config.secret"]} hint="X-Wharf-Signature-256: sha256=HMAC of the body" />
        </>
      );
    case "slack":
    case "discord":
      return <TextField label="Incoming webhook URL" name="config.url" type="password" autoComplete="off" error={fe?.["config.url"]} hint="The URL is the credential: it is stored encrypted and not shown again" />;
    case "ntfy":
      return (
        <>
          <TextField label="Server URL" name="config.serverUrl" error={fe?.["config.serverUrl"]} placeholder="https://ntfy.sh" />
          <TextField label="Topic" name="config.topic" error={fe?.["config.topic"]} />
          <TextField label="Access token (optional)" name="config.token" type="password" autoComplete="off" error={fe?.["config.token"]} />
          <TextField label="Priority (1-5)" name="config.priority" type="number" defaultValue={3} error={fe?.["config.priority"]} />
        </>
      );
    case "email":
      return (
        <>
          <TextField label="SMTP host" name="config.host" error={fe?.["config.host"]} />
          <TextField label="Port" name="config.port" type="number" defaultValue={587} error={fe?.["config.port"]} />
          <Field label="Security" name="config.security" error={fe?.["config.security"]}>
            <select id="config.security" name="config.security" className={inputClass} defaultValue="starttls">
              <option value="starttls">STARTTLS (required)</option>
              <option value="tls">TLS</option>
              <option value="none">none (local relay)</option>
            </select>
          </Field>
          <TextField label="Username (optional)" name="config.username" error={fe?.["config.username"]} autoComplete="off" />
          <TextField label="Password" name="config.password" type="password" autoComplete="off" error={fe?.["config.password"]} />
          <TextField label="From" name="config.from" error={fe?.["config.from"]} placeholder="wharf@example.com" />
          <TextField label="To (comma-separated)" name="config.to" error={fe?.["config.to"] ?? fe?.["config.to.0"]} />
        </>
      );
    default:
      return null;
  }
}

export function NotificationsSection({ channels, publicUrl }: { channels: ChannelView[]; publicUrl: string | null }) {
  const [state, action] = useActionState(createChannelAction, null);
  const [urlState, urlAction] = useActionState(savePublicUrlAction, null);
  const [type, setType] = useState("webhook");
  const [all, setAll] = useState(true);
  const fe = state && !state.ok ? state.fieldErrors : undefined;
  return (
    <div className="space-y-4">
      <form action={urlAction} className="flex flex-wrap items-end gap-3" aria-label="Public URL">
        <TextField label="Public URL (for links in messages)" name="publicUrl" defaultValue={publicUrl ?? ""} placeholder="https://wharf.example.com" error={urlState && !urlState.ok ? urlState.fieldErrors?.publicUrl : undefined} />
        <SubmitButton variant="secondary">Save URL</SubmitButton>
        <FormStatus state={urlState} />
      </form>
      {channels.length === 0 ? <p className="text-sm text-slate-600">No channels yet.</p> : <ul className="space-y-2">{channels.map((c) => <ChannelRow key={c.id} ch={c} />)}</ul>}
      <form action={action} className="grid gap-3 sm:grid-cols-2" aria-label="Add notification channel">
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
        <fieldset className="sm:col-span-2">
          <legend className="text-sm font-medium">Events {fe?.events && <span className="text-rose-700">{fe.events}</span>}</legend>
          <label className="mr-4 text-sm"><input type="checkbox" name="events.all" checked={all} onChange={(e) => setAll(e.target.checked)} /> all events</label>
          {!all && EVENT_NAMES.map((e) => (
            <label key={e} className="mr-4 inline-block text-sm"><input type="checkbox" name="events" value={e} /> {e}</label>
          ))}
        </fieldset>
        <div className="flex items-center gap-3 sm:col-span-2">
          <SubmitButton pendingText="Adding…">Add channel</SubmitButton>
          <FormStatus state={state} />
        </div>
      </form>
    </div>
  );
}

"use client";
import { useActionState, useEffect, useRef, useState, useTransition } from "react";
import { Badge } from "@/components/ui/badge";
import { Field, FormStatus, buttonClass, inputClass } from "@/components/ui/form";
import type { ActionResult } from "@/lib/action";
import type { TServerTest } from "@/lib/servers/test-server";
import { createServerAction, deleteServerAction, listNodesAction, testServerAction, updateNodeAction, updateServerAction } from "./servers-actions";
import type { TNodeView } from "@/lib/servers/servers";

// Settings → Servers (SPEC §16, issue 27): the Docker engines Wharf deploys
// to. Keys and certificates are write-only: the page only ever learns whether
// they are set. Every form and button goes through servers-actions.ts.

/** GET /api/servers' item, as the page hands it over (dates as strings). */
export type ServerView = {
  id: string;
  name: string;
  kind: string;
  transport: string;
  address: string | null;
  port: number | null;
  upstreamAddress: string | null;
  labels: Record<string, string>;
  bindRoot?: string | null;
  status: string;
  lastSeenAt: string | null;
  lastError: string | null;
  engineVersion: string | null;
  containers?: number | null;
  instances: number;
  builtIn: boolean;
  tls?: { caSet: boolean; certSet: boolean; keySet: boolean };
  ssh?: { user: string; privateKeySet: boolean; hostKeySha256: string | null };
  error?: string;
};

const labelsText = (l: Record<string, string>) => Object.entries(l).map(([k, v]) => `${k}=${v}`).join("\n");
const HOST_KEY_HELP = "ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub";

/** The outcome of "Test connection"; for SSH the host key fingerprint and how to check it. */
function TestResult({ result }: { result: TServerTest }) {
  return (
    <div role="status" data-testid="server-test-result" className={`text-sm ${result.ok ? "text-emerald-700" : "text-rose-700"}`}>
      <p>{result.ok ? "✓ " : "✗ "}{result.message}</p>
      {result.ok && (result.engineVersion || result.containers !== undefined) && (
        <p className="text-xs text-slate-600">Docker {result.engineVersion ?? "?"}{result.containers !== undefined ? ` · ${result.containers} containers` : ""}</p>
      )}
      {result.hostKeySha256 && (
        <p className="mt-1 rounded border border-amber-200 bg-amber-50 p-2 text-xs text-amber-900" data-testid="server-host-key">
          Host key <code>{result.hostKeySha256}</code> is pinned: confirm this is your server&apos;s host key (<code>{HOST_KEY_HELP}</code> on the server prints it).
          If it is not, delete this server: every connection is checked against this key.
        </p>
      )}
    </div>
  );
}

type ServerAction = (prev: ActionResult | null, form: FormData) => Promise<ActionResult>;

/** Submits without React's form reset, so a refused form keeps what was typed; callers key the fields on the saved data instead. */
function useServerForm(action: ServerAction) {
  const [state, dispatch, pending] = useActionState(action, null);
  const [, start] = useTransition();
  const onSubmit = (e: React.FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    start(() => dispatch(form));
  };
  return { state, pending, onSubmit, fe: state && !state.ok ? state.fieldErrors : undefined };
}

/** One labelled control; `prefix` keeps ids unique while several forms are open. */
function Input({ prefix, name, errorKey = name, label, fe, hint, textarea, ...rest }: { prefix: string; name: string; /** The API's field name when the form's differs. */ errorKey?: string; label: string; fe?: Record<string, string>; hint?: React.ReactNode; textarea?: boolean; defaultValue?: string | number; placeholder?: string; type?: string; autoComplete?: string; rows?: number }) {
  const id = `${prefix}${name}`;
  const error = fe?.[errorKey];
  return (
    <Field label={label} name={id} error={error} hint={hint}>
      {textarea ? (
        <textarea id={id} name={name} className={`${inputClass} font-mono text-xs`} aria-invalid={!!error} spellCheck={false} {...rest} />
      ) : (
        <input id={id} name={name} className={inputClass} aria-invalid={!!error} {...rest} />
      )}
    </Field>
  );
}

/** The error of a whole credential group (`tls`, `ssh`): "is required", or "enter them again" after an address change. */
function GroupError({ fe, group }: { fe?: Record<string, string>; group: string }) {
  const error = fe?.[group];
  return error ? <p role="alert" data-field-error={group} className="col-span-full text-xs text-rose-600">{error}</p> : null;
}

function CredentialFields({ transport, prefix, fe, current }: { transport: string; prefix: string; fe?: Record<string, string>; current?: ServerView }) {
  const editing = !!current;
  const keep = editing ? "set — leave blank to keep" : undefined;
  if (transport === "tls") {
    return (
      <fieldset className="grid gap-3 sm:col-span-2 sm:grid-cols-3">
        <legend className="mb-1 text-sm font-medium text-slate-700">TLS client credentials (PEM) {editing && <span className="font-normal text-slate-500">· write-only: {current.tls?.keySet ? "set" : "not set"}</span>}</legend>
        <GroupError fe={fe} group="tls" />
        <Input prefix={prefix} name="tls.ca" label="CA certificate" fe={fe} textarea rows={4} placeholder={keep ?? "-----BEGIN CERTIFICATE-----"} hint="The CA that signed the engine's certificate: it is verified" />
        <Input prefix={prefix} name="tls.cert" label="Client certificate" fe={fe} textarea rows={4} placeholder={keep ?? "-----BEGIN CERTIFICATE-----"} />
        <Input prefix={prefix} name="tls.key" label="Client key" fe={fe} textarea rows={4} placeholder={keep ?? "-----BEGIN PRIVATE KEY-----"} hint="Encrypted at rest, never shown again" />
      </fieldset>
    );
  }
  return (
    <fieldset className="grid gap-3 sm:col-span-2 sm:grid-cols-3">
      <legend className="mb-1 text-sm font-medium text-slate-700">SSH {editing && <span className="font-normal text-slate-500">· user {current.ssh?.user ?? "?"}, private key {current.ssh?.privateKeySet ? "set" : "not set"} (write-only)</span>}</legend>
      <GroupError fe={fe} group="ssh" />
      <Input prefix={prefix} name="ssh.user" label="User" fe={fe} placeholder={current?.ssh?.user ?? "deploy"} autoComplete="off" hint="In the docker group on the server, with the docker CLI installed" />
      <Input prefix={prefix} name="ssh.privateKey" label="Private key" fe={fe} textarea rows={4} placeholder={keep ?? "-----BEGIN OPENSSH PRIVATE KEY-----"} hint="Encrypted at rest, never shown again" />
      <Input
        prefix={prefix}
        name="ssh.hostKeySha256"
        label="Expected host key (optional)"
        fe={fe}
        placeholder={current?.ssh?.hostKeySha256 ?? "SHA256:…"}
        hint={<>As <code>{HOST_KEY_HELP}</code> prints it on the server. Left blank, the key the server presents at the first test is pinned and shown for you to confirm.</>}
      />
    </fieldset>
  );
}

/** Name, address, port, upstream and labels: the same on Add and Edit. */
function CommonFields({ prefix, fe, transport, current }: { prefix: string; fe?: Record<string, string>; transport: string; current?: ServerView }) {
  const labelsError = fe?.labels ?? (fe && Object.entries(fe).find(([k]) => k.startsWith("labels."))?.[1]);
  return (
    <>
      <Input prefix={prefix} name="serverName" errorKey="name" label="Server name" fe={fe} defaultValue={current?.name} placeholder="edge-1" autoComplete="off" hint="Lower-case letters, digits and hyphens" />
      <Input prefix={prefix} name="address" label="Address" fe={fe} defaultValue={current?.address ?? undefined} placeholder="192.0.2.10 or docker1.example.com" autoComplete="off" />
      <Input prefix={prefix} name="port" label="Port" type="number" fe={fe} defaultValue={current?.port ?? undefined} placeholder={transport === "ssh" ? "22" : "2376"} />
      <Input
        prefix={prefix}
        name="upstreamAddress"
        label="Upstream address (optional)"
        fe={fe}
        defaultValue={current?.upstreamAddress ?? undefined}
        placeholder={current ? undefined : "defaults to the address"}
        hint="The address the reverse proxy reaches this server's published ports at (a private network address, say)"
      />
      <Field label="Labels (key=value per line)" name={`${prefix}labels`} error={labelsError}>
        <textarea id={`${prefix}labels`} name="labelLines" rows={2} className={`${inputClass} font-mono text-xs`} defaultValue={current ? labelsText(current.labels) : undefined} placeholder="zone=a" aria-invalid={!!labelsError} />
      </Field>
      <Input
        prefix={prefix}
        name="bindRoot"
        label="Bind-mount root (optional)"
        fe={fe}
        defaultValue={current?.bindRoot ?? undefined}
        placeholder="/srv/wharf"
        hint="The directory on that server bind mounts may come from, checked on the server at every create; blank: bind mounts are refused there (engines only, not Swarm clusters)"
      />
    </>
  );
}

function EditServerForm({ server }: { server: ServerView }) {
  const { state, pending, onSubmit, fe } = useServerForm((prev, form) => updateServerAction(server.id, server.transport, prev, form));
  const prefix = `server-${server.id}-`;
  return (
    <form onSubmit={onSubmit} className="grid gap-3 border-t border-slate-200 pt-3 sm:grid-cols-2" aria-label={`Edit server ${server.name}`}>
      {/* Remounted with the saved values once the refreshed page arrives (blank secret fields again). */}
      <div key={JSON.stringify([server.name, server.address, server.port, server.upstreamAddress, server.labels, server.bindRoot])} className="contents">
        <CommonFields prefix={prefix} fe={fe} transport={server.transport} current={server} />
        <p className="text-xs text-slate-600 sm:col-span-2">
          The credentials are bound to the address and port: changing either needs them entered again below. Leave them blank to keep the stored ones otherwise.
        </p>
        <CredentialFields transport={server.transport} prefix={prefix} fe={fe} current={server} />
      </div>
      <div className="flex items-center gap-3 sm:col-span-2">
        <button type="submit" className={buttonClass("primary")} disabled={pending} aria-busy={pending}>{pending ? "Saving…" : "Save server"}</button>
        <FormStatus state={state} />
      </div>
    </form>
  );
}

function ServerRow({ server }: { server: ServerView }) {
  const [pending, start] = useTransition();
  const [result, setResult] = useState<TServerTest | null>(null);
  const [deleteError, setDeleteError] = useState<string | null>(null);
  const [editing, setEditing] = useState(false);
  const [showNodes, setShowNodes] = useState(false);
  const where = server.builtIn ? "local socket" : `${server.address}:${server.port}`;
  const test = () =>
    start(async () => {
      const res = await testServerAction(server.id);
      setResult(res.ok ? res.data : { ok: false, message: res.error });
    });
  const remove = () => {
    if (!confirm(`Delete server ${server.name}?`)) return;
    start(async () => {
      const res = await deleteServerAction(server.id);
      setDeleteError(res.ok ? null : res.error);
    });
  };
  return (
    <>
      <tr data-testid={`server-${server.name}`} data-status={server.status}>
        <td>
          <span className="font-medium">{server.name}</span>
          {server.builtIn && <span className="ml-2"><Badge tone="blue">built-in</Badge></span>}
        </td>
        <td className="text-xs uppercase text-slate-600">
          {server.transport}
          {server.kind === "swarm" && <div className="normal-case"><Badge tone="blue">Swarm cluster</Badge></div>}
        </td>
        <td className="font-mono text-xs">
          {where}
          {!server.builtIn && <div className="font-sans text-slate-500" title="Where the reverse proxy reaches this server's published ports">upstream {server.upstreamAddress}</div>}
        </td>
        <td data-testid="server-status" className="min-w-48">
          <Badge>{server.status}</Badge>
          {!server.builtIn && <div className="mt-1 text-xs text-slate-500">last seen {server.lastSeenAt ? new Date(server.lastSeenAt).toLocaleString() : "never"}</div>}
          {server.lastError && <div className="cell-error">{server.lastError}</div>}
          {server.error && <div className="cell-error">{server.error}</div>}
        </td>
        <td className="whitespace-nowrap text-xs">
          {server.engineVersion ? `Docker ${server.engineVersion}` : "—"}
          {server.containers != null && <div className="text-slate-500">{server.containers} containers</div>}
        </td>
        <td className="text-xs" data-testid="server-instances">{server.instances}</td>
        <td className="font-mono text-xs" data-testid="server-labels">
          {Object.entries(server.labels).map(([k, v]) => <div key={k}>{k}={v}</div>)}
          {server.ssh && <div className="mt-1 font-sans text-slate-500">{server.ssh.hostKeySha256 ? <>host key <code>{server.ssh.hostKeySha256}</code></> : "host key not pinned yet (Test connection pins it)"}</div>}
        </td>
        <td className="row-actions">
          <button type="button" className={buttonClass("secondary")} disabled={pending} onClick={test}>{pending ? "Working…" : "Test connection"}</button>
          {!server.builtIn && (
            <>
              <button type="button" className={buttonClass("secondary")} aria-expanded={editing} onClick={() => setEditing(!editing)}>{editing ? "Close" : "Edit"}</button>
              {server.kind === "swarm" && <button type="button" className={buttonClass("secondary")} aria-expanded={showNodes} onClick={() => setShowNodes(!showNodes)}>{showNodes ? "Hide nodes" : "Nodes"}</button>}
              <button type="button" className={buttonClass("danger")} disabled={pending} onClick={remove}>Delete</button>
            </>
          )}
        </td>
      </tr>
      {showNodes && (
        <tr data-testid={`server-${server.name}-nodes`}>
          <td colSpan={8}><NodesPanel serverId={server.id} /></td>
        </tr>
      )}
      {(editing || result || deleteError) && (
        <tr data-testid={`server-${server.name}-details`}>
          <td colSpan={8} className="space-y-2">
            {deleteError && <p role="alert" className="text-sm text-rose-700" data-testid="server-delete-error">{deleteError}</p>}
            {result && <TestResult result={result} />}
            {editing && <EditServerForm server={server} />}
          </td>
        </tr>
      )}
    </>
  );
}

export function ServersSection({ servers }: { servers: ServerView[] }) {
  const { state, pending, onSubmit, fe } = useServerForm(createServerAction);
  const [transport, setTransport] = useState("tls");
  const [added, setAdded] = useState<{ name: string; result: TServerTest | null } | null>(null);
  const [testing, startTest] = useTransition();
  // After adding, the connection is tested at once: the operator sees whether it answers (and, over SSH, the key to confirm).
  const tested = useRef<unknown>(null);
  useEffect(() => {
    if (!state?.ok || tested.current === state) return;
    tested.current = state;
    const { id, name } = state.data as { id: string; name: string };
    setAdded({ name, result: null });
    startTest(async () => {
      const res = await testServerAction(id);
      setAdded({ name, result: res.ok ? res.data : { ok: false, message: res.error } });
    });
  }, [state]);
  return (
    <div className="space-y-4">
      <p className="text-sm text-slate-600">
        The Docker engines instances run on. <strong>local</strong> is this machine&apos;s engine (<code>DOCKER_HOST</code>); add others reached over TLS (the engine&apos;s
        certificate is verified) or SSH (one persistent connection, the host key pinned and checked).
      </p>
      <div className="overflow-x-auto">
        <table className="list-table" data-testid="servers-table">
          <thead>
            <tr className="whitespace-nowrap"><th>Name</th><th>Transport</th><th>Address</th><th>Status</th><th>Engine</th><th>Instances</th><th>Labels</th><th /></tr>
          </thead>
          <tbody>{servers.map((s) => <ServerRow key={s.id} server={s} />)}</tbody>
        </table>
      </div>
      <form onSubmit={onSubmit} className="grid gap-3 border-t border-slate-200 pt-4 sm:grid-cols-2" aria-label="Add server">
        <h3 className="text-sm font-semibold text-slate-800 sm:col-span-2">Add server</h3>
        <fieldset className="sm:col-span-2">
          <legend className="text-sm font-medium text-slate-700">Kind {fe?.kind && <span role="alert" data-field-error="kind" className="text-xs text-rose-600">{fe.kind}</span>}</legend>
          <label className="mr-4 text-sm"><input type="radio" name="kind" value="engine" defaultChecked /> Docker engine</label>
          <label className="text-sm"><input type="radio" name="kind" value="swarm" /> Swarm cluster</label>
          <span className="mt-1 block text-xs text-slate-500">A Swarm cluster is reached at one of its managers; instances on it run as Swarm services with replicas.</span>
        </fieldset>
        <fieldset className="sm:col-span-2">
          <legend className="text-sm font-medium text-slate-700">Transport {fe?.transport && <span role="alert" data-field-error="transport" className="text-xs text-rose-600">{fe.transport}</span>}</legend>
          <label className="mr-4 text-sm"><input type="radio" name="transport" value="tls" checked={transport === "tls"} onChange={() => setTransport("tls")} /> TLS</label>
          <label className="text-sm"><input type="radio" name="transport" value="ssh" checked={transport === "ssh"} onChange={() => setTransport("ssh")} /> SSH</label>
          <span className="mt-1 block text-xs text-slate-500">TLS: the Docker API with client certificates (port 2376). SSH: a user in the docker group; Docker&apos;s API runs over the connection (port 22).</span>
        </fieldset>
        <div key={servers.map((s) => s.id).join(",")} className="contents">
          <CommonFields prefix="new-server-" fe={fe} transport={transport} />
          <CredentialFields transport={transport} prefix="new-server-" fe={fe} />
        </div>
        <div className="flex items-center gap-3 sm:col-span-2">
          <button type="submit" className={buttonClass("primary")} disabled={pending || testing} aria-busy={pending}>{pending ? "Adding…" : "Add server"}</button>
          <FormStatus state={state} />
        </div>
        {added && (
          <div className="sm:col-span-2" data-testid="server-added-test">
            {added.result ? <TestResult result={added.result} /> : <p role="status" className="text-sm text-slate-600">Testing the connection to {added.name}…</p>}
          </div>
        )}
      </form>
    </div>
  );
}

/** A Swarm cluster's nodes as its manager sees them now; availability and labels are set here (audited). */
function NodesPanel({ serverId }: { serverId: string }) {
  const [nodes, setNodes] = useState<TNodeView[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [pending, start] = useTransition();
  const load = () =>
    start(async () => {
      const res = await listNodesAction(serverId);
      if (res.ok) {
        setNodes(res.data);
        setError(null);
      } else setError(res.error);
    });
  useEffect(load, [serverId]);
  const change = (nodeId: string, body: { availability?: string; labels?: string }) =>
    start(async () => {
      const res = await updateNodeAction(serverId, nodeId, body);
      if (!res.ok) setError(res.error);
      else load();
    });
  if (error) return <p role="alert" className="text-sm text-rose-700">{error}</p>;
  if (!nodes) return <p role="status" className="text-sm text-slate-600">Reading the nodes…</p>;
  return (
    <table className="list-table" data-testid="nodes-table" aria-busy={pending}>
      <thead>
        <tr><th>Node</th><th>Role</th><th>State</th><th>Address</th><th>Engine in Wharf</th><th>Availability</th><th>Labels (key=value, comma-separated)</th></tr>
      </thead>
      <tbody>
        {nodes.map((n) => (
          <tr key={n.id} data-testid={`node-${n.hostname}`}>
            <td className="font-medium">{n.hostname}</td>
            <td className="text-xs">{n.role}</td>
            <td><Badge>{n.state}</Badge></td>
            <td className="font-mono text-xs">{n.address}</td>
            {/* Usage of the node's tasks is read from its own engine (issue 28): the server that reaches it, if any. */}
            <td className="text-xs" data-testid={`node-${n.hostname}-engine`}>{n.engineServer ?? <span className="text-amber-800" title={`Add ${n.hostname}'s engine as a server to read the usage of its tasks`}>not added</span>}</td>
            <td>
              <select aria-label={`Availability of ${n.hostname}`} className={inputClass} value={n.availability} disabled={pending} onChange={(e) => change(n.id, { availability: e.target.value })}>
                <option value="active">active</option>
                <option value="pause">pause</option>
                <option value="drain">drain</option>
              </select>
            </td>
            <td>
              <form className="flex gap-2" onSubmit={(e) => {
                e.preventDefault();
                change(n.id, { labels: String(new FormData(e.currentTarget).get("nodeLabels") ?? "") });
              }}>
                <input name="nodeLabels" aria-label={`Labels of ${n.hostname}`} className={`${inputClass} font-mono`} defaultValue={Object.entries(n.labels).map(([k, v]) => `${k}=${v}`).join(", ")} />
                <button type="submit" className={buttonClass("secondary")} disabled={pending}>Save</button>
              </form>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

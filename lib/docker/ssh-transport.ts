// Docker over SSH: ONE persistent ssh2 connection per server, every Docker API
// call a channel on it running `docker system dial-stdio` (what the docker CLI
// does for ssh:// hosts). docker-modem's own ssh transport opens a connection
// per request, so sshd's MaxStartups throttles deploys; this pool replaces it
// through docker-modem's `agent` option.
//
// Invariants:
// - the host key is checked on every connection against the recorded
//   fingerprint; there is no way to connect without one;
// - a connection is never ended while a channel on it is open or waiting
//   (closeSshConnection and the idle timer wait for the last one);
// - a dropped connection fails the calls in flight with a clear error; the
//   next call reconnects (at once after a drop, with backoff after failed
//   attempts, failing fast inside the backoff window);
// - connect + handshake + login have a deadline, so an unreachable server
//   never hangs a call; keepalives notice a dead peer.
import { createHash } from "node:crypto";
import http from "node:http";
import type { Duplex } from "node:stream";
import { Client, type ClientChannel } from "ssh2";
import { AppError, errorMessage } from "../errors";
import { parseSshFingerprint, sshFingerprint, sshKeyType } from "./ssh-host-key";

export interface SshTarget {
  host: string;
  port: number;
  username: string;
  /** OpenSSH or PEM private key text. */
  privateKey: string;
  /** The recorded host key fingerprint, "SHA256:<base64>". */
  hostKey: string;
}

export interface SshTransportSettings {
  /** TCP connect + SSH handshake + login. */
  connectTimeoutMs: number;
  keepaliveIntervalMs: number;
  /** Unanswered keepalives before the peer is declared dead. */
  keepaliveCountMax: number;
  /** A connection without channels for this long is closed (the next call reconnects). */
  idleCloseMs: number;
  /** Concurrent channels per connection; OpenSSH's MaxSessions defaults to 10. Further calls wait for a free one. */
  maxChannels: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
}

const DEFAULTS: SshTransportSettings = {
  connectTimeoutMs: 10_000,
  keepaliveIntervalMs: 10_000,
  keepaliveCountMax: 3,
  idleCloseMs: 5 * 60_000,
  maxChannels: 10,
  backoffBaseMs: 1_000,
  backoffMaxMs: 30_000,
};

const DIAL = "docker system dial-stdio";

function addr(t: { host: string; port: number }): string {
  return `${t.host.includes(":") ? `[${t.host}]` : t.host}:${t.port}`;
}

/** Maps ssh2's connect errors (tagged with `level`) to messages an operator can act on. */
function connectError(t: SshTarget, err: unknown, presented: string | null, timeoutMs: number): AppError {
  const e = err as Error & { level?: string; code?: string };
  const where = `${t.username}@${addr(t)}`;
  if (presented !== null && presented !== t.hostKey) {
    return new AppError(
      "PROVIDER_ERROR",
      `SSH host key of ${addr(t)} does not match the recorded one: expected ${t.hostKey}, presented ${presented}. ` +
        "Refused: if the server was reinstalled, check the new key and record it; otherwise something is intercepting the connection",
      { field: "hostKey", details: { reason: "host-key-mismatch", expected: t.hostKey, presented }, cause: err },
    );
  }
  if (e.level === "client-timeout") {
    return new AppError("TIMEOUT", `SSH connection to ${where} did not complete within ${Math.round(timeoutMs / 1000)}s (connect, handshake and login)`, { cause: err });
  }
  if (e.level === "client-authentication") {
    return new AppError("PROVIDER_ERROR", `SSH login to ${where} was refused: the server does not accept the private key`, { field: "privateKey", cause: err });
  }
  if (e.level === "client-socket") {
    return new AppError("UNAVAILABLE", `SSH server unreachable at ${addr(t)}: ${e.message}`, { cause: err });
  }
  return new AppError("PROVIDER_ERROR", `SSH connection to ${where} failed: ${errorMessage(err)}`, { cause: err });
}

/** One pooled connection. Channels are counted from the moment a call asks for one until the channel closes. */
class SshConnection {
  private client: Client | null = null;
  private connecting: Promise<Client> | null = null;
  private readonly open = new Set<ClientChannel>();
  private busy = 0; // waiting for a slot, connecting or opening a channel, or open
  private readonly slotWaiters: (() => void)[] = [];
  private slotsTaken = 0;
  private idleTimer: NodeJS.Timeout | null = null;
  private drained: (() => void)[] = [];
  private retired = false;
  private failures = 0;
  private retryAt = 0;
  private lastError: AppError | null = null;
  /** Successful logins, for tests and diagnostics. */
  connects = 0;

  constructor(
    readonly target: SshTarget,
    private readonly settings: () => SshTransportSettings,
  ) {}

  get state() {
    return { connected: this.client !== null, openChannels: this.open.size, busy: this.busy, connects: this.connects };
  }

  async openChannel(): Promise<Duplex> {
    if (this.retired) throw new AppError("UNAVAILABLE", `SSH connection to ${addr(this.target)} was closed`);
    this.busy++;
    this.clearIdle();
    let slot = false;
    try {
      await this.takeSlot();
      slot = true;
      const client = await this.ready();
      const ch = await this.exec(client);
      this.track(ch);
      return ch;
    } catch (err) {
      if (slot) this.releaseSlot();
      this.done();
      throw err;
    }
  }

  /** Ends the connection once no channel is open or waiting; resolves then. */
  retire(): Promise<void> {
    this.retired = true;
    if (this.busy === 0) {
      this.end();
      return Promise.resolve();
    }
    return new Promise((resolve) => this.drained.push(resolve));
  }

  private takeSlot(): Promise<void> {
    if (this.slotsTaken < this.settings().maxChannels) {
      this.slotsTaken++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.slotWaiters.push(() => resolve()));
  }

  private releaseSlot() {
    const next = this.slotWaiters.shift();
    if (next) next(); // the slot passes on
    else this.slotsTaken--;
  }

  private done() {
    this.busy--;
    if (this.busy > 0) return;
    if (this.retired) {
      this.end();
      for (const d of this.drained.splice(0)) d();
      return;
    }
    this.clearIdle();
    this.idleTimer = setTimeout(() => {
      if (this.busy === 0) this.end();
    }, this.settings().idleCloseMs);
    this.idleTimer.unref();
  }

  private clearIdle() {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }

  private end() {
    this.clearIdle();
    const c = this.client;
    this.client = null;
    c?.end();
  }

  private ready(): Promise<Client> {
    if (this.client) return Promise.resolve(this.client);
    if (this.connecting) return this.connecting;
    const wait = this.retryAt - Date.now();
    if (wait > 0 && this.lastError) {
      throw new AppError(this.lastError.code, `${this.lastError.message} (next attempt in ${Math.ceil(wait / 1000)}s)`, {
        field: this.lastError.field,
        details: this.lastError.details,
      });
    }
    this.connecting = this.connect().then(
      (c) => {
        this.failures = 0;
        this.lastError = null;
        this.connects++;
        this.client = c;
        this.connecting = null;
        return c;
      },
      (err: AppError) => {
        this.failures++;
        const s = this.settings();
        this.retryAt = Date.now() + Math.min(s.backoffBaseMs * 2 ** (this.failures - 1), s.backoffMaxMs);
        this.lastError = err;
        this.connecting = null;
        throw err;
      },
    );
    return this.connecting;
  }

  private connect(): Promise<Client> {
    const t = this.target;
    const s = this.settings();
    return new Promise((resolve, reject) => {
      const client = new Client();
      let presented: string | null = null;
      let settled = false;
      // ssh2's readyTimeout covers the handshake; this one also covers a TCP connect the kernel keeps retrying.
      const timer = setTimeout(() => fail(Object.assign(new Error("timeout"), { level: "client-timeout" })), s.connectTimeoutMs);
      const fail = (err: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        client.end();
        client.destroy();
        reject(connectError(t, err, presented, s.connectTimeoutMs));
      };
      client.on("ready", () => {
        if (settled) return void client.end();
        settled = true;
        clearTimeout(timer);
        resolve(client);
      });
      client.on("error", (err) => {
        if (!settled) fail(err);
        else this.lost(client, err);
      });
      client.on("close", () => {
        if (!settled) fail(new Error("connection closed during the handshake"));
        else this.lost(client, null);
      });
      client.connect({
        host: t.host,
        port: t.port,
        username: t.username,
        privateKey: t.privateKey,
        readyTimeout: s.connectTimeoutMs,
        keepaliveInterval: s.keepaliveIntervalMs,
        keepaliveCountMax: s.keepaliveCountMax,
        hostVerifier: (key: Buffer) => {
          presented = sshFingerprint(key);
          return presented === t.hostKey;
        },
      });
    });
  }

  /** The connection went away (peer, network, keepalive): the calls on it fail with a clear error. */
  private lost(client: Client, err: unknown) {
    if (this.client === client) this.client = null;
    const why = new AppError(
      "UNAVAILABLE",
      `SSH connection to ${this.target.username}@${addr(this.target)} was lost during a Docker call${err ? `: ${errorMessage(err)}` : ""}`,
    );
    for (const ch of this.open) {
      // http's socket error listener turns this into the request's error (ssh2's Channel.destroy takes none).
      if (ch.listenerCount("error") > 0) ch.emit("error", why);
    }
  }

  private async exec(client: Client): Promise<ClientChannel> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await new Promise<ClientChannel>((resolve, reject) => client.exec(DIAL, (err, ch) => (err ? reject(err) : resolve(ch))));
      } catch (err) {
        // OpenSSH frees a session slot (MaxSessions) a moment after the channel's close reaches us:
        // a channel opened right after one closed can be refused. Such a refusal is retried, briefly.
        const refused = /open failed/i.test(errorMessage(err));
        if (!refused || attempt >= 20 || this.client !== client) {
          throw new AppError("UNAVAILABLE", `SSH server ${addr(this.target)} refused a channel for ${DIAL}: ${errorMessage(err)}`, { cause: err });
        }
        await new Promise((r) => setTimeout(r, Math.min(25 * attempt, 250)));
      }
    }
  }

  private track(ch: ClientChannel) {
    this.open.add(ch);
    // dial-stdio's complaints (no docker CLI, no engine) go to stderr; keep them out of the HTTP stream.
    ch.stderr.resume();
    ch.once("close", () => {
      this.open.delete(ch);
      this.releaseSlot();
      this.done();
    });
  }
}

// ---------------------------------------------------------------- the pool

const holder = globalThis as unknown as {
  __wharfSshPool?: Map<string, SshConnection>;
  __wharfSshSettings?: SshTransportSettings;
};
const pool = (holder.__wharfSshPool ??= new Map());
const settings = () => (holder.__wharfSshSettings ??= { ...DEFAULTS });

function poolKey(t: SshTarget): string {
  // The private key takes part (hashed) so new credentials never ride on a connection made with old ones.
  const keyHash = createHash("sha256").update(t.privateKey).digest("hex").slice(0, 16);
  return `${t.username}@${addr(t)}#${t.hostKey}#${keyHash}`;
}

function connectionFor(t: SshTarget): SshConnection {
  const key = poolKey(t);
  let c = pool.get(key);
  if (!c) {
    c = new SshConnection({ ...t }, settings);
    pool.set(key, c);
  }
  return c;
}

function checkTarget(t: SshTarget): SshTarget {
  if (!t.host?.trim()) throw new AppError("VALIDATION", "The SSH server address is missing", { field: "address" });
  if (!Number.isInteger(t.port) || t.port < 1 || t.port > 65535) throw new AppError("VALIDATION", `SSH port ${t.port} is not a port number`, { field: "port" });
  if (!t.username?.trim()) throw new AppError("VALIDATION", "The SSH user is missing", { field: "username" });
  if (!t.privateKey?.trim()) throw new AppError("VALIDATION", "The SSH private key is missing", { field: "privateKey" });
  return { ...t, hostKey: parseSshFingerprint(t.hostKey) };
}

/** Changes the transport's timings (tests; a future setting). Applies to connections made afterwards. */
export function configureSshTransport(s: Partial<SshTransportSettings>): void {
  holder.__wharfSshSettings = { ...settings(), ...s };
}

export function resetSshTransportSettings(): void {
  holder.__wharfSshSettings = { ...DEFAULTS };
}

/**
 * An http.Agent whose every request is a dial-stdio channel on the pooled
 * connection for `target`. It looks the connection up at each request, so a
 * closeSshConnection() takes effect for clients made before it too.
 */
export function sshDockerAgent(target: SshTarget): http.Agent {
  const t = checkTarget(target);
  // No keep-alive: a finished response closes its channel (and the remote dial-stdio); the SSH connection stays.
  const agent = new http.Agent({ keepAlive: false });
  agent.createConnection = (_opts, callback) => {
    connectionFor(t)
      .openChannel()
      .then(
        (ch) => callback?.(null, ch),
        (err: Error) => callback?.(err, undefined as unknown as Duplex),
      );
    return undefined;
  };
  return agent;
}

/** The pooled connection's state for `target` (null when none), for tests and diagnostics. */
export function sshConnectionState(target: Pick<SshTarget, "host" | "port" | "username" | "privateKey" | "hostKey">) {
  return pool.get(poolKey(target))?.state ?? null;
}

/**
 * Closes every pooled connection to host:port (a server deleted, or its
 * credentials changed). Calls in progress finish first; calls made after
 * this open a new connection. Resolves when the old ones are closed.
 */
export async function closeSshConnection(target: { host: string; port: number }): Promise<void> {
  const prefix = `@${addr(target)}#`;
  const closing: Promise<void>[] = [];
  for (const [key, c] of pool) {
    if (!key.includes(prefix)) continue;
    pool.delete(key);
    closing.push(c.retire());
  }
  await Promise.all(closing);
}

export async function closeAllSshConnections(): Promise<void> {
  const all = [...pool.values()];
  pool.clear();
  await Promise.all(all.map((c) => c.retire()));
}

/**
 * Connects only as far as the key exchange and reports the server's host key,
 * for the operator to confirm when a server is added. Logs in to nothing.
 */
export function probeSshHostKey(o: { host: string; port: number; timeoutMs?: number }): Promise<{ fingerprint: string; keyType: string }> {
  const timeoutMs = o.timeoutMs ?? DEFAULTS.connectTimeoutMs;
  const where = addr(o);
  return new Promise((resolve, reject) => {
    const client = new Client();
    let found: { fingerprint: string; keyType: string } | null = null;
    let settled = false;
    const finish = (err: AppError | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      client.destroy();
      if (found) resolve(found);
      else reject(err ?? new AppError("PROVIDER_ERROR", `SSH server ${where} presented no host key`));
    };
    const timer = setTimeout(
      () => finish(new AppError("TIMEOUT", `SSH server ${where} did not present its host key within ${Math.round(timeoutMs / 1000)}s`)),
      timeoutMs,
    );
    client.on("error", (err: Error & { level?: string }) => {
      finish(
        err.level === "client-socket"
          ? new AppError("UNAVAILABLE", `SSH server unreachable at ${where}: ${err.message}`, { cause: err })
          : new AppError("PROVIDER_ERROR", `SSH handshake with ${where} failed: ${err.message}`, { cause: err }),
      );
    });
    client.on("close", () => finish(null));
    client.connect({
      host: o.host,
      port: o.port,
      username: "wharf-host-key-probe",
      readyTimeout: timeoutMs,
      hostVerifier: (key: Buffer) => {
        found = { fingerprint: sshFingerprint(key), keyType: sshKeyType(key) };
        finish(null);
        return false; // stop here: no login
      },
    });
  });
}

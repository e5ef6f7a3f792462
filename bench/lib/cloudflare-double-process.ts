// The Cloudflare double run in a child process, for benchmarks that measure
// Wharf's own memory and event loop: in-process, the double's 100,000 stored
// records, its JSON encoding of a whole-zone listing and its request handling
// would count in the process's peak RSS and stall Wharf's timers (and the
// other way round: a sync that blocks the loop delays the double's answers).
import { fork } from "node:child_process";
import path from "node:path";
import type { CfDoubleRecord, CfZone } from "../../test/doubles/cloudflare-double-store";
import type { CloudflareDoubleOptions } from "../../test/doubles/cloudflare-double";
import type { LoggedRequest } from "../../test/doubles/http-double";

export interface RemoteCloudflareDouble {
  url: string;
  zones: CfZone[];
  records(): Promise<CfDoubleRecord[]>;
  recordCount(): Promise<number>;
  requestCount(): Promise<number>;
  /** The double's request log from index `from` on. */
  requests(from?: number): Promise<LoggedRequest[]>;
  addRecord(body: Partial<CfDoubleRecord> & { name: string; type: string; content: string }): Promise<CfDoubleRecord>;
  close(): Promise<void>;
}

export async function startCloudflareDoubleProcess(opts: CloudflareDoubleOptions): Promise<RemoteCloudflareDouble> {
  const child = fork(path.join("bench", "lib", "cloudflare-double-child.ts"), [], { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  let exited = false;
  const started = new Promise<{ url: string; zones: CfZone[] }>((resolve, reject) => {
    child.on("message", (m: { started?: { url: string; zones: CfZone[] }; id?: number; result?: unknown; error?: string }) => {
      if (m.started) return resolve(m.started);
      const p = pending.get(m.id!);
      pending.delete(m.id!);
      if (m.error) p?.reject(new Error(`Cloudflare double: ${m.error}`));
      else p?.resolve(m.result);
    });
    child.on("exit", (code) => {
      exited = true;
      const err = new Error(`Cloudflare double process exited (${code})`);
      reject(err);
      for (const p of pending.values()) p.reject(err);
      pending.clear();
    });
  });
  child.send({ start: opts });
  const { url, zones } = await started;
  const call = <T>(cmd: string, ...args: unknown[]) =>
    new Promise<T>((resolve, reject) => {
      if (exited) return reject(new Error("Cloudflare double process has exited"));
      const id = nextId++;
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      child.send({ id, cmd, args });
    });
  return {
    url,
    zones,
    records: () => call("records"),
    recordCount: () => call("recordCount"),
    requestCount: () => call("requestCount"),
    requests: (from = 0) => call("requests", from),
    addRecord: (body) => call("addRecord", body),
    close: async () => {
      if (!exited) await call("close").catch(() => undefined);
    },
  };
}

// The Cloudflare double in a process of its own (see cloudflare-double-process.ts):
// options arrive in the first IPC message, then one reply per request.
import { type CloudflareDouble, type CloudflareDoubleOptions, startCloudflareDouble } from "../../test/doubles/cloudflare-double";

type Msg = { id: number; cmd: "records" | "recordCount" | "requests" | "requestCount" | "addRecord" | "close"; args: unknown[] };
let cf: CloudflareDouble | null = null;

process.on("message", async (m: { start: CloudflareDoubleOptions } | Msg) => {
  if ("start" in m) {
    cf = await startCloudflareDouble(m.start);
    process.send!({ started: { url: cf.url, zones: cf.zones } });
    return;
  }
  try {
    const double = cf!;
    const result =
      m.cmd === "records" ? double.records()
      : m.cmd === "recordCount" ? double.records().length
      : m.cmd === "requestCount" ? double.requests.length
      : m.cmd === "requests" ? double.requests.slice((m.args[0] as number) ?? 0)
      : m.cmd === "addRecord" ? double.addRecord(m.args[0] as Parameters<CloudflareDouble["addRecord"]>[0])
      : await double.close();
    process.send!({ id: m.id, result: result ?? null }, () => {
      if (m.cmd === "close") process.exit(0);
    });
  } catch (err) {
    process.send!({ id: m.id, error: err instanceof Error ? err.message : String(err) });
  }
});

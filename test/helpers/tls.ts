import https from "node:https";
import { readFileSync } from "node:fs";
import path from "node:path";

// The TLS test services of test/services/start.sh: Pebble (ACME) and the
// second Caddy that serves HTTPS. Loopback only.
const dir = path.join(process.env.WHARF_SERVICES_DIR ?? "/tmp/wharf-services", "tls");
export const PEBBLE = { directory: "https://127.0.0.1:14000/dir", management: "https://127.0.0.1:15000" };
export const CADDY_TLS = { admin: "http://127.0.0.1:2029", server: "wharf", httpPort: 5002, httpsPort: 5003 };
export const POWERDNS = { apiUrl: "http://127.0.0.1:8081", apiKey: "wharf-test-key", dns: "127.0.0.1:5300" };

/** The CA that signed Pebble's own HTTPS listener (not the CA Pebble issues from). */
export const listenerCaPem = () => readFileSync(path.join(dir, "listener-ca.pem"), "utf8");

/** HTTPS GET to 127.0.0.1:`port` with SNI and Host = `servername`, trusting only `ca`. */
export function httpsGet(opts: { port: number; servername: string; ca: string; path?: string }): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = https.get(
      { host: "127.0.0.1", port: opts.port, servername: opts.servername, path: opts.path ?? "/", headers: { host: opts.servername }, ca: opts.ca, agent: false, timeout: 5000 },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
  });
}

/** Pebble's issuing root: it changes at every Pebble start, so it is fetched, over Pebble's listener CA. */
export async function pebbleRoot(): Promise<string> {
  return new Promise((resolve, reject) => {
    https
      .get(`${PEBBLE.management}/roots/0`, { ca: listenerCaPem(), agent: false }, (res) => {
        let body = "";
        res.on("data", (c: Buffer) => (body += c.toString("utf8")));
        res.on("end", () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`Pebble /roots/0 answered ${res.statusCode}`))));
      })
      .on("error", reject);
  });
}

async function pdns(method: string, p: string, body?: unknown): Promise<Response> {
  return fetch(`${POWERDNS.apiUrl}/api/v1/servers/localhost${p}`, { method, headers: { "X-API-Key": POWERDNS.apiKey, "content-type": "application/json" }, body: body ? JSON.stringify(body) : undefined });
}
export async function createZone(zone: string): Promise<void> {
  const res = await pdns("POST", "/zones", { name: `${zone}.`, kind: "Native", nameservers: [] });
  if (res.status !== 201) throw new Error(`PowerDNS zone ${zone}: ${res.status} ${await res.text()}`);
}
export async function deleteZone(zone: string): Promise<void> {
  await pdns("DELETE", `/zones/${zone}.`);
}
/** An A record made by hand (the operator, not Wharf). */
export async function setARecord(zone: string, name: string, content: string): Promise<void> {
  const res = await pdns("PATCH", `/zones/${zone}.`, { rrsets: [{ name: `${name}.`, type: "A", ttl: 60, changetype: "REPLACE", records: [{ content, disabled: false }] }] });
  if (res.status !== 204) throw new Error(`PowerDNS record ${name}: ${res.status} ${await res.text()}`);
}

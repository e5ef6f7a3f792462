// The shared test PowerDNS (test/services/start.sh).
export const PDNS = { api: "http://127.0.0.1:8081", key: "wharf-test-key", dns: "127.0.0.1:5300" };

export const pdns = (method: string, p: string, body?: unknown) =>
  fetch(`${PDNS.api}/api/v1/servers/localhost${p}`, {
    method,
    headers: { "X-API-Key": PDNS.key, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { APIConnectionError } from "cloudflare";
import { afterEach, describe, expect, it } from "vitest";
import { FAST_RETRY, MARK, closeDoubles, setupCloudflare, want } from "../../test/doubles/dns-helpers";
import { CloudflareProvider } from "./cloudflare";
import { slimRecord, type CfRecord } from "./cloudflare-client";
import { discardBody, streamPage } from "./cloudflare-stream";

const servers: Server[] = [];
afterEach(async () => {
  await closeDoubles();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** A response whose body arrives in pieces of `size` bytes (cutting through tokens and multi-byte characters), optionally stopping after `cutAt` bytes with an error. */
function chunked(text: string, size: number, cutAt?: number): Response {
  const bytes = new TextEncoder().encode(text);
  const end = cutAt ?? bytes.length;
  let at = 0;
  return new Response(
    new ReadableStream<Uint8Array>({
      pull(c) {
        if (at >= end) return cutAt === undefined ? c.close() : c.error(new TypeError("terminated"));
        c.enqueue(bytes.slice(at, Math.min(end, at + size)));
        at += size;
      },
    }),
  );
}

const full = (i: number) => ({
  id: `id${i}`, name: `p${i}.example.test`, type: "A", content: "192.0.2.1", proxiable: true, proxied: false, ttl: 300,
  settings: {}, meta: { auto_added: false }, comment: `${MARK} é ✓ ${i}`, tags: ["a"], created_on: "2026-12-01T00:00:00Z", modified_on: "2026-12-01T00:00:00Z",
});
const answer = (n: number) =>
  JSON.stringify({ success: true, errors: [], messages: [], result: Array.from({ length: n }, (_, i) => full(i)), result_info: { page: 1, per_page: 50, count: n, total_count: n, total_pages: 1 } });

describe("streamPage", () => {
  it("keeps only what `keep` returns for each record, read across chunk borders, with the page info", async () => {
    for (const size of [1, 7, 64, 100_000]) {
      const page = await streamPage<CfRecord, CfRecord>(chunked(answer(25), size), slimRecord);
      expect(page.result).toHaveLength(25);
      expect(page.result[3]).toEqual({ id: "id3", name: "p3.example.test", type: "A", content: "192.0.2.1", ttl: 300, proxied: false, comment: `${MARK} é ✓ 3` });
      expect(Object.keys(page.result[0])).not.toContain("tags");
      expect(page.result_info).toMatchObject({ page: 1, total_pages: 1, count: 25 });
    }
  });

  it("reads an empty zone", async () => {
    const page = await streamPage(chunked(JSON.stringify({ success: true, errors: [], messages: [], result: [], result_info: { page: 1, per_page: 50, count: 0, total_count: 0, total_pages: 0 } }), 5), slimRecord);
    expect(page).toEqual({ result: [], result_info: { page: 1, per_page: 50, count: 0, total_count: 0, total_pages: 0 } });
  });

  it("turns a body cut off or not JSON into a connection error (retried like a lost answer), never a short listing", async () => {
    const text = answer(10);
    await expect(streamPage(chunked(text, 50, Math.floor(text.length / 2)), slimRecord)).rejects.toBeInstanceOf(APIConnectionError);
    // The stream ends cleanly but the document is unfinished.
    await expect(streamPage(chunked(text.slice(0, text.length - 40), 50), slimRecord)).rejects.toBeInstanceOf(APIConnectionError);
    await expect(streamPage(chunked("<html>502 Bad Gateway</html>", 8), slimRecord)).rejects.toBeInstanceOf(APIConnectionError);
  });

  it("refuses a 200 that is not a successful list answer instead of reading it as an empty zone", async () => {
    const failed = JSON.stringify({ success: false, errors: [{ code: 10001, message: "Internal server error" }], messages: [], result: null });
    await expect(streamPage(chunked(failed, 16), slimRecord)).rejects.toBeInstanceOf(APIConnectionError);
    await expect(streamPage(chunked(JSON.stringify({ success: true, errors: [], messages: [], result: null }), 16), slimRecord)).rejects.toBeInstanceOf(APIConnectionError);
  });
});

describe("discardBody", () => {
  it("reads the body to its end", async () => {
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        if (++pulled > 5) return c.close();
        c.enqueue(new Uint8Array(1000));
      },
    });
    await discardBody(new Response(body));
    expect(pulled).toBe(6);
  });
});

describe("CloudflareProvider listing through the stream", () => {
  it("retries a listing whose body was cut off and returns the whole zone", async () => {
    const { cf, provider: direct, token } = await setupCloudflare();
    for (let i = 0; i < 30; i++) await direct.ensureRecord(want(`r${i}.example.test`, "192.0.2.5"));
    // A proxy in front of the double: the first listing's answer stops half-way and the connection drops.
    let cut = 0;
    const proxy = createServer(async (req, res) => {
      const upstream = await fetch(cf.url.replace(/\/client\/v4$/, "") + req.url, { headers: { authorization: req.headers.authorization ?? "" } });
      const text = await upstream.text();
      res.writeHead(upstream.status, { "content-type": "application/json" });
      if (req.url?.includes("/dns_records?") && cut++ === 0) {
        res.write(text.slice(0, text.length / 2));
        res.socket?.destroy();
        return;
      }
      res.end(text);
    });
    servers.push(proxy);
    await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
    const base = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/client/v4`;
    const provider = new CloudflareProvider({ type: "cloudflare", apiToken: token, zoneId: cf.zones[0].id, baseUrl: base }, { retry: FAST_RETRY });
    const before = provider.apiCalls;
    const records = await provider.listRecords();
    expect(cut).toBe(2);
    expect(records).toHaveLength(30);
    expect(records.every((r) => r.marker === MARK)).toBe(true);
    expect(provider.apiCalls - before).toBe(2);
  });
});

import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { closeDoubles } from "../../test/doubles/dns-helpers";
import { BASE, TARGET, cloudflare, insertProxy, ledger, managed, resetDnsState } from "../../test/helpers/dns-fixtures";
import { recordMarker } from "../naming";
import { runSync } from "../reconcile/run-sync";
import { installationId } from "../secrets";
import { ensureConsumerDns } from "./hooks";

// SPEC §4.8 between installations: a staging Wharf and a production Wharf on
// one Cloudflare zone. This process is the first; the second runs as its own
// process with its own data directory and installation id.

beforeEach(resetDnsState);
afterEach(closeDoubles);

function secondWharf(input: object): Promise<Record<string, unknown>[]> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "wharf-second-"));
  const child = spawn(process.execPath, ["--import", "tsx", "test/helpers/second-wharf.ts"], {
    env: { ...process.env, WHARF_DATA_DIR: dataDir, WHARF_INSTALLATION_ID: "staging", SECOND_WHARF: JSON.stringify(input), LOG_LEVEL: "silent", DOCKER_HOST: "unix:///nonexistent/docker.sock", DATABASE_URL: "" },
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) =>
    child.on("exit", (code) => (code === 0 ? resolve(out.trim().split("\n").map((l) => JSON.parse(l))) : reject(new Error(`second Wharf exited ${code}: ${err}`)))),
  );
}

describe("two Wharf installations on one Cloudflare zone", () => {
  it("the second never changes the first's records, for a name of its own or a name the first owns", async () => {
    const { cf, provider } = await cloudflare();
    await managed(provider);
    for (const domain of [`one.${BASE}`, `shared.${BASE}`]) {
      const proxy = await insertProxy(domain);
      expect(await ensureConsumerDns({ consumer: { type: "standalone", id: proxy.id }, fqdn: domain })).toEqual({ status: "synced" });
    }
    const first = () => cf.records().filter((r) => r.comment?.startsWith(`wharf:${installationId()}:`)).map((r) => ({ id: r.id, name: r.name, content: r.content, comment: r.comment, modified_on: r.modified_on }));
    const before = first();
    expect(before).toHaveLength(2);

    const lines = await secondWharf({ baseDomain: BASE, targetAddress: "198.51.100.20", provider, domains: [`two.${BASE}`, `shared.${BASE}`] });
    const [hookTwo, hookShared, afterCreate, afterRemove] = lines;
    expect(hookTwo).toMatchObject({ hook: `two.${BASE}`, status: "synced" });
    expect(hookShared).toMatchObject({ hook: `shared.${BASE}`, status: "failed", code: "FOREIGN_RESOURCE", error: expect.stringMatching(/another Wharf installation/) });
    expect(afterCreate).toMatchObject({ sync: "after-create", failed: 0, foreign: 1, updated: 0, deleted: 0 });
    expect(afterRemove).toMatchObject({ sync: "after-remove", deleted: 0 });

    // The first's records are exactly as they were; the second's own name came and went.
    expect(first()).toEqual(before);
    expect(cf.records().filter((r) => r.comment?.startsWith("wharf:staging:"))).toEqual([]);
    expect(cf.requests.some((r) => r.method !== "GET" && before.some((b) => r.path.endsWith(b.id)))).toBe(false);

    // And the first, syncing after it, still owns and keeps both.
    const report = await runSync({ trigger: "manual", scope: "dns" });
    expect(report).toMatchObject({ alreadySynced: 2, failed: 0, deleted: 0, updated: 0 });
    expect((await ledger()).map((r) => [r.fqdn, r.status, r.content])).toEqual([
      [`one.${BASE}`, "synced", TARGET],
      [`shared.${BASE}`, "synced", TARGET],
    ]);
    expect(before.map((r) => r.comment)).toContain(recordMarker(installationId(), "standalone", (await ledger())[1].consumerId));
  }, 60_000);
});

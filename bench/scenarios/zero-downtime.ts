// Blue-green redeploys under steady load through Caddy (SPEC §5: "Requests
// through the proxy see no errors during the switch"). wrk runs for as long
// as the redeploys take plus one second, then is stopped. A control run of
// the same length and load with no redeploy follows, side by side, so that
// errors of the test rig itself (busybox httpd behind docker-proxy on a
// loaded 2-core machine) are not charged to Wharf. All traffic goes to Caddy
// on 127.0.0.1.
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import Docker from "dockerode";
import { SYSTEM_ACTOR } from "../../lib/audit/record-event";
import { db } from "../../lib/db";
import { env } from "../../lib/env";
import { createInstance } from "../../lib/deployer/create-instance";
import { getInstance } from "../../lib/instances/get-instance";
import { waitForJob } from "../../lib/deployer/jobs";
import { redeployInstance } from "../../lib/deployer/redeploy-instance";
import { removeInstance } from "../../lib/deployer/remove-instance";
import { updateSettings } from "../../lib/configuration/update-settings";
import { caddyAdmin, freePort, SHARED_CADDY, startPrivateCaddy, type CaddyTarget } from "../lib/caddy";
import { get, progress } from "../lib/http";
import { sampleListenOverflows } from "../lib/listen-drops";
import { check, ms, type ScenarioResult } from "../lib/result";
import { summarize } from "../lib/stats";
import { startWrk, type WrkSummary } from "../lib/wrk";

const IMAGES = ["wharf-test/web:v1", "wharf-test/web:v2"] as const;
const version = (image: string) => image.split(":").pop()!;

function describe(label: string, s: WrkSummary, overflows: number): string[] {
  const b = s.bodies ? `; bodies v1 ${s.bodies.v1}, v2 ${s.bodies.v2}, other ${s.bodies.other}` : "";
  return [
    `${label}: ${s.requests} requests in ${s.seconds.toFixed(1)} s = ${s.requestsPerSec.toFixed(0)} req/s (latency avg ${s.latency?.avg}, max ${s.latency?.max})${b}`,
    `${" ".repeat(label.length)}  non-2xx/3xx ${s.non2xx3xx}; failed ${s.failed} (connect ${s.socket.connect}, read ${s.socket.read}, write ${s.socket.write}, timeout ${s.socket.timeout}); connections the app's listen queue turned away: ${overflows}`,
  ];
}

export async function run(o: { redeploys?: number; sharedCaddy?: number }): Promise<ScenarioResult> {
  const redeploys = o.redeploys ?? 5;
  const rand = randomBytes(3).toString("hex");
  const network = `wharf-bench-${rand}`;
  const base = `bench-${rand}.wharf.test`;
  const docker = new Docker();
  const caddy: CaddyTarget = o.sharedCaddy ? SHARED_CADDY : await startPrivateCaddy(env().dataDir);
  await docker.createNetwork({ Name: network, Driver: "bridge", Labels: { "wharf.bench": "true" } });
  const name = `zd-${rand}`;
  const fqdn = `${name}.${base}`;
  let instanceId: string | null = null;
  let wrk: ReturnType<typeof startWrk> | null = null;
  try {
    await updateSettings({
      actor: SYSTEM_ACTOR,
      body: {
        baseDomain: base,
        docker: { network },
        proxy: { provider: { type: "caddy", adminUrl: caddy.admin, server: caddy.server }, upstream: { mode: "host", hostAddress: "127.0.0.1" } },
      },
    });
    const created = await createInstance({ actor: SYSTEM_ACTOR, body: { name, image: IMAGES[0], port: 8080 } });
    instanceId = created.id;
    await waitForJob(created.id);
    const inst = await getInstance(created.id);
    if (inst.status !== "running" || inst.route.status !== "active") throw new Error(`first deploy ended ${inst.status}, route ${inst.route.status}: ${inst.error ?? ""}`);
    const first = await get(caddy.httpPort, { host: fqdn });
    if (first?.status !== 200 || !first.body.includes("wharf-test v1")) throw new Error(`Caddy does not serve ${fqdn} after the deploy: ${JSON.stringify(first)}`);

    const load = (maxSeconds: number) => startWrk({ url: `http://127.0.0.1:${caddy.httpPort}/`, host: fqdn, threads: 2, connections: 16, maxSeconds });
    const maxSeconds = 60 + 30 * redeploys;
    const label = `wharf.instance=${created.id}`;
    let sampler = sampleListenOverflows(docker, label);
    wrk = load(maxSeconds);
    progress(`zero-downtime: ${wrk.command} on ${caddy.shared ? "the shared" : "a private"} Caddy (stopped after the redeploys + 1 s)`);
    const loadStarted = performance.now();
    await sleep(1000);
    const durations: number[] = [];
    const served: string[] = [];
    for (let k = 1; k <= redeploys; k++) {
      const image = IMAGES[k % 2];
      const t0 = performance.now();
      await redeployInstance({ actor: SYSTEM_ACTOR, id: created.id, body: { image } });
      await waitForJob(created.id);
      durations.push(performance.now() - t0);
      const now = await getInstance(created.id);
      if (now.status !== "running" || now.image !== image) throw new Error(`redeploy ${k} to ${image} ended ${now.status} on ${now.image}: ${now.error ?? ""}`);
      const body = (await get(caddy.httpPort, { host: fqdn }))?.body ?? "";
      served.push(body.includes(`wharf-test ${version(image)}`) ? version(image) : `wrong: ${body.slice(0, 60)}`);
      progress(`zero-downtime: redeploy ${k}/${redeploys} → ${image} in ${ms(durations.at(-1)!)}, Caddy serves ${served.at(-1)}`);
    }
    await sleep(1000);
    const during = await wrk.stop();
    wrk = null;
    const overflowsDuring = await sampler.stop();
    const loadSeconds = (performance.now() - loadStarted) / 1000;

    // Control 1: the same load for as long, nothing changes.
    progress(`zero-downtime: control, same load for ${loadSeconds.toFixed(1)} s with no redeploy`);
    sampler = sampleListenOverflows(docker, label);
    // The serving container's counter already holds the redeploy phase's overflows: count only what is new.
    await sleep(300);
    let overflowsBefore = await sampler.stop();
    sampler = sampleListenOverflows(docker, label);
    wrk = load(maxSeconds);
    await sleep(loadSeconds * 1000);
    const control = await wrk.stop();
    wrk = null;
    const overflowsControl = (await sampler.stop()) - overflowsBefore;

    // Control 2: as many Caddy config writes as the redeploys made (one route switch each), at the
    // same pace, with no container change: every admin API write reloads Caddy's whole config, and
    // this shows what the reloads alone cost a client that keeps its connections alive. The writes
    // go to a server of the bench's own, addressed by key (no array index that others could shift).
    const reloadServer = `/config/apps/http/servers/bench-reload-${rand}`;
    const reloadPort = await freePort();
    const dummy = (n: number) => ({ listen: [`127.0.0.1:${reloadPort}`], automatic_https: { disable: true }, routes: [{ handle: [{ handler: "static_response", body: `reload ${n}` }] }] });
    if ((await caddyAdmin(caddy.admin, "PUT", reloadServer, dummy(0))) !== 200) throw new Error("could not add the bench's reload server to Caddy");
    progress(`zero-downtime: control, same load with ${redeploys} Caddy config reloads and no container change`);
    sampler = sampleListenOverflows(docker, label);
    await sleep(300);
    overflowsBefore = await sampler.stop();
    sampler = sampleListenOverflows(docker, label);
    wrk = load(maxSeconds);
    const reloadStarted = performance.now();
    await sleep(1000);
    const pace = loadSeconds * 1000 - 2000;
    for (let k = 1; k <= redeploys; k++) {
      await sleep(pace / redeploys / 2);
      const status = await caddyAdmin(caddy.admin, "PATCH", reloadServer, dummy(k));
      if (status !== 200) throw new Error(`reload ${k}: Caddy answered ${status}`);
      await sleep(pace / redeploys / 2);
    }
    await sleep(Math.max(0, loadSeconds * 1000 - (performance.now() - reloadStarted)));
    const reloads = await wrk.stop();
    wrk = null;
    const overflowsReloads = (await sampler.stop()) - overflowsBefore;
    await caddyAdmin(caddy.admin, "DELETE", reloadServer).catch(() => 0);

    const d = summarize(durations);
    const invalid = (label: string, c: WrkSummary) =>
      c.bodies?.other
        ? [`WARNING: ${label} got ${c.bodies.other} responses that are not the app's: Caddy lost the route (${caddy.shared ? "the shared Caddy was restarted or reconfigured by someone else" : "unexpected"}); that control is not valid`]
        : [];
    const switched = served.every((s, i) => s === version(IMAGES[(i + 1) % 2]));
    const other = during.bodies?.other ?? 0;
    return {
      scenario: "zero-downtime",
      ok: true,
      wallMs: 0,
      lines: [
        `${redeploys} blue-green redeploys alternating v2/v1 of ${fqdn}, each awaited, under wrk -t2 -c16 --timeout 2s through ${caddy.shared ? "the shared" : "a private"} Caddy at 127.0.0.1:${caddy.httpPort}`,
        ...describe("during redeploys", during, overflowsDuring),
        ...describe("control (no redeploy)", control, overflowsControl),
        ...describe(`control (${redeploys} Caddy reloads only)`, reloads, overflowsReloads),
        "reading: a connection the app's listen queue turned away is retried by the kernel after 1 s, then 3 s (wrk's timeouts when a control shows them too);",
        "         a Caddy config reload closes idle keep-alive client connections, racing a client's next request on them (wrk's read errors when the reload control shows them too)",
        ...invalid("control (no redeploy)", control),
        ...invalid("control (reloads only)", reloads),
        `redeploy duration: median ${ms(d.median)}, p90 ${ms(d.p90)} (runs ${d.runs.map((x) => Math.round(x)).join(", ")} ms; includes the ${process.env.WHARF_DRAIN_MS ?? 1500} ms drain before blue is stopped)`,
        `Caddy served after each redeploy: ${served.join(", ")}`,
      ],
      checks: [
        check("zero-downtime: failed requests during redeploys", during.failed, `= 0 (controls: ${control.failed} idle, ${reloads.failed} reloads only)`, during.failed === 0),
        check("zero-downtime: non-2xx/3xx during redeploys", during.non2xx3xx, `= 0 (control: ${control.non2xx3xx})`, during.non2xx3xx === 0),
        check("zero-downtime: unrouted/odd bodies during redeploys", other, "= 0", other === 0),
        check("zero-downtime: route switched every time", switched ? "yes" : "no", "yes", switched),
      ],
      data: {
        redeploys,
        fqdn,
        caddy: { admin: caddy.admin, httpPort: caddy.httpPort, shared: caddy.shared },
        during: { ...during, raw: during.raw.trim().split("\n") },
        control: { ...control, raw: control.raw.trim().split("\n") },
        reloadsOnly: { ...reloads, raw: reloads.raw.trim().split("\n") },
        loadSeconds,
        listenOverflows: { during: overflowsDuring, control: overflowsControl, reloadsOnly: overflowsReloads },
        redeployMs: d,
        served,
      },
    };
  } finally {
    if (wrk) await wrk.stop().catch(() => undefined);
    if (instanceId) await removeInstance({ actor: SYSTEM_ACTOR, id: instanceId }).catch((err) => progress(`cleanup: ${(err as Error).message}`));
    for (const i of await db.instance.findMany()) await removeInstance({ actor: SYSTEM_ACTOR, id: i.id }).catch(() => undefined);
    await docker.getNetwork(network).remove().catch(() => undefined);
    await caddy.stop();
  }
}

// Wharf's deploy of a local image against a plain dockerode create + start
// of the same image on the same network, alternated run by run so that both
// see the same machine load. What is measured is the price of Wharf's
// bookkeeping (history rows, audit, health wait, route/DNS steps) on top of
// what the engine itself costs.
import { randomBytes } from "node:crypto";
import Docker from "dockerode";
import { SYSTEM_ACTOR } from "../../lib/audit/record-event";
import { db } from "../../lib/db";
import { createInstance } from "../../lib/deployer/create-instance";
import { getInstance } from "../../lib/instances/get-instance";
import { waitForJob } from "../../lib/deployer/jobs";
import { removeInstance } from "../../lib/deployer/remove-instance";
import { updateSettings } from "../../lib/configuration/update-settings";
import { get, progress, waitHttp } from "../lib/http";
import { check, ms, type ScenarioResult } from "../lib/result";
import { median, ratio, summarize } from "../lib/stats";
import { runRemote } from "./deploy-remote";

const IMAGE = "wharf-test/web:v1";
const TARGET_RATIO = 1.5;
/** The baseline polls this often: a tight loop, i.e. close to when the app really starts answering. */
const BASELINE_POLL_MS = 20;

interface WharfRun {
  totalMs: number;
  removeMs: number;
  steps: Record<string, number>;
}
interface PlainRun {
  createStartMs: number;
  readyMs: number;
  removeMs: number;
}

export async function run(o: { runs?: number }): Promise<ScenarioResult> {
  const runs = o.runs ?? 7;
  const rand = randomBytes(3).toString("hex");
  const network = `wharf-bench-${rand}`;
  const docker = new Docker();
  await docker.createNetwork({ Name: network, Driver: "bridge", Labels: { "wharf.bench": "true" } });
  await updateSettings({
    actor: SYSTEM_ACTOR,
    body: { baseDomain: `bench-${rand}.wharf.test`, docker: { network }, proxy: { provider: null, upstream: { mode: "host", hostAddress: "127.0.0.1" } } },
  });

  let seq = 0;
  async function wharfDeploy(): Promise<WharfRun> {
    const name = `bench-${rand}-${seq++}`;
    const t0 = performance.now();
    const created = await createInstance({ actor: SYSTEM_ACTOR, body: { name, image: IMAGE, port: 8080 } });
    await waitForJob(created.id);
    const totalMs = performance.now() - t0;
    const inst = await getInstance(created.id);
    if (inst.status !== "running") throw new Error(`Wharf deploy of ${name} ended ${inst.status}: ${inst.error ?? ""}`);
    const deployment = await db.deployment.findFirstOrThrow({ where: { instanceId: created.id }, include: { steps: { orderBy: { position: "asc" } } } });
    const steps: Record<string, number> = {};
    // Notes (skipped steps) are written with a finish time a hair before their start: count them as 0.
    for (const s of deployment.steps) steps[s.name] = (steps[s.name] ?? 0) + Math.max(0, (s.finishedAt ?? s.startedAt).getTime() - s.startedAt.getTime());
    steps["(outside steps)"] = Math.round(Math.max(0, totalMs - Object.values(steps).reduce((a, b) => a + b, 0)));
    // Sanity: the deployed container really serves on its published port.
    const c = await docker.getContainer(inst.containerId!).inspect();
    const port = Number(c.NetworkSettings.Ports["8080/tcp"]?.[0]?.HostPort);
    if (!(await get(port))) throw new Error(`Wharf reported ${name} running but 127.0.0.1:${port} does not answer`);
    const r0 = performance.now();
    await removeInstance({ actor: SYSTEM_ACTOR, id: created.id });
    return { totalMs, removeMs: performance.now() - r0, steps };
  }

  async function plainDeploy(): Promise<PlainRun> {
    const name = `bench-plain-${rand}-${seq++}`;
    const t0 = performance.now();
    const c = await docker.createContainer({
      name,
      Image: IMAGE,
      Labels: { "wharf.bench": "true" },
      ExposedPorts: { "8080/tcp": {} },
      HostConfig: { NetworkMode: network, PortBindings: { "8080/tcp": [{ HostIp: "127.0.0.1", HostPort: "" }] } },
      NetworkingConfig: { EndpointsConfig: { [network]: {} } },
    });
    await c.start();
    const createStartMs = performance.now() - t0;
    // The engine picks the host port; reading it is part of waiting for the app.
    const info = await c.inspect();
    const port = Number(info.NetworkSettings.Ports["8080/tcp"]?.[0]?.HostPort);
    await waitHttp(port, { intervalMs: BASELINE_POLL_MS, timeoutMs: 30_000 });
    const readyMs = performance.now() - t0;
    const r0 = performance.now();
    await c.remove({ force: true, v: true });
    return { createStartMs, readyMs, removeMs: performance.now() - r0 };
  }

  const wharf: WharfRun[] = [];
  const plain: PlainRun[] = [];
  try {
    // Warm-up, not counted: first Prisma queries, first engine calls, page cache.
    progress("deploy: warm-up (not counted)");
    await wharfDeploy();
    await plainDeploy();
    for (let i = 0; i < runs; i++) {
      // ABBA: which one goes first alternates, so neither always follows the other's cleanup.
      const order = i % 2 ? ["plain", "wharf"] : ["wharf", "plain"];
      for (const kind of order) {
        if (kind === "wharf") wharf.push(await wharfDeploy());
        else plain.push(await plainDeploy());
      }
      progress(`deploy: run ${i + 1}/${runs}: wharf ${ms(wharf.at(-1)!.totalMs)} [${Object.entries(wharf.at(-1)!.steps).map(([k, v]) => `${k} ${v}`).join(", ")}], plain ${ms(plain.at(-1)!.readyMs)} (create+start ${ms(plain.at(-1)!.createStartMs)})`);
    }
  } finally {
    for (const i of await db.instance.findMany()) await removeInstance({ actor: SYSTEM_ACTOR, id: i.id }).catch(() => undefined);
    for (const c of await docker.listContainers({ all: true, filters: { label: ["wharf.bench=true"], network: [network] } })) {
      await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
    }
    await docker.getNetwork(network).remove().catch(() => undefined);
  }

  const w = summarize(wharf.map((r) => r.totalMs));
  const p = summarize(plain.map((r) => r.readyMs));
  const pcs = summarize(plain.map((r) => r.createStartMs));
  const wRemove = summarize(wharf.map((r) => r.removeMs));
  const pRemove = summarize(plain.map((r) => r.removeMs));
  const stepNames = [...new Set(wharf.flatMap((r) => Object.keys(r.steps)))];
  const steps = Object.fromEntries(stepNames.map((s) => [s, Math.round(median(wharf.map((r) => r.steps[s] ?? 0)))]));
  const r = ratio(w.median, p.median);
  // Pairs ran back to back: the median of per-pair ratios cancels slow drifts of the machine's load.
  const paired = ratio(median(wharf.map((x, i) => x.totalMs / plain[i].readyMs)), 1);
  // Remote engines (issue 27): the runtime over TLS and SSH against the docker CLI over the same transport.
  const remote = await runRemote(runs);
  const fmt = (s: ReturnType<typeof summarize>) => `median ${ms(s.median)}, p90 ${ms(s.p90)} (min ${ms(s.min)}, max ${ms(s.max)})`;
  return {
    scenario: "deploy",
    ok: true,
    wallMs: 0,
    lines: [
      `${runs} runs each, alternated; image ${IMAGE}, host upstream on 127.0.0.1, no proxy provider, wildcard DNS`,
      `Wharf createInstance + waitForJob:          ${fmt(w)}`,
      `plain create + start + HTTP answer:         ${fmt(p)}   (polled every ${BASELINE_POLL_MS} ms)`,
      `plain create + start (no wait):             ${fmt(pcs)}`,
      `ratio of medians, Wharf / plain+HTTP:       ${r}`,
      `ratio of medians, Wharf / plain create+start: ${ratio(w.median, pcs.median)}`,
      `median of per-pair ratios, Wharf / plain+HTTP: ${paired}`,
      `Wharf deploy steps (median ms): ${Object.entries(steps).map(([k, v]) => `${k} ${v}`).join(", ")}`,
      `removal: Wharf removeInstance ${fmt(wRemove)}; plain docker rm -f ${fmt(pRemove)}`,
      ...remote.lines,
    ],
    checks: [check("deploy: Wharf / plain (median ratio)", r, `≤ ${TARGET_RATIO}`, r <= TARGET_RATIO), ...remote.checks],
    data: { runs, image: IMAGE, baselinePollMs: BASELINE_POLL_MS, wharf: w, plainReady: p, plainCreateStart: pcs, ratio: r, pairedRatioMedian: paired, ratioToCreateStart: ratio(w.median, pcs.median), wharfStepsMedianMs: steps, wharfRemove: wRemove, plainRemove: pRemove, remote: remote.data },
  };
}

// The deploy scenario's remote cases (issue 27): Wharf's runtime over TLS (h1)
// and over its pooled SSH connection (h2) against the docker CLI over the same
// transport (`docker -H tcp://… --tlsverify`, `docker -H ssh://…`, one SSH
// connection per CLI command), alternated run by run. Measured: create + start
// (and the port read), and up to the first HTTP answer at the namespace address.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import { promisify } from "node:util";
import { DockerodeRuntime } from "../../lib/docker/dockerode";
import { closeAllSshConnections } from "../../lib/docker/ssh-transport";
import { multihost, multihostFile, sshConnection, tlsConnection } from "../../test/multihost";
import { progress } from "../lib/http";
import { check, ms, type Check } from "../lib/result";
import { median, ratio, summarize } from "../lib/stats";

const exec = promisify(execFile);
const TARGET_RATIO = 1.3;
const POLL_MS = 20;

/** Polls host:port until it answers HTTP below 500 (bench/lib/http.ts's waitHttp speaks to 127.0.0.1 only). */
async function waitHttpAt(host: string, port: number, timeoutMs = 30_000): Promise<void> {
  const t0 = performance.now();
  for (;;) {
    const status = await new Promise<number>((resolve) => {
      const req = http.get({ host, port, path: "/", agent: false, timeout: 1_000 }, (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      });
      req.on("timeout", () => req.destroy(new Error("timeout")));
      req.on("error", () => resolve(0));
    });
    if (status > 0 && status < 500) return;
    if (performance.now() - t0 > timeoutMs) throw new Error(`${host}:${port} did not answer HTTP within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

interface Pair {
  wharfStartMs: number;
  wharfReadyMs: number;
  cliStartMs: number;
  cliReadyMs: number;
}

export async function runRemote(runs: number): Promise<{ lines: string[]; checks: Check[]; data: Record<string, unknown> }> {
  if (!fs.existsSync(multihostFile())) {
    return { lines: [`remote cases skipped: ${multihostFile()} missing (bash test/services/start.sh)`], checks: [], data: {} };
  }
  const m = multihost();
  const image = `${m.registries.auth}/lab/web:v1`;
  const rand = randomBytes(3).toString("hex");
  const network = `wharf-bench-${rand}`;
  const lines: string[] = [];
  const checks: Check[] = [];
  const data: Record<string, unknown> = {};

  const cases = [
    {
      name: "TLS",
      address: m.tls.host,
      rt: new DockerodeRuntime({ connection: tlsConnection() }),
      cli: ["--tlsverify", "--tlscacert", m.tls.caPath, "--tlscert", m.tls.certPath, "--tlskey", m.tls.keyPath, "-H", `tcp://${m.tls.host}:${m.tls.port}`],
      env: process.env,
    },
    {
      name: "SSH",
      address: m.ssh.host,
      rt: new DockerodeRuntime({ connection: sshConnection() }),
      // The CLI runs `ssh` from PATH: multihost.sh's wrapper adds its config (key, known_hosts, StrictHostKeyChecking).
      cli: ["-H", `ssh://${m.ssh.username}@${m.ssh.host}`],
      env: { ...process.env, PATH: `${m.ssh.binDir}:${process.env.PATH}` },
    },
  ];

  for (const c of cases) {
    const docker = (...args: string[]) => exec("docker", [...c.cli, ...args], { env: c.env }).then((r) => r.stdout.trim());
    await c.rt.pullImage(image, undefined, undefined, { username: m.registries.username, password: m.registries.password, serveraddress: m.registries.auth });
    await c.rt.ensureNetwork(network);
    let seq = 0;

    const wharfRun = async () => {
      const t0 = performance.now();
      const info = await c.rt.createContainer({
        name: `bench-${rand}-${seq++}`,
        image,
        env: {},
        labels: { "wharf.bench": "true" },
        network,
        port: 8080,
        publishOn: c.address,
        restartPolicy: "no",
      });
      await c.rt.startContainer(info.id);
      const port = (await c.rt.inspectContainer(info.id))?.publishedPort as number;
      const startMs = performance.now() - t0;
      await waitHttpAt(c.address, port);
      const readyMs = performance.now() - t0;
      await c.rt.removeContainer(info.id);
      return { startMs, readyMs };
    };
    const cliRun = async () => {
      const name = `bench-cli-${rand}-${seq++}`;
      const t0 = performance.now();
      await docker("create", "--name", name, "--label", "wharf.bench=true", "--network", network, "-p", `${c.address}::8080`, image);
      await docker("start", name);
      const port = Number((await docker("port", name, "8080/tcp")).split("\n")[0].split(":").pop());
      const startMs = performance.now() - t0;
      await waitHttpAt(c.address, port);
      const readyMs = performance.now() - t0;
      await docker("rm", "-f", name);
      return { startMs, readyMs };
    };

    const pairs: Pair[] = [];
    try {
      progress(`deploy ${c.name}: warm-up (not counted)`);
      await wharfRun();
      await cliRun();
      for (let i = 0; i < runs; i++) {
        const w = i % 2 ? null : await wharfRun();
        const k = await cliRun();
        const w2 = w ?? (await wharfRun());
        pairs.push({ wharfStartMs: w2.startMs, wharfReadyMs: w2.readyMs, cliStartMs: k.startMs, cliReadyMs: k.readyMs });
        progress(`deploy ${c.name}: run ${i + 1}/${runs}: wharf ${ms(w2.readyMs)} (create+start ${ms(w2.startMs)}), docker CLI ${ms(k.readyMs)} (create+start ${ms(k.startMs)})`);
      }
    } finally {
      await docker("rm", "-f", ...(await docker("ps", "-aq", "--filter", "label=wharf.bench=true")).split("\n").filter(Boolean)).catch(() => "");
      await docker("network", "rm", network).catch(() => "");
    }
    const ws = summarize(pairs.map((p) => p.wharfStartMs));
    const ks = summarize(pairs.map((p) => p.cliStartMs));
    const wr = summarize(pairs.map((p) => p.wharfReadyMs));
    const kr = summarize(pairs.map((p) => p.cliReadyMs));
    const rStart = ratio(ws.median, ks.median);
    const rReady = ratio(wr.median, kr.median);
    const paired = ratio(median(pairs.map((p) => p.wharfStartMs / p.cliStartMs)), 1);
    lines.push(
      `${c.name} (${c.address}, ${runs} runs each, alternated): Wharf runtime create+start ${ms(ws.median)} vs docker CLI ${ms(ks.median)}: ratio ${rStart} (per-pair median ${paired}); ` +
        `to the first HTTP answer ${ms(wr.median)} vs ${ms(kr.median)}: ratio ${rReady}`,
    );
    checks.push(check(`deploy over ${c.name}: Wharf / docker CLI create+start (median ratio)`, rStart, `≤ ${TARGET_RATIO}`, rStart <= TARGET_RATIO));
    data[c.name.toLowerCase()] = { wharfCreateStart: ws, cliCreateStart: ks, wharfReady: wr, cliReady: kr, ratio: rStart, readyRatio: rReady, pairedRatioMedian: paired };
  }
  await closeAllSshConnections();
  return { lines, checks, data };
}

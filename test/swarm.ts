// The shared set-up of the integration tests on the real three-node Swarm of
// test/services/multihost.sh (h1 the manager over mutual TLS, h2 and h3
// workers): the settings (a base domain of the file's own, Caddy on loopback
// in host upstream mode, the lab registry's credentials), the cluster as a
// Wharf server, and the small reads every such file makes. The Swarm is
// shared between files: restoreNodes() puts availability (and, given the
// nodes as found, labels) back.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { SYSTEM_ACTOR } from "../lib/audit/record-event";
import { updateSettings } from "../lib/configuration/update-settings";
import { db } from "../lib/db";
import { waitForJob } from "../lib/deployer/jobs";
import { serviceName } from "../lib/deployer/service-spec";
import { getInstance } from "../lib/instances/get-instance";
import { swarmOfServer } from "../lib/servers/cluster";
import { createServer } from "../lib/servers/servers";
import type { NodeInfo } from "../lib/swarm/types";
import { CADDY, httpGet } from "./helpers/http";
import { multihost, multihostHost } from "./multihost";

export const MULTIHOST_SCRIPT = path.resolve(import.meta.dirname, "services/multihost.sh");

export function swarmTestCluster(prefix: string) {
  const rand = randomBytes(3).toString("hex");
  const base = `${prefix}-${rand}.wharf.test`;
  const mh = multihost();
  let serverId = "";
  const swarm = async () => swarmOfServer(await db.server.findUniqueOrThrow({ where: { id: serverId } }));
  return {
    rand,
    base,
    mh,
    get serverId() {
      return serverId;
    },
    swarm,
    /** The lab registry's test web image (private: it needs the stored credentials). */
    image: (v: string) => `${mh.registries.auth}/lab/web:${v}`,
    /** A request to `<name>.<base>` through Caddy on loopback. */
    viaCaddy: (name: string, pathname = "/") => httpGet({ port: CADDY.httpPort, host: `${name}.${base}`, path: pathname, timeoutMs: 4000 }),
    /** The docker CLI on one host's engine, through its unix socket (never over the network). */
    docker: (host: string, args: string) => execFileSync("sh", ["-c", `docker -H unix://${multihostHost(host).socket} ${args}`], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }),
    /** The service's tasks that run now. */
    running: async (name: string) => (await (await swarm()).listTasks(serviceName(name))).filter((t) => t.desiredState === "running" && t.state === "running"),
    /** The instance once its job finished. */
    settle: async (id: string) => {
      await waitForJob(id);
      return getInstance(id);
    },
    /** Settings for this file and the cluster (h1 over TLS) as a Wharf server; returns its id. */
    async setUp(): Promise<string> {
      process.env.WHARF_HEALTH_TIMEOUT_MS = "60000";
      await updateSettings({
        actor: SYSTEM_ACTOR,
        body: {
          baseDomain: base,
          proxy: { provider: { type: "caddy", adminUrl: CADDY.admin, server: CADDY.server }, upstream: { mode: "host", hostAddress: "127.0.0.1" } },
          registries: [{ host: mh.registries.auth, username: mh.registries.username, password: mh.registries.password }],
        },
      });
      const read = (p: string) => readFileSync(p, "utf8");
      serverId = (await createServer({ actor: SYSTEM_ACTOR, body: { name: `cluster-${rand}`, kind: "swarm", transport: "tls", address: mh.tls.host, port: mh.tls.port, tls: { ca: read(mh.tls.caPath), cert: read(mh.tls.certPath), key: read(mh.tls.keyPath) } } })).id;
      return serverId;
    },
    /**
     * Every node active again (h3's engine started first, for files that kill
     * it); with `as` (the nodes as found), their labels too, replaced whole.
     */
    async restoreNodes(as?: NodeInfo[]): Promise<void> {
      execFileSync("bash", [MULTIHOST_SCRIPT, "start-engine", "3"], { stdio: "pipe" });
      const s = await swarm().catch(() => null);
      for (const n of (await s?.listNodes().catch(() => [])) ?? []) {
        const was = as?.find((x) => x.id === n.id);
        const availability = was?.availability ?? "active";
        const labelsDrifted = was !== undefined && JSON.stringify(n.labels) !== JSON.stringify(was.labels);
        if (n.availability !== availability || labelsDrifted) await s!.updateNode(n.id, { availability, ...(was ? { labels: was.labels } : {}) }).catch(() => undefined);
      }
    },
  };
}

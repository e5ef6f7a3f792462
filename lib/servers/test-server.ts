import { db } from "../db";
import { probeSshHostKey } from "../docker/ssh-transport";
import { errorMessage } from "../errors";
import { recordEvent, type Actor } from "../audit/record-event";
import { runtimeFor } from "./server-runtime";
import { connectionOf, runtimeForConnection } from "./server-runtime";
import { getServerRow } from "./servers";
import { recordStatus } from "./fleet";
import { identityColumns } from "./node-engines";
import { DockerSwarm } from "../swarm/docker-swarm";

// "Test connection" (SPEC §16): reach the engine, show its version and
// container count, record the server `up` or `down`. An SSH server without a
// pinned host key gets the key it presents now pinned, and its fingerprint
// shown for the operator to confirm (or to replace the server if it is not
// the one they expect); from then on every connection checks it.

export interface TServerTest {
  ok: boolean;
  message: string;
  engineVersion?: string;
  containers?: number;
  hostKeySha256?: string;
}

export async function testServer(opts: { actor: Actor; id: string }): Promise<TServerTest> {
  if (opts.id === "local") {
    const rt = await runtimeFor(null);
    const ping = await rt.ping();
    return ping.ok ? { ok: true, message: `Docker ${ping.version} answers on the local socket`, engineVersion: ping.version } : { ok: false, message: ping.message ?? "no answer" };
  }
  const row = await getServerRow(opts.id);
  let pinning: string | undefined;
  let nodes: number | undefined;
  let result: TServerTest;
  try {
    if (row.transport === "ssh" && !row.hostKeySha256) pinning = (await probeSshHostKey({ host: row.address, port: row.port, timeoutMs: 10_000 })).fingerprint;
    // A runtime of its own: a test never reuses (or disturbs) the connection running operations share.
    const rt = runtimeForConnection(connectionOf(row, pinning));
    const ping = await rt.ping();
    if (!ping.ok) throw new Error(ping.message ?? "no answer");
    const info = await rt.engineInfo?.().catch(() => null);
    // A cluster is a server whose engine is a Swarm manager (issue 28): a worker or a plain engine is refused as one.
    if (row.kind === "swarm") {
      const swarm = await new DockerSwarm({ connection: connectionOf(row, pinning), timeoutMs: 10_000 }).swarmInfo();
      if (!swarm.manager) throw new Error(`the engine at ${row.address} is not a Swarm manager (swarm ${swarm.state}): point the cluster at a manager, or add this server as an engine`);
      nodes = swarm.nodes;
    }
    result = {
      ok: true,
      message: `Docker ${ping.version} answers at ${row.transport}://${row.address}:${row.port}${nodes !== undefined ? `: a Swarm manager of ${nodes} node${nodes === 1 ? "" : "s"}` : ""}${pinning ? `; host key ${pinning} pinned: confirm it is the server's` : ""}`,
      engineVersion: ping.version,
      ...(info ? { containers: info.containers } : {}),
      ...(row.transport === "ssh" ? { hostKeySha256: pinning ?? row.hostKeySha256! } : {}),
    };
    await db.server.update({ where: { id: row.id }, data: { ...(pinning ? { hostKeySha256: pinning } : {}), containers: info?.containers ?? null, ...(info ? identityColumns(info) : {}) } });
    await recordStatus(row.id, true, null, ping.version);
  } catch (err) {
    result = { ok: false, message: `${row.name}: ${errorMessage(err)}` };
    await recordStatus(row.id, false, result.message);
  }
  await recordEvent({ actor: opts.actor, action: "server.test", target: row.name, result: result.ok ? "ok" : "error", message: result.message });
  return result;
}

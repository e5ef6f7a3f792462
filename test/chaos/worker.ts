// One Wharf process of the chaos run: Wharf's own library (start-up with
// crash recovery, deployer, proxies, reconciler) on the shared database,
// driven over a loopback HTTP port by the chaos runner instead of by the
// Next.js routes (which are thin shells over the same calls). Started with
// WHARF_DATA_DIR of the run; killed with SIGKILL by the runner.
import http from "node:http";

const port = Number(process.argv[2]);
const { startServer } = await import("../../lib/server-start");
await startServer();
const { SYSTEM_ACTOR } = await import("../../lib/audit/record-event");
const { createInstance } = await import("../../lib/deployer/create-instance");
const { redeployInstance } = await import("../../lib/deployer/redeploy-instance");
const { rollbackInstance } = await import("../../lib/deployer/rollback-instance");
const { stopInstance, startInstance } = await import("../../lib/deployer/stop-start-instance");
const { removeInstance } = await import("../../lib/deployer/remove-instance");
const { cancelDeployment } = await import("../../lib/deployer/cancel-deployment");
const { createProxy } = await import("../../lib/standalone-proxies/create-proxy");
const { updateProxy } = await import("../../lib/standalone-proxies/update-proxy");
const { deleteProxy } = await import("../../lib/standalone-proxies/delete-proxy");
const { runSync } = await import("../../lib/reconcile/run-sync");
const { errorMessage } = await import("../../lib/errors");

type Args = Record<string, unknown> & { id?: string };
const actor = SYSTEM_ACTOR;
const ops: Record<string, (a: Args) => Promise<unknown>> = {
  create: (a) => createInstance({ actor, body: a.body }),
  redeploy: (a) => redeployInstance({ actor, id: a.id!, body: a.body ?? {} }),
  rollback: (a) => rollbackInstance({ actor, id: a.id! }),
  stop: (a) => stopInstance({ actor, id: a.id! }),
  start: (a) => startInstance({ actor, id: a.id! }),
  remove: (a) => removeInstance({ actor, id: a.id! }),
  cancel: (a) => cancelDeployment({ actor, id: a.id! }),
  "proxy.create": (a) => createProxy({ actor, body: a.body }),
  "proxy.update": (a) => updateProxy({ actor, id: a.id!, body: a.body }),
  "proxy.delete": (a) => deleteProxy({ actor, id: a.id! }),
  sync: (a) => runSync({ trigger: (a.trigger as "manual" | "cron" | "scheduler") ?? "manual" }),
};

http
  .createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      const { op, args } = JSON.parse(body) as { op: string; args: Args };
      const fn = ops[op];
      const answer = (status: number, value: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(value));
      };
      if (!fn) return answer(400, { error: `unknown op ${op}` });
      fn(args).then(
        (result) => answer(200, { ok: true, result }),
        (err: unknown) => answer(200, { ok: false, error: errorMessage(err) }),
      );
    });
  })
  .listen(port, "127.0.0.1", () => console.log(`READY ${port}`));

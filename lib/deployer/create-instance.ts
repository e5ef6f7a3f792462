import { randomUUID } from "node:crypto";
import { db } from "../db";
import { AppError } from "../errors";
import { recordEvent, type Actor } from "../audit/record-event";
import { assertFqdnAvailable } from "../consumers/assert-fqdn-available";
import { instanceFqdn } from "../naming";
import { getSettings } from "../settings/get-settings";
import { parseInput } from "../validation";
import { sealEnv } from "./env-vars";
import { beginOperation, type OperationPlan } from "./begin-operation";
import { acquireInstanceLease } from "./instance-lease";
import { runDeploy } from "./run-deploy";
import { ZCreateInstanceSchema } from "./schemas";
import { getInstance } from "../instances/get-instance";
import { assertClusterFields, resolveServerRef } from "../servers/resolve-server";
import { resolveSpec, specColumns } from "./runtime-spec";
import type { TRuntimeSpec } from "./spec-schemas";
import type { TPinChoice } from "./service-pin";

/** Validates, stores the instance as `created`, moves it to `deploying` and starts the deploy job (the API answers 202). */
export async function createInstance(opts: { actor: Actor; body: unknown }) {
  const input = parseInput(ZCreateInstanceSchema, opts.body);
  const subdomain = input.subdomain ?? input.name;
  const settings = await getSettings();
  let serverId: string | null = null;
  try {
    serverId = await resolveServerRef(input.server);
    await assertClusterFields(serverId, input);
    if (await db.instance.findUnique({ where: { name: input.name } })) {
      throw new AppError("CONFLICT", `name: an instance named ${input.name} already exists`, { field: "name" });
    }
    await assertFqdnAvailable({ fqdn: instanceFqdn(subdomain, settings.baseDomain), baseDomain: settings.baseDomain, field: input.subdomain ? "subdomain" : "name" });
  } catch (err) {
    await recordEvent({ actor: opts.actor, action: "instance.create", target: input.name, result: "error", message: (err as Error).message });
    throw err;
  }
  const id = randomUUID().replace(/-/g, "").slice(0, 24);
  const spec = await resolveSpec({ instance: { id, name: input.name, serverId }, current: null, input, settings, actor: opts.actor });
  // The lease comes before the row: from its first moment the new instance is
  // owned by this deploy, so no sync can act on (or delete records of) it.
  const lease = await acquireInstanceLease(id, "deploy");
  try {
    await db.instance.create({
      data: {
        id,
        name: input.name,
        image: input.image,
        subdomain,
        port: input.port,
        env: sealEnv(input.env ?? []),
        healthPath: input.healthPath ?? null,
        restartPolicy: input.restartPolicy ?? "unless-stopped",
        autoUpdate: input.autoUpdate ?? false,
        tlsHttps: input.tls?.https ?? true,
        tlsRedirect: input.tls?.redirect ?? true,
        tlsHsts: input.tls?.hsts ?? false,
        ...specColumns(spec),
        serverId,
        replicas: input.replicas ?? 1,
        placement: JSON.stringify(input.placement ?? []),
        pinVolumes: input.pinVolumes ?? true,
      },
    });
  } catch (err) {
    await lease.release();
    // The unique indexes catch a create racing this one between the check and the insert.
    if ((err as { code?: string }).code === "P2002") throw new AppError("CONFLICT", `name: ${input.name} or its subdomain was taken meanwhile`, { field: "name" });
    throw err;
  }
  await recordEvent({ actor: opts.actor, action: "instance.create", target: `${input.name} (${input.image})`, result: "ok" });
  await beginOperation({ instanceId: id, kind: "deploy", actor: opts.actor, lease, plan: () => deployPlan({ instanceId: id, image: input.image, actor: opts.actor }) });
  return getInstance(id);
}

/** The plan of a plain deploy: `deploying`, then runDeploy in the background. `spec`: a redeploy's new runtime spec, committed to the row only when the deploy succeeds. */
export function deployPlan(opts: { instanceId: string; image: string; actor: Actor; spec?: TRuntimeSpec; pin?: TPinChoice }): OperationPlan {
  return { event: "deploy", image: opts.image, run: (rec, signal) => runDeploy({ instanceId: opts.instanceId, rec, image: opts.image, actor: opts.actor, signal, spec: opts.spec, pin: opts.pin }) };
}

import type { ContainerRuntime } from "../docker/types";
import type { TSettings } from "../settings/schemas";
import { db } from "../db";
import { AppError } from "../errors";
import { getSettings } from "../settings/get-settings";
import { runtimeFor, runtimeOfServer } from "./server-runtime";

// Where an instance runs (SPEC §16): the runtime of its server, and the
// settings its containers and routes are planned with. On a remote server
// the proxy reaches a container at the server's upstream address and the
// port the engine published there (upstream mode "host"); the local server
// keeps both upstream modes. Everything downstream (container-plan,
// route-target, the health probe) plans from these settings unchanged.

export interface Placement {
  serverId: string | null;
  rt: ContainerRuntime;
  settings: TSettings;
}

/** The settings a container on a server with this upstream address is planned with. */
export function settingsOnServer(settings: TSettings, server: { upstreamAddress: string } | null): TSettings {
  if (!server) return settings;
  return { ...settings, proxy: { ...settings.proxy, upstream: { mode: "host", hostAddress: server.upstreamAddress } } };
}

export async function placementOf(instance: { serverId: string | null }, settings: TSettings): Promise<Placement> {
  if (!instance.serverId) return { serverId: null, rt: await runtimeFor(null), settings };
  const server = await db.server.findUnique({ where: { id: instance.serverId } });
  if (!server) throw new AppError("NOT_FOUND", `server ${instance.serverId} not found`);
  return { serverId: server.id, rt: runtimeOfServer(server), settings: settingsOnServer(settings, server) };
}

/** The settings an instance's containers and route are planned with (the saved ones, on its server). */
export async function settingsFor(instance: { serverId: string | null }, settings?: TSettings): Promise<TSettings> {
  const saved = settings ?? (await getSettings());
  if (!instance.serverId) return saved;
  const server = await db.server.findUnique({ where: { id: instance.serverId }, select: { upstreamAddress: true } });
  if (!server) throw new AppError("NOT_FOUND", `server ${instance.serverId} not found`);
  return settingsOnServer(saved, server);
}

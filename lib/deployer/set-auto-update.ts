import { db } from "../db";
import { recordEvent, type Actor } from "../audit/record-event";
import { findInstanceOrThrow } from "../db/find-instance";
import { getInstance } from "../instances/get-instance";

/** Opts an instance in or out of automatic updates (no deploy by itself; the next check decides). */
export async function setAutoUpdate(opts: { actor: Actor; id: string; autoUpdate: boolean }) {
  const instance = await findInstanceOrThrow(opts.id);
  await db.instance.update({ where: { id: instance.id }, data: { autoUpdate: opts.autoUpdate } });
  await recordEvent({ actor: opts.actor, action: "instance.auto-update", target: `${instance.name}: ${opts.autoUpdate ? "on" : "off"}`, result: "ok" });
  return getInstance(instance.id);
}

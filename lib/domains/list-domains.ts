import { db } from "../db";
import { findInstanceOrThrow } from "../db/find-instance";
import { getSettings } from "../settings/get-settings";
import { presentDomain } from "./present-domain";

export async function listDomains(opts: { instanceId: string }) {
  const [instance, settings] = await Promise.all([findInstanceOrThrow(opts.instanceId), getSettings()]);
  const rows = await db.customDomain.findMany({ where: { instanceId: instance.id }, orderBy: { domain: "asc" } });
  return { items: rows.map((r) => presentDomain(r, instance, settings)) };
}

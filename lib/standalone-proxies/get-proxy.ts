import { db } from "../db";
import { AppError } from "../errors";
import { getSettings } from "../settings/get-settings";
import type { StandaloneProxy } from "../generated/prisma/client";
import { pickDnsRow, presentProxy, type TProxyView } from "./present-proxy";

/** The row, or NOT_FOUND: the starting point of every operation on one proxy. */
export async function getProxyRow(opts: { id: string }): Promise<StandaloneProxy> {
  const row = await db.standaloneProxy.findUnique({ where: { id: opts.id } });
  if (!row) throw new AppError("NOT_FOUND", `standalone proxy ${opts.id} does not exist`);
  return row;
}

/** A proxy in its API shape, with its DNS state from the ledger. */
export async function getProxy(opts: { id: string }): Promise<TProxyView> {
  const row = await getProxyRow(opts);
  const [settings, records] = await Promise.all([getSettings(), db.dnsRecord.findMany({ where: { consumerType: "standalone", consumerId: row.id } })]);
  return presentProxy(row, pickDnsRow(records, row), settings.dns.mode);
}

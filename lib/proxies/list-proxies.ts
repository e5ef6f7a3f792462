import { db } from "../db";

export async function listProxies() {
  return db.standaloneProxy.findMany({ orderBy: { domain: "asc" } });
}

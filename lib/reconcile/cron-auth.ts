import { createHash, timingSafeEqual } from "node:crypto";
import { appSecrets } from "../secrets";

/** Constant-time check of `Authorization: Bearer <CRON_SECRET>` (hashing first makes the lengths equal). */
export function verifyCronSecret(header: string | null): boolean {
  const m = header ? /^Bearer\s+(.+)$/i.exec(header.trim()) : null;
  if (!m) return false;
  const digest = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(digest(m[1]), digest(appSecrets().cronSecret));
}

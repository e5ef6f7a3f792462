import { db } from "../db";
import { liveEnv } from "../env";
import { recordEvent, type Actor } from "../audit/record-event";
import { parseInput } from "../validation";
import { ZPublicUrlSchema } from "./schemas";

// The address operators open Wharf at, for the links in messages. Its own
// settings key so that it needs no change to the main settings document;
// NEXTAUTH_URL (what next-auth is told) is the fallback.
const KEY = "notifications";

export async function getPublicUrl(): Promise<string | null> {
  const row = await db.setting.findUnique({ where: { key: KEY } });
  const saved = row ? ((JSON.parse(row.value) as { publicUrl?: string | null }).publicUrl ?? null) : null;
  return saved ?? liveEnv().nextAuthUrl ?? null;
}

export async function setPublicUrl(opts: { actor: Actor; body: unknown }): Promise<{ publicUrl: string | null }> {
  const input = parseInput(ZPublicUrlSchema, opts.body);
  const publicUrl = input.publicUrl ? input.publicUrl.replace(/\/+$/, "") : null;
  const value = JSON.stringify({ publicUrl });
  await db.setting.upsert({ where: { key: KEY }, create: { key: KEY, value }, update: { value } });
  await recordEvent({ actor: opts.actor, action: "notifications.public_url", target: publicUrl, result: "ok" });
  return { publicUrl: await getPublicUrl() };
}

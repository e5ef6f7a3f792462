import { recordEvent, type Actor } from "../audit/record-event";
import { AppError, errorMessage } from "../errors";
import { getSettings } from "../settings/get-settings";
import { applySettingsUpdate } from "./update-settings";
import { normaliseRegistryHost } from "../image-ref";
import { testRegistryLogin } from "../registry/registry-client";

/**
 * "Test login" for one registry entry, saved or typed: a blank password uses
 * the stored one only under the same binding as a save (same host and user).
 */
export async function testRegistryEntry(opts: { actor: Actor; entry: { host: string; username: string; password?: string; authHost?: string } }): Promise<{ ok: boolean; message: string }> {
  let result: { ok: boolean; message: string };
  let host = opts.entry.host;
  try {
    const [resolved] = applySettingsUpdate(await getSettings(), { registries: [opts.entry] }).registries;
    host = resolved.host;
    result = await testRegistryLogin({ registry: normaliseRegistryHost(resolved.host), creds: resolved });
  } catch (err) {
    result = { ok: false, message: errorMessage(err) };
  }
  await recordEvent({ actor: opts.actor, action: "settings.test.registry", target: host, result: result.ok ? "ok" : "error", message: result.message });
  return result;
}

/** The API's variant: a stored entry, by host. */
export async function testStoredRegistry(opts: { actor: Actor; host: string | null }): Promise<{ ok: boolean; message: string }> {
  const host = normaliseRegistryHost(opts.host ?? "");
  const entry = (await getSettings()).registries.find((r) => normaliseRegistryHost(r.host) === host);
  if (!entry) throw new AppError("VALIDATION", `host: no registry credentials stored for ${host || "(none given)"}`, { field: "host" });
  return testRegistryEntry({ actor: opts.actor, entry: { host: entry.host, username: entry.username } });
}

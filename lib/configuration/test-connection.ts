import { recordEvent, type Actor } from "../audit/record-event";
import { errorMessage } from "../errors";
import { createDnsProvider } from "../dns";
import { createProxyProvider } from "../proxy";
import { getSettings } from "../settings/get-settings";
import type { TSettings } from "../settings/schemas";

/** "Test connection": success or the provider's exact error text (SPEC §3). */
export async function testConnection(opts: { actor: Actor; target: "dns" | "proxy"; settings?: TSettings }): Promise<{ ok: boolean; message: string }> {
  const settings = opts.settings ?? (await getSettings());
  let result: { ok: boolean; message: string };
  try {
    if (opts.target === "dns") {
      result = settings.dns.provider ? await createDnsProvider(settings.dns.provider).testConnection() : { ok: false, message: "No DNS provider is configured" };
    } else {
      result = settings.proxy.provider ? await createProxyProvider(settings.proxy.provider).testConnection() : { ok: false, message: "No proxy provider is configured" };
    }
  } catch (err) {
    result = { ok: false, message: errorMessage(err) };
  }
  await recordEvent({ actor: opts.actor, action: `settings.test.${opts.target}`, result: result.ok ? "ok" : "error", message: result.message });
  return result;
}

import type { Actor } from "../audit/record-event";
import { getSettings } from "../settings/get-settings";
import { testConnection } from "./test-connection";
import { applySettingsUpdate } from "./update-settings";

/**
 * "Test connection" on the values of a form that is not saved yet: the draft
 * is merged onto the saved settings by the same rules as a save, so a
 * blank secret field reuses the stored secret only for the address it was
 * entered for (a changed address is a 400 naming the secret field, and
 * nothing is sent).
 */
export async function testDraftConnection(opts: { actor: Actor; target: "dns" | "proxy"; body: unknown }): Promise<{ ok: boolean; message: string }> {
  const draft = applySettingsUpdate(await getSettings(), opts.body);
  return testConnection({ actor: opts.actor, target: opts.target, settings: draft });
}

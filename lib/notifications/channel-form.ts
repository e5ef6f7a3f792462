import { nestedFromForm } from "../form-data";

/** The body an Add or Edit channel form sends: name, events and the config fields (`config.*`). */
export interface TChannelFormBody {
  name: unknown;
  events: "all" | string[];
  config: Record<string, unknown>;
}

/**
 * Reads a channel form (pure). Field names go through nestedFromForm, so a
 * name reaching a prototype is refused (issue 21) and a blank field is "not
 * given": a blank secret keeps the stored one while its address is unchanged
 * (mergeConfig decides, exactly as for the API's PATCH). The events are
 * checkboxes `eventsAll` and `event` (repeated), outside the nested object.
 * Which config keys the type takes is left to its strict schema.
 */
export function channelBodyFromForm(form: FormData): TChannelFormBody {
  const nested = nestedFromForm(form, { numbers: ["config.port", "config.priority"] });
  const config = (nested.config ?? Object.create(null)) as Record<string, unknown>;
  // E-mail recipients are one text field, comma- or space-separated.
  if (typeof config.to === "string") config.to = config.to.split(/[,\s]+/).filter(Boolean);
  const events = form.get("eventsAll") === "on" ? "all" : form.getAll("event").map(String);
  return { name: nested.channelName ?? "", events, config };
}

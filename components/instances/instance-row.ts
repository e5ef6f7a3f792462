import type { TInstanceView } from "@/lib/instances/present-instance";
import type { TListedDomain } from "@/lib/instances/list-instances";
import type { TUsageSample } from "@/lib/instances/get-usage";

// What the instances table shows of an instance, for the page's first paint
// and for every poll: the full view (spec, env, digests, dates) of 200 rows
// was 190 KB of the page's RSC payload. No "use client": the server page
// calls it too.

/** A list row: the instance plus its newest usage sample while it runs. */
export type TInstanceListed = TInstanceView & { usage?: TUsageSample | null; domains?: TListedDomain[] };

export type TInstanceRow = Pick<TInstanceListed, "id" | "name" | "image" | "url" | "status" | "error" | "usage" | "domains"> & { /** Absent on the built-in server "local". */ server?: string; routeStatus: string; dnsStatus: string; /** Absent when off. */ tls?: TInstanceListed["tls"] };

export const instanceRow = (i: TInstanceListed): TInstanceRow => ({
  id: i.id, name: i.name, image: i.image, url: i.url, status: i.status, ...(i.error ? { error: i.error } : {}), ...(i.server && i.server !== "local" ? { server: i.server } : {}),
  routeStatus: i.route.status, dnsStatus: i.dns.status, ...(i.tls.status !== "off" ? { tls: i.tls } : {}), ...(i.usage ? { usage: i.usage } : {}),
  ...(i.domains?.length ? { domains: i.domains } : {}),
});

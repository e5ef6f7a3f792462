import { apiRoute } from "@/lib/http";
import { testChannel } from "@/lib/notifications/test-channel";

export const dynamic = "force-dynamic";

/** 200 with `{ok: true}` or `{ok: false, error}`: the receiver's exact answer, as "Test connection" does. */
export const POST = apiRoute({ role: "admin", action: "notifications.channel.test" }, async ({ actor, params }) => testChannel({ actor, id: params.id }));

import { expect, it } from "vitest";
import { db } from "../db";
import { SYSTEM_ACTOR } from "../audit/record-event";
import { createUser } from "../auth/users";
import { THROTTLE } from "../auth/throttle";
import { verifyLogin } from "../auth/verify-login";

it("a login lockout is announced once, naming the account", async () => {
  await createUser({ actor: SYSTEM_ACTOR, body: { email: "locked@example.com", password: "the-right-password", role: "viewer" } });
  for (let i = 0; i < THROTTLE.maxPerEmail + 2; i++) await verifyLogin({ email: "locked@example.com", password: `guess-${i}`, address: "198.51.100.7" }).catch(() => undefined);
  const events = await db.notificationEvent.findMany({ where: { event: "auth.lockout" } });
  expect(events).toHaveLength(1);
  expect(events[0]).toMatchObject({ count: 1, consumerName: "locked@example.com", path: "/activity" });
  expect(events[0].message).toBe("sign-in for locked@example.com is locked after repeated failed attempts");
});

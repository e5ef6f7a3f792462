-- Issue 21: aggregated audit rows carry how many events they stand for.
ALTER TABLE "AuditEvent" ADD COLUMN "count" INTEGER NOT NULL DEFAULT 1;

-- Issue 21: tokens stored without an owner (made before owners were enforced,
-- or whose owner was deleted) kept their full role. They are revoked, each
-- with an audit line; from now on a token without a live owner is refused.
INSERT INTO "AuditEvent" ("id", "actorType", "actorId", "actorLabel", "action", "target", "result", "message", "createdAt")
SELECT 'mig21' || lower(hex(randomblob(10))), 'system', NULL, 'migration', 'token.revoke', substr("name" || ' (' || "prefix" || '…)', 1, 200), 'ok',
       'revoked by the upgrade: a token without an owner is no longer accepted; create a new one as a user',
       strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')
FROM "ApiToken" WHERE "userId" IS NULL AND "revokedAt" IS NULL;
UPDATE "ApiToken" SET "revokedAt" = strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now') WHERE "userId" IS NULL AND "revokedAt" IS NULL;

-- AlterTable
ALTER TABLE "AuditEvent" ADD COLUMN     "count" INTEGER NOT NULL DEFAULT 1;

-- Issue 21: tokens stored without an owner are revoked, each with an audit line
-- (the PostgreSQL form of the SQLite migration's data step).
INSERT INTO "AuditEvent" ("id", "actorType", "actorId", "actorLabel", "action", "target", "result", "message", "createdAt")
SELECT 'mig21' || substr(md5(random()::text || "id"), 1, 20), 'system', NULL, 'migration', 'token.revoke', substr("name" || ' (' || "prefix" || '…)', 1, 200), 'ok',
       'revoked by the upgrade: a token without an owner is no longer accepted; create a new one as a user',
       now()
FROM "ApiToken" WHERE "userId" IS NULL AND "revokedAt" IS NULL;
UPDATE "ApiToken" SET "revokedAt" = now() WHERE "userId" IS NULL AND "revokedAt" IS NULL;

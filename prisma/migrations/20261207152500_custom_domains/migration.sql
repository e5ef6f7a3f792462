-- Custom domains on instances (issue 25). Written by hand: the WebAssembly
-- engine's migrations → schema diff fails here (lib/db/schema-drift.test.ts).

-- CreateTable
CREATE TABLE "CustomDomain" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "instanceId" TEXT NOT NULL,
    "domain" TEXT NOT NULL,
    "state" TEXT NOT NULL DEFAULT 'pending',
    "reason" TEXT,
    "token" TEXT NOT NULL,
    "routed" BOOLEAN NOT NULL DEFAULT false,
    "dnsManaged" BOOLEAN NOT NULL DEFAULT false,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "retryAt" DATETIME,
    "checkedAt" DATETIME,
    "misconfiguredSince" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "CustomDomain_instanceId_fkey" FOREIGN KEY ("instanceId") REFERENCES "Instance" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE UNIQUE INDEX "CustomDomain_domain_key" ON "CustomDomain"("domain");

-- CreateIndex
CREATE INDEX "CustomDomain_instanceId_domain_idx" ON "CustomDomain"("instanceId", "domain");

-- CreateIndex
CREATE INDEX "CustomDomain_state_checkedAt_idx" ON "CustomDomain"("state", "checkedAt");

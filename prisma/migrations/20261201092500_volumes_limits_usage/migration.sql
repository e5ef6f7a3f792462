-- Issue 14: mounts, limits, command/entrypoint, deploy strategy, usage samples.
-- Hand-written (additive only): scripts/new-migration.ts fails here on the shadow database, even with no schema change.
ALTER TABLE "Instance" ADD COLUMN "mounts" TEXT NOT NULL DEFAULT '[]';
ALTER TABLE "Instance" ADD COLUMN "memoryMb" INTEGER;
ALTER TABLE "Instance" ADD COLUMN "cpus" REAL;
ALTER TABLE "Instance" ADD COLUMN "pidsLimit" INTEGER;
ALTER TABLE "Instance" ADD COLUMN "command" TEXT;
ALTER TABLE "Instance" ADD COLUMN "entrypoint" TEXT;
ALTER TABLE "Instance" ADD COLUMN "deployStrategy" TEXT NOT NULL DEFAULT 'blue-green';
ALTER TABLE "Instance" ADD COLUMN "previousSpec" TEXT;

-- CreateTable
CREATE TABLE "UsageSample" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "instanceId" TEXT NOT NULL,
    "at" DATETIME NOT NULL,
    "resolution" INTEGER NOT NULL DEFAULT 15,
    "cpuPercent" REAL,
    "memoryBytes" REAL NOT NULL,
    "memoryLimitBytes" REAL NOT NULL,
    "netRx" REAL NOT NULL,
    "netTx" REAL NOT NULL,
    "blockRead" REAL NOT NULL,
    "blockWrite" REAL NOT NULL
);

-- CreateIndex
CREATE INDEX "UsageSample_instanceId_at_idx" ON "UsageSample"("instanceId", "at");

-- CreateIndex
CREATE INDEX "UsageSample_resolution_at_idx" ON "UsageSample"("resolution", "at");

-- AlterTable
ALTER TABLE "Instance" ADD COLUMN     "command" TEXT,
ADD COLUMN     "cpus" DOUBLE PRECISION,
ADD COLUMN     "deployStrategy" TEXT NOT NULL DEFAULT 'blue-green',
ADD COLUMN     "entrypoint" TEXT,
ADD COLUMN     "memoryMb" INTEGER,
ADD COLUMN     "mounts" TEXT NOT NULL DEFAULT '[]',
ADD COLUMN     "pidsLimit" INTEGER,
ADD COLUMN     "previousSpec" TEXT;

-- CreateTable
CREATE TABLE "UsageSample" (
    "id" SERIAL NOT NULL,
    "instanceId" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,
    "resolution" INTEGER NOT NULL DEFAULT 15,
    "cpuPercent" DOUBLE PRECISION,
    "memoryBytes" DOUBLE PRECISION NOT NULL,
    "memoryLimitBytes" DOUBLE PRECISION NOT NULL,
    "netRx" DOUBLE PRECISION NOT NULL,
    "netTx" DOUBLE PRECISION NOT NULL,
    "blockRead" DOUBLE PRECISION NOT NULL,
    "blockWrite" DOUBLE PRECISION NOT NULL,

    CONSTRAINT "UsageSample_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "UsageSample_resolution_at_idx" ON "UsageSample"("resolution", "at");

-- CreateIndex
CREATE INDEX "UsageSample_instanceId_at_idx" ON "UsageSample"("instanceId", "at");

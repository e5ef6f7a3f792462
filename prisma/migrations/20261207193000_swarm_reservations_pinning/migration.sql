-- AlterTable
ALTER TABLE "Instance" ADD COLUMN "reservationMemoryMb" INTEGER;
ALTER TABLE "Instance" ADD COLUMN "reservationCpus" REAL;
ALTER TABLE "Instance" ADD COLUMN "pinVolumes" BOOLEAN NOT NULL DEFAULT true;
ALTER TABLE "Instance" ADD COLUMN "pinnedNodeId" TEXT;

-- AlterTable
ALTER TABLE "Instance" ADD COLUMN     "pinVolumes" BOOLEAN NOT NULL DEFAULT true,
ADD COLUMN     "pinnedNodeId" TEXT,
ADD COLUMN     "reservationCpus" DOUBLE PRECISION,
ADD COLUMN     "reservationMemoryMb" INTEGER;

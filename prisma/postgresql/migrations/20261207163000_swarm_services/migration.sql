-- AlterTable
ALTER TABLE "Instance" ADD COLUMN     "placement" TEXT NOT NULL DEFAULT '[]',
ADD COLUMN     "replicas" INTEGER NOT NULL DEFAULT 1;

-- AlterTable
ALTER TABLE "Server" ADD COLUMN "bindRoot" TEXT;

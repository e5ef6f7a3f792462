-- AlterTable
ALTER TABLE "Server" ADD COLUMN     "swarmClusterId" TEXT,
ADD COLUMN     "swarmManagerIds" TEXT,
ADD COLUMN     "swarmNodeId" TEXT;

-- CreateTable
CREATE TABLE "UsageCoverage" (
    "instanceId" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,
    "tasksRead" INTEGER NOT NULL,
    "tasksTotal" INTEGER NOT NULL,
    "unreadNodes" TEXT NOT NULL DEFAULT '[]',

    CONSTRAINT "UsageCoverage_pkey" PRIMARY KEY ("instanceId")
);

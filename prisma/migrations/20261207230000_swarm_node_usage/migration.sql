-- AlterTable
ALTER TABLE "Server" ADD COLUMN "swarmClusterId" TEXT;
ALTER TABLE "Server" ADD COLUMN "swarmManagerIds" TEXT;
ALTER TABLE "Server" ADD COLUMN "swarmNodeId" TEXT;

-- CreateTable
CREATE TABLE "UsageCoverage" (
    "instanceId" TEXT NOT NULL PRIMARY KEY,
    "at" DATETIME NOT NULL,
    "tasksRead" INTEGER NOT NULL,
    "tasksTotal" INTEGER NOT NULL,
    "unreadNodes" TEXT NOT NULL DEFAULT '[]'
);

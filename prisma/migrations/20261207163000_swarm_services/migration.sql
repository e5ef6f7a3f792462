-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Instance" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "image" TEXT NOT NULL,
    "subdomain" TEXT NOT NULL,
    "port" INTEGER NOT NULL,
    "env" TEXT NOT NULL DEFAULT '[]',
    "healthPath" TEXT,
    "restartPolicy" TEXT NOT NULL DEFAULT 'unless-stopped',
    "status" TEXT NOT NULL DEFAULT 'created',
    "error" TEXT,
    "routeStatus" TEXT NOT NULL DEFAULT 'not_configured',
    "routeError" TEXT,
    "containerId" TEXT,
    "containerName" TEXT,
    "previousContainerId" TEXT,
    "previousContainerName" TEXT,
    "previousImage" TEXT,
    "digest" TEXT,
    "previousDigest" TEXT,
    "autoUpdate" BOOLEAN NOT NULL DEFAULT false,
    "updateAvailable" BOOLEAN NOT NULL DEFAULT false,
    "latestDigest" TEXT,
    "updateCheckedAt" DATETIME,
    "updateCheckError" TEXT,
    "tlsHttps" BOOLEAN NOT NULL DEFAULT true,
    "tlsRedirect" BOOLEAN NOT NULL DEFAULT true,
    "tlsHsts" BOOLEAN NOT NULL DEFAULT false,
    "certStatus" TEXT NOT NULL DEFAULT 'off',
    "certIssuer" TEXT,
    "certNotAfter" DATETIME,
    "certError" TEXT,
    "certAttempts" INTEGER NOT NULL DEFAULT 0,
    "certRetryAt" DATETIME,
    "certCheckedAt" DATETIME,
    "mounts" TEXT NOT NULL DEFAULT '[]',
    "memoryMb" INTEGER,
    "cpus" REAL,
    "pidsLimit" INTEGER,
    "command" TEXT,
    "entrypoint" TEXT,
    "deployStrategy" TEXT NOT NULL DEFAULT 'blue-green',
    "previousSpec" TEXT,
    "serverId" TEXT,
    "replicas" INTEGER NOT NULL DEFAULT 1,
    "placement" TEXT NOT NULL DEFAULT '[]',
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "Instance_serverId_fkey" FOREIGN KEY ("serverId") REFERENCES "Server" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);
INSERT INTO "new_Instance" ("autoUpdate", "certAttempts", "certCheckedAt", "certError", "certIssuer", "certNotAfter", "certRetryAt", "certStatus", "command", "containerId", "containerName", "cpus", "createdAt", "deployStrategy", "digest", "entrypoint", "env", "error", "healthPath", "id", "image", "latestDigest", "memoryMb", "mounts", "name", "pidsLimit", "port", "previousContainerId", "previousContainerName", "previousDigest", "previousImage", "previousSpec", "restartPolicy", "routeError", "routeStatus", "serverId", "status", "subdomain", "tlsHsts", "tlsHttps", "tlsRedirect", "updateAvailable", "updateCheckError", "updateCheckedAt", "updatedAt") SELECT "autoUpdate", "certAttempts", "certCheckedAt", "certError", "certIssuer", "certNotAfter", "certRetryAt", "certStatus", "command", "containerId", "containerName", "cpus", "createdAt", "deployStrategy", "digest", "entrypoint", "env", "error", "healthPath", "id", "image", "latestDigest", "memoryMb", "mounts", "name", "pidsLimit", "port", "previousContainerId", "previousContainerName", "previousDigest", "previousImage", "previousSpec", "restartPolicy", "routeError", "routeStatus", "serverId", "status", "subdomain", "tlsHsts", "tlsHttps", "tlsRedirect", "updateAvailable", "updateCheckError", "updateCheckedAt", "updatedAt" FROM "Instance";
DROP TABLE "Instance";
ALTER TABLE "new_Instance" RENAME TO "Instance";
CREATE UNIQUE INDEX "Instance_name_key" ON "Instance"("name");
CREATE UNIQUE INDEX "Instance_subdomain_key" ON "Instance"("subdomain");
CREATE INDEX "Instance_createdAt_id_idx" ON "Instance"("createdAt", "id");
CREATE INDEX "Instance_certStatus_certNotAfter_idx" ON "Instance"("certStatus", "certNotAfter");
CREATE INDEX "Instance_status_createdAt_id_idx" ON "Instance"("status", "createdAt", "id");
CREATE INDEX "Instance_image_id_idx" ON "Instance"("image", "id");
CREATE INDEX "Instance_serverId_idx" ON "Instance"("serverId");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

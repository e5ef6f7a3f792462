-- Issue 22: each deployment keeps the runtime spec it started (rollback to any
-- recorded deployment), and NPM certificate requests are recorded before they
-- are sent. Additive only.
ALTER TABLE "Deployment" ADD COLUMN "spec" TEXT;

-- CreateTable
CREATE TABLE "NpmCertificateIntent" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "routeId" TEXT NOT NULL,
    "domains" TEXT NOT NULL,
    "maxIdBefore" INTEGER NOT NULL,
    "liveHost" BOOLEAN NOT NULL DEFAULT false,
    "requestedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateIndex
CREATE INDEX "NpmCertificateIntent_routeId_idx" ON "NpmCertificateIntent"("routeId");

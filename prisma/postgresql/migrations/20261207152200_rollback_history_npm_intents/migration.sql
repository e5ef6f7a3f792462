-- AlterTable
ALTER TABLE "Deployment" ADD COLUMN     "spec" TEXT;

-- CreateTable
CREATE TABLE "NpmCertificateIntent" (
    "id" TEXT NOT NULL,
    "routeId" TEXT NOT NULL,
    "domains" TEXT NOT NULL,
    "maxIdBefore" INTEGER NOT NULL,
    "liveHost" BOOLEAN NOT NULL DEFAULT false,
    "requestedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "NpmCertificateIntent_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "NpmCertificateIntent_routeId_idx" ON "NpmCertificateIntent"("routeId");

-- Issue 15: deploy tokens, exact digests, pull progress, update detection.
-- Hand-written (additive only): scripts/new-migration.ts fails here on the shadow database, even with no schema change.
ALTER TABLE "ApiToken" ADD COLUMN "scope" TEXT;
ALTER TABLE "Instance" ADD COLUMN "digest" TEXT;
ALTER TABLE "Instance" ADD COLUMN "previousDigest" TEXT;
ALTER TABLE "Instance" ADD COLUMN "autoUpdate" BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE "Instance" ADD COLUMN "updateAvailable" BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE "Instance" ADD COLUMN "latestDigest" TEXT;
ALTER TABLE "Instance" ADD COLUMN "updateCheckedAt" DATETIME;
ALTER TABLE "Instance" ADD COLUMN "updateCheckError" TEXT;
ALTER TABLE "Deployment" ADD COLUMN "digest" TEXT;
ALTER TABLE "Deployment" ADD COLUMN "imageId" TEXT;
ALTER TABLE "DeploymentStep" ADD COLUMN "bytesDone" INTEGER;
ALTER TABLE "DeploymentStep" ADD COLUMN "bytesTotal" INTEGER;
ALTER TABLE "DeploymentStep" ADD COLUMN "layersDone" INTEGER;
ALTER TABLE "DeploymentStep" ADD COLUMN "layersTotal" INTEGER;

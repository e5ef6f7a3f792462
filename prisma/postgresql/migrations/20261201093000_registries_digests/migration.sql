-- AlterTable
ALTER TABLE "ApiToken" ADD COLUMN     "scope" TEXT;

-- AlterTable
ALTER TABLE "Deployment" ADD COLUMN     "digest" TEXT,
ADD COLUMN     "imageId" TEXT;

-- AlterTable
ALTER TABLE "DeploymentStep" ADD COLUMN     "bytesDone" INTEGER,
ADD COLUMN     "bytesTotal" INTEGER,
ADD COLUMN     "layersDone" INTEGER,
ADD COLUMN     "layersTotal" INTEGER;

-- AlterTable
ALTER TABLE "Instance" ADD COLUMN     "autoUpdate" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "digest" TEXT,
ADD COLUMN     "latestDigest" TEXT,
ADD COLUMN     "previousDigest" TEXT,
ADD COLUMN     "updateAvailable" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "updateCheckError" TEXT,
ADD COLUMN     "updateCheckedAt" TIMESTAMP(3);

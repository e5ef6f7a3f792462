-- AlterTable
ALTER TABLE "Instance" ADD COLUMN     "certAttempts" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "certCheckedAt" TIMESTAMP(3),
ADD COLUMN     "certError" TEXT,
ADD COLUMN     "certIssuer" TEXT,
ADD COLUMN     "certNotAfter" TIMESTAMP(3),
ADD COLUMN     "certRetryAt" TIMESTAMP(3),
ADD COLUMN     "certStatus" TEXT NOT NULL DEFAULT 'off',
ADD COLUMN     "tlsHsts" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "tlsHttps" BOOLEAN NOT NULL DEFAULT true,
ADD COLUMN     "tlsRedirect" BOOLEAN NOT NULL DEFAULT true;

-- AlterTable
ALTER TABLE "StandaloneProxy" ADD COLUMN     "certAttempts" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "certCheckedAt" TIMESTAMP(3),
ADD COLUMN     "certError" TEXT,
ADD COLUMN     "certIssuer" TEXT,
ADD COLUMN     "certNotAfter" TIMESTAMP(3),
ADD COLUMN     "certRetryAt" TIMESTAMP(3),
ADD COLUMN     "certStatus" TEXT NOT NULL DEFAULT 'off',
ADD COLUMN     "tlsHsts" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "tlsHttps" BOOLEAN NOT NULL DEFAULT true,
ADD COLUMN     "tlsRedirect" BOOLEAN NOT NULL DEFAULT true;

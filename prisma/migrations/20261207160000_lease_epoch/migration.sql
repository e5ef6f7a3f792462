-- Issue 26: the lease's fencing epoch, raised by every acquisition.
ALTER TABLE "Lease" ADD COLUMN "epoch" INTEGER NOT NULL DEFAULT 0;

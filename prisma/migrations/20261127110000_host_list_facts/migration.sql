-- AlterTable
ALTER TABLE "Host" ADD COLUMN     "drifted" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "heldRevision" INTEGER;

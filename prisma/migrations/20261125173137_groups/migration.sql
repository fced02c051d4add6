-- AlterTable
ALTER TABLE "HostConfig" ADD COLUMN     "effective" JSONB;

-- CreateTable
CREATE TABLE "Group" (
    "name" TEXT NOT NULL,
    "document" JSONB NOT NULL,
    "revision" INTEGER NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Group_pkey" PRIMARY KEY ("name")
);

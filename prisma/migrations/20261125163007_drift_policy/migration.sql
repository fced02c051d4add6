-- AlterTable
ALTER TABLE "Host" ADD COLUMN     "driftPolicy" TEXT NOT NULL DEFAULT 'report';

-- AlterTable
ALTER TABLE "Rollout" ADD COLUMN     "overwriteDrift" BOOLEAN NOT NULL DEFAULT false;

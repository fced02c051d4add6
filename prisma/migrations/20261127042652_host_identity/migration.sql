-- AlterTable
ALTER TABLE "Host" ADD COLUMN     "pendingSecretHash" TEXT,
ADD COLUMN     "revokedAt" TIMESTAMP(3);

-- CreateIndex
CREATE UNIQUE INDEX "Host_pendingSecretHash_key" ON "Host"("pendingSecretHash");

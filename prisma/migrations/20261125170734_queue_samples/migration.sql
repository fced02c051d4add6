-- CreateTable
CREATE TABLE "QueueSample" (
    "hostId" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,
    "messages" INTEGER NOT NULL,
    "unprocessed" INTEGER NOT NULL,
    "local" INTEGER NOT NULL,
    "remote" INTEGER NOT NULL,
    "bytes" DOUBLE PRECISION NOT NULL,
    "oldestAgeSec" DOUBLE PRECISION,

    CONSTRAINT "QueueSample_pkey" PRIMARY KEY ("hostId","at")
);

-- CreateIndex
CREATE INDEX "QueueSample_at_idx" ON "QueueSample"("at");

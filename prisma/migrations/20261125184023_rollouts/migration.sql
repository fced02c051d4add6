-- CreateTable
CREATE TABLE "Rollout" (
    "id" TEXT NOT NULL,
    "kind" TEXT NOT NULL DEFAULT 'change',
    "parentId" TEXT,
    "status" TEXT NOT NULL,
    "reason" TEXT,
    "createdBy" TEXT NOT NULL,
    "target" JSONB NOT NULL,
    "change" JSONB NOT NULL,
    "batchSize" INTEGER NOT NULL,
    "maxFailures" INTEGER NOT NULL,
    "batchTimeoutSec" INTEGER NOT NULL,
    "health" JSONB,
    "batch" INTEGER NOT NULL DEFAULT 0,
    "gatePassed" INTEGER NOT NULL DEFAULT -1,
    "runner" TEXT,
    "leaseUntil" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "Rollout_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RolloutHost" (
    "rolloutId" TEXT NOT NULL,
    "hostId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "batch" INTEGER NOT NULL,
    "position" INTEGER NOT NULL,
    "state" TEXT NOT NULL DEFAULT 'pending',
    "previousRevision" INTEGER,
    "revision" INTEGER,
    "restoreRevision" INTEGER,
    "expectRevision" INTEGER,
    "queueBefore" INTEGER,
    "oldestBefore" DOUBLE PRECISION,
    "error" TEXT,
    "sentAt" TIMESTAMP(3),
    "doneAt" TIMESTAMP(3),

    CONSTRAINT "RolloutHost_pkey" PRIMARY KEY ("rolloutId","hostId")
);

-- CreateIndex
CREATE INDEX "Rollout_status_idx" ON "Rollout"("status");

-- CreateIndex
CREATE INDEX "RolloutHost_hostId_state_idx" ON "RolloutHost"("hostId", "state");

-- AddForeignKey
ALTER TABLE "RolloutHost" ADD CONSTRAINT "RolloutHost_rolloutId_fkey" FOREIGN KEY ("rolloutId") REFERENCES "Rollout"("id") ON DELETE CASCADE ON UPDATE CASCADE;

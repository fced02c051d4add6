-- CreateTable
CREATE TABLE "MailboxSample" (
    "hostId" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,
    "mailboxes" INTEGER NOT NULL,
    "messages" INTEGER NOT NULL,
    "bytes" DOUBLE PRECISION NOT NULL,
    "unread" INTEGER NOT NULL,
    "withQuota" INTEGER NOT NULL,
    "skipped" INTEGER NOT NULL,
    "scanMs" DOUBLE PRECISION NOT NULL,

    CONSTRAINT "MailboxSample_pkey" PRIMARY KEY ("hostId","at")
);

-- CreateIndex
CREATE INDEX "MailboxSample_at_idx" ON "MailboxSample"("at");

-- Host rows are rewritten several times per rollout (revision bump, ack, report), none of them
-- in an indexed column. With room left on each page PostgreSQL updates them in place (HOT),
-- without a new entry in each of the table's five unique indexes. Pages filled from now on keep
-- 30% free, and existing pages get it as they are rewritten (VACUUM FULL rewrites them all).
ALTER TABLE "Host" SET (fillfactor = 70);

-- PostgreSQL's migration 14 moves a business's message wakeup once per transaction
-- instead of once per queued message. SQLite needs no change: the outbox already wakes
-- once per insert there. This file keeps both ledgers at the same version.
SELECT 1;

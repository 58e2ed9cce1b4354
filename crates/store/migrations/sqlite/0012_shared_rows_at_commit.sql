-- PostgreSQL's migration 12 updates rows that many transactions of a business share (the
-- audit head, the message wakeup, a staff member's busy_version) at commit, so that its
-- concurrent writers no longer queue behind their row locks. SQLite needs no change: its
-- one writing connection runs one transaction at a time. This file keeps both ledgers at
-- the same version.
SELECT 1;

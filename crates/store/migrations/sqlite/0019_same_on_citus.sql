-- PostgreSQL's migration 19 makes the message wakeup and the audit chain behave the same
-- on Citus. SQLite has one writer, no advisory locks and no distribution: it needs no
-- change. This file keeps both ledgers at the same version.
SELECT 1;

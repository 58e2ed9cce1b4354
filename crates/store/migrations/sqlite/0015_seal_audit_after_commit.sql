-- PostgreSQL's migration 15 seals the audit chain just after commit instead of at it.
-- SQLite needs no change: its one writer chains each event as it is inserted. This file
-- keeps both ledgers at the same version.
SELECT 1;

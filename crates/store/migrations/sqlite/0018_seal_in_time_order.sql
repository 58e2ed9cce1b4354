-- PostgreSQL's migration 18 seals its waiting audit events oldest first. SQLite needs no
-- change: its one writer chains each event as it is inserted. This file keeps both
-- ledgers at the same version.
SELECT 1;

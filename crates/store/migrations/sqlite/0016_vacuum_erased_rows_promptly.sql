-- PostgreSQL's migration 16 has autovacuum remove erased rows' old versions promptly.
-- SQLite needs no change: `secure_delete` zeroes erased cells, and the store empties the
-- write-ahead log after an erasure and when it closes. This file keeps both ledgers at
-- the same version.
SELECT 1;

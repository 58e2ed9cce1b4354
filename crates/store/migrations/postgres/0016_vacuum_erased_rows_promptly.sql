-- An erasure deletes or rewrites a person's rows, but PostgreSQL keeps the old row
-- versions, and their index entries (a customer's email and phone are search terms), in
-- the table's files until a vacuum removes them; by default autovacuum waits for a fifth
-- of a table to be dead, which at 100,000 customers can be months. The tables an erasure
-- touches are vacuumed by autovacuum as soon as they hold any dead row, with their
-- indexes cleaned every time. The runtime role owns no table and so cannot vacuum itself
-- (docs/operations.md, "What an erasure leaves behind").
ALTER TABLE customers SET (autovacuum_vacuum_threshold = 0, autovacuum_vacuum_scale_factor = 0, vacuum_index_cleanup = on);
ALTER TABLE customer_search_terms SET (autovacuum_vacuum_threshold = 0, autovacuum_vacuum_scale_factor = 0, vacuum_index_cleanup = on);
ALTER TABLE customer_tags SET (autovacuum_vacuum_threshold = 0, autovacuum_vacuum_scale_factor = 0, vacuum_index_cleanup = on);
ALTER TABLE customer_notes SET (autovacuum_vacuum_threshold = 0, autovacuum_vacuum_scale_factor = 0, vacuum_index_cleanup = on);
ALTER TABLE customer_consents SET (autovacuum_vacuum_threshold = 0, autovacuum_vacuum_scale_factor = 0, vacuum_index_cleanup = on);
ALTER TABLE customer_field_values SET (autovacuum_vacuum_threshold = 0, autovacuum_vacuum_scale_factor = 0, vacuum_index_cleanup = on);
ALTER TABLE privacy_requests SET (autovacuum_vacuum_threshold = 0, autovacuum_vacuum_scale_factor = 0, vacuum_index_cleanup = on);
ALTER TABLE keystore.subject_keys SET (autovacuum_vacuum_threshold = 0, autovacuum_vacuum_scale_factor = 0, vacuum_index_cleanup = on);

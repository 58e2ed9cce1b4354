-- An audit event may now be appended in one statement, by a process that knows the head:
-- the trigger advances the head only when the event follows it (the next sequence number,
-- chained to the head's hash) or when the head was already advanced for it in the same
-- transaction (the two-statement append, which PostgreSQL always uses), and otherwise
-- refuses the insert, so a stale idea of the head can never fork or break the chain.
CREATE OR REPLACE FUNCTION audit_events_advance_head() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE audit_heads SET seq = NEW.seq, hash = NEW.hash
    WHERE tenant_id = NEW.tenant_id AND (seq = NEW.seq OR (seq = NEW.seq - 1 AND hash = NEW.prev_hash));
    IF NOT FOUND THEN
        RAISE EXCEPTION 'steward: audit head moved' USING ERRCODE = '40001';
    END IF;
    RETURN NULL;
END
$$;

-- The events are keyed by (tenant_id, seq), the order every read uses, and no longer
-- indexed by their id, which nothing looks up (as on SQLite).
ALTER TABLE audit_events DROP CONSTRAINT audit_events_pkey;
ALTER TABLE audit_events DROP CONSTRAINT audit_events_tenant_id_seq_key;
ALTER TABLE audit_events ADD PRIMARY KEY (tenant_id, seq);

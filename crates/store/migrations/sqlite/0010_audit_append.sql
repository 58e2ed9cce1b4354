-- An audit event may now be appended in one statement, by a process that knows the head:
-- the trigger advances the head only when the event follows it (the next sequence number,
-- chained to the head's hash) or when the head was already advanced for it in the same
-- transaction (the two-statement append), and otherwise aborts the insert, so a stale
-- idea of the head can never fork or break the chain.
--
-- The events are also keyed by (tenant_id, seq), the order every read uses, in a table
-- without a separate rowid, and no longer indexed by their id, which nothing looks up:
-- an event is written into three B-trees instead of five.
CREATE TABLE audit_events_by_seq (
    tenant_id BLOB NOT NULL REFERENCES tenants (id),
    seq INTEGER NOT NULL,
    id BLOB NOT NULL,
    at INTEGER NOT NULL,
    actor_type TEXT NOT NULL CHECK (actor_type IN ('member', 'api_token', 'system', 'support')),
    actor_id BLOB,
    action TEXT NOT NULL,
    target_type TEXT,
    target_id TEXT,
    details TEXT NOT NULL,
    request_id TEXT,
    ip TEXT,
    user_agent TEXT,
    prev_hash BLOB NOT NULL,
    hash BLOB NOT NULL,
    PRIMARY KEY (tenant_id, seq)
) STRICT, WITHOUT ROWID;

INSERT INTO audit_events_by_seq (tenant_id, seq, id, at, actor_type, actor_id, action, target_type, target_id,
                                 details, request_id, ip, user_agent, prev_hash, hash)
    SELECT tenant_id, seq, id, at, actor_type, actor_id, action, target_type, target_id,
           details, request_id, ip, user_agent, prev_hash, hash
    FROM audit_events;

DROP TABLE audit_events;
ALTER TABLE audit_events_by_seq RENAME TO audit_events;
CREATE INDEX audit_events_by_action ON audit_events (tenant_id, action, seq);
CREATE INDEX audit_events_by_time ON audit_events (tenant_id, at);
CREATE INDEX audit_events_logins ON audit_events (tenant_id, actor_id) WHERE action = 'member.login';

CREATE TRIGGER audit_events_advance_head AFTER INSERT ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'steward: audit head moved')
    WHERE NOT EXISTS (
        SELECT 1 FROM audit_heads
        WHERE tenant_id = NEW.tenant_id AND (seq = NEW.seq OR (seq = NEW.seq - 1 AND hash = NEW.prev_hash))
    );
    UPDATE audit_heads SET seq = NEW.seq, hash = NEW.hash WHERE tenant_id = NEW.tenant_id;
END;

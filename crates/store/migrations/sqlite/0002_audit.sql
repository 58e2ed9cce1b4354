-- The audit log (SEC-3): one hash chain per tenant. audit_heads holds each tenant's
-- latest sequence number and hash, and its row lock is what serialises appends.

CREATE TABLE audit_heads (
    tenant_id BLOB NOT NULL PRIMARY KEY REFERENCES tenants (id),
    seq INTEGER NOT NULL,
    hash BLOB NOT NULL
) STRICT;

CREATE TABLE audit_events (
    tenant_id BLOB NOT NULL REFERENCES tenants (id),
    id BLOB NOT NULL,
    seq INTEGER NOT NULL,
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
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, seq)
) STRICT;

CREATE INDEX audit_events_by_action ON audit_events (tenant_id, action, seq);

INSERT INTO audit_heads (tenant_id, seq, hash) SELECT id, 0, zeroblob(32) FROM tenants;

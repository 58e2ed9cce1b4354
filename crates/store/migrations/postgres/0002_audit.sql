-- The audit log (SEC-3): one hash chain per tenant. audit_heads holds each tenant's
-- latest sequence number and hash, and its row lock is what serialises appends.

CREATE TABLE audit_heads (
    tenant_id UUID NOT NULL PRIMARY KEY REFERENCES tenants (id),
    seq BIGINT NOT NULL,
    hash BYTEA NOT NULL
);

CREATE TABLE audit_events (
    tenant_id UUID NOT NULL REFERENCES tenants (id),
    id UUID NOT NULL,
    seq BIGINT NOT NULL,
    at BIGINT NOT NULL,
    actor_type TEXT NOT NULL CHECK (actor_type IN ('member', 'api_token', 'system', 'support')),
    actor_id UUID,
    action TEXT NOT NULL,
    target_type TEXT,
    target_id TEXT,
    details TEXT NOT NULL,
    request_id TEXT,
    ip TEXT,
    user_agent TEXT,
    prev_hash BYTEA NOT NULL,
    hash BYTEA NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, seq)
);

CREATE INDEX audit_events_by_action ON audit_events (tenant_id, action, seq);

INSERT INTO audit_heads (tenant_id, seq, hash) SELECT id, 0, decode(repeat('00', 32), 'hex') FROM tenants;

DO $$
DECLARE
    tenant_table TEXT;
BEGIN
    FOREACH tenant_table IN ARRAY ARRAY['audit_heads', 'audit_events']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', tenant_table);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', tenant_table);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %I FOR ALL USING (tenant_id = NULLIF(current_setting(''app.tenant_id'', true), '''')::uuid) WITH CHECK (tenant_id = NULLIF(current_setting(''app.tenant_id'', true), '''')::uuid)',
            tenant_table);
    END LOOP;
END
$$;

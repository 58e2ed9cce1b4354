-- Retention, tenant lifecycle, legal holds and egress records.
--
-- A tenant's lifecycle dates live on its row, so the operator and the owner see the same
-- history and the row outlives the purge of everything else the tenant had.
ALTER TABLE tenants ADD COLUMN cancelled_at BIGINT;
ALTER TABLE tenants ADD COLUMN terminates_at BIGINT;
ALTER TABLE tenants ADD COLUMN terminated_at BIGINT;
ALTER TABLE tenants ADD COLUMN purge_at BIGINT;
ALTER TABLE tenants ADD COLUMN purged_at BIGINT;
ALTER TABLE tenants ADD COLUMN purge_finished_at BIGINT;
ALTER TABLE tenants ADD COLUMN lifecycle_reason TEXT;

-- How long each data class is kept, when the tenant chose something other than the default.
CREATE TABLE retention_rules (
    tenant_id UUID NOT NULL REFERENCES tenants (id),
    data_class TEXT NOT NULL,
    keep_days BIGINT CHECK (keep_days IS NULL OR keep_days > 0),
    updated_by UUID,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, data_class)
);

-- A legal hold stops the sweep and purges from deleting what it covers: the whole tenant,
-- one customer, or one data class. Lifted holds are kept as the record of the hold.
CREATE TABLE legal_holds (
    tenant_id UUID NOT NULL REFERENCES tenants (id),
    id UUID NOT NULL,
    scope TEXT NOT NULL CHECK (scope IN ('tenant', 'customer', 'class')),
    customer_id UUID,
    data_class TEXT,
    reason TEXT NOT NULL,
    set_by TEXT NOT NULL,
    set_at BIGINT NOT NULL,
    lifted_by TEXT,
    lifted_at BIGINT,
    lift_reason TEXT,
    PRIMARY KEY (tenant_id, id),
    CHECK ((scope = 'customer') = (customer_id IS NOT NULL)),
    CHECK ((scope = 'class') = (data_class IS NOT NULL))
);

CREATE INDEX legal_holds_active ON legal_holds (tenant_id, lifted_at);

-- What each retention sweep did for a tenant, by data class and count.
CREATE TABLE retention_runs (
    tenant_id UUID NOT NULL REFERENCES tenants (id),
    id UUID NOT NULL,
    started_at BIGINT NOT NULL,
    finished_at BIGINT NOT NULL,
    as_of BIGINT NOT NULL,
    dry_run BOOLEAN NOT NULL,
    started_by TEXT NOT NULL,
    report TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

CREATE INDEX retention_runs_by_time ON retention_runs (tenant_id, started_at);

-- Every outbound call that carried personal data, or was refused: to whom, why, which fields.
CREATE TABLE egress_records (
    tenant_id UUID NOT NULL REFERENCES tenants (id),
    id UUID NOT NULL,
    at BIGINT NOT NULL,
    processor TEXT NOT NULL,
    purpose TEXT NOT NULL,
    fields TEXT NOT NULL,
    host TEXT NOT NULL,
    outcome TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

CREATE INDEX egress_records_by_time ON egress_records (tenant_id, at);

-- When old audit events are removed under a retention rule, the last removed event's
-- sequence number and hash remain here, signed, so the rest of the chain still verifies
-- and removing more than the rule allowed is still detected.
CREATE TABLE audit_checkpoints (
    tenant_id UUID NOT NULL REFERENCES tenants (id),
    seq BIGINT NOT NULL,
    hash BYTEA NOT NULL,
    removed BIGINT NOT NULL,
    at BIGINT NOT NULL,
    signature BYTEA NOT NULL,
    PRIMARY KEY (tenant_id, seq)
);

-- The sweep removes expired sessions and one-time tokens by their expiry.
CREATE INDEX sessions_by_expiry ON sessions (tenant_id, expires_at);
CREATE INDEX member_tokens_by_expiry ON member_tokens (tenant_id, expires_at);
CREATE INDEX audit_events_by_time ON audit_events (tenant_id, at);

ALTER TABLE retention_rules ENABLE ROW LEVEL SECURITY;
ALTER TABLE retention_rules FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON retention_rules FOR ALL
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

ALTER TABLE legal_holds ENABLE ROW LEVEL SECURITY;
ALTER TABLE legal_holds FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON legal_holds FOR ALL
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

ALTER TABLE retention_runs ENABLE ROW LEVEL SECURITY;
ALTER TABLE retention_runs FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON retention_runs FOR ALL
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

ALTER TABLE egress_records ENABLE ROW LEVEL SECURITY;
ALTER TABLE egress_records FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON egress_records FOR ALL
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

ALTER TABLE audit_checkpoints ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_checkpoints FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_checkpoints FOR ALL
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

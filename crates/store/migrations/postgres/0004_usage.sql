-- Usage: which features each tenant's members use, and which pages they view, for daily
-- counts that plan limits and the tenant's own reports read.
CREATE TABLE usage_events (
    tenant_id UUID NOT NULL REFERENCES tenants (id),
    id UUID NOT NULL,
    at BIGINT NOT NULL,
    member_id UUID,
    feature TEXT NOT NULL,
    ip TEXT,
    browser TEXT,
    os TEXT,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, member_id) REFERENCES members (tenant_id, id)
);

CREATE INDEX usage_events_by_time ON usage_events (tenant_id, at);

ALTER TABLE usage_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE usage_events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON usage_events FOR ALL
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

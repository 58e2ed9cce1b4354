-- Usage: which features each tenant's members use, and which pages they view, for daily
-- counts that plan limits and the tenant's own reports read.
CREATE TABLE usage_events (
    tenant_id BLOB NOT NULL REFERENCES tenants (id),
    id BLOB NOT NULL,
    at INTEGER NOT NULL,
    member_id BLOB,
    feature TEXT NOT NULL,
    ip TEXT,
    browser TEXT,
    os TEXT,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, member_id) REFERENCES members (tenant_id, id)
) STRICT;

CREATE INDEX usage_events_by_time ON usage_events (tenant_id, at);

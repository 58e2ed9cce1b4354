-- People's requests about their data (DSR-1, DSR-2): access, correction and erasure, with
-- the one-time code that proves who asks, the due date, and what was done.
CREATE TABLE privacy_requests (
    tenant_id UUID NOT NULL REFERENCES tenants (id),
    id UUID NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('access', 'correction', 'erasure')),
    status TEXT NOT NULL CHECK (status IN ('unverified', 'open', 'done', 'rejected', 'expired')),
    source TEXT NOT NULL CHECK (source IN ('privacy_page', 'counter', 'platform')),
    customer_id UUID,
    message TEXT,
    code_hash BYTEA,
    code_expires_at BIGINT,
    attempts BIGINT NOT NULL DEFAULT 0,
    jurisdiction TEXT NOT NULL,
    due_at BIGINT,
    created_at BIGINT NOT NULL,
    verified_at BIGINT,
    closed_at BIGINT,
    reminded_at BIGINT,
    closed_by UUID,
    report TEXT,
    PRIMARY KEY (tenant_id, id)
);

CREATE INDEX privacy_requests_inbox ON privacy_requests (tenant_id, status, due_at);
CREATE INDEX privacy_requests_by_customer ON privacy_requests (tenant_id, customer_id);

-- Where a business answers privacy requests from (GDPR, DPDP, CCPA), deciding due dates.
ALTER TABLE tenants ADD COLUMN privacy_jurisdiction TEXT NOT NULL DEFAULT 'dpdp';

ALTER TABLE privacy_requests ENABLE ROW LEVEL SECURITY;
ALTER TABLE privacy_requests FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON privacy_requests FOR ALL
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

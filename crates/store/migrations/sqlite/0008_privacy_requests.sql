-- People's requests about their data (DSR-1, DSR-2): access, correction and erasure, with
-- the one-time code that proves who asks, the due date, and what was done.
CREATE TABLE privacy_requests (
    tenant_id BLOB NOT NULL REFERENCES tenants (id),
    id BLOB NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('access', 'correction', 'erasure')),
    status TEXT NOT NULL CHECK (status IN ('unverified', 'open', 'done', 'rejected', 'expired')),
    source TEXT NOT NULL CHECK (source IN ('privacy_page', 'counter', 'platform')),
    customer_id BLOB,
    message TEXT,
    code_hash BLOB,
    code_expires_at INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0,
    jurisdiction TEXT NOT NULL,
    due_at INTEGER,
    created_at INTEGER NOT NULL,
    verified_at INTEGER,
    closed_at INTEGER,
    reminded_at INTEGER,
    closed_by BLOB,
    report TEXT,
    PRIMARY KEY (tenant_id, id)
) STRICT;

CREATE INDEX privacy_requests_inbox ON privacy_requests (tenant_id, status, due_at);
CREATE INDEX privacy_requests_by_customer ON privacy_requests (tenant_id, customer_id);

-- Where a business answers privacy requests from (GDPR, DPDP, CCPA), deciding due dates.
ALTER TABLE tenants ADD COLUMN privacy_jurisdiction TEXT NOT NULL DEFAULT 'dpdp';

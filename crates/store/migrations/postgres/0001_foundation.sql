-- Steward foundation schema, PostgreSQL. Ids are UUIDs; instants are BIGINT
-- microseconds since the Unix epoch (UTC). Every tenant table has a
-- (tenant_id, id) primary key, unique keys that start with tenant_id, and composite
-- foreign keys, so no row can point into another tenant.

CREATE TABLE tenants (
    id UUID NOT NULL PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    country TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    gstin TEXT,
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'cancelled', 'terminated', 'purged')),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE policy_versions (
    version TEXT NOT NULL PRIMARY KEY,
    published_on TEXT NOT NULL,
    summary TEXT NOT NULL
);

CREATE TABLE roles (
    tenant_id UUID NOT NULL REFERENCES tenants (id),
    id UUID NOT NULL,
    name TEXT NOT NULL,
    permissions TEXT NOT NULL,
    builtin BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, name)
);

CREATE TABLE members (
    tenant_id UUID NOT NULL REFERENCES tenants (id),
    id UUID NOT NULL,
    email TEXT NOT NULL,
    name TEXT NOT NULL,
    phone TEXT,
    role_id UUID NOT NULL,
    password_hash TEXT,
    email_verified_at BIGINT,
    failed_login_count BIGINT NOT NULL DEFAULT 0,
    last_failed_login_at BIGINT,
    lockout_count BIGINT NOT NULL DEFAULT 0,
    locked_until BIGINT,
    last_login_at BIGINT,
    removed_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, email),
    FOREIGN KEY (tenant_id, role_id) REFERENCES roles (tenant_id, id)
);

CREATE TABLE sessions (
    tenant_id UUID NOT NULL REFERENCES tenants (id),
    id UUID NOT NULL,
    member_id UUID NOT NULL,
    token_hash BYTEA NOT NULL,
    csrf_token TEXT NOT NULL,
    ip TEXT,
    user_agent TEXT,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, token_hash),
    FOREIGN KEY (tenant_id, member_id) REFERENCES members (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE api_tokens (
    tenant_id UUID NOT NULL REFERENCES tenants (id),
    id UUID NOT NULL,
    member_id UUID NOT NULL,
    name TEXT NOT NULL,
    token_hint TEXT NOT NULL,
    token_hash BYTEA NOT NULL,
    scopes TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT,
    last_used_at BIGINT,
    revoked_at BIGINT,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, token_hash),
    FOREIGN KEY (tenant_id, member_id) REFERENCES members (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE invitations (
    tenant_id UUID NOT NULL REFERENCES tenants (id),
    id UUID NOT NULL,
    email TEXT NOT NULL,
    role_id UUID NOT NULL,
    invited_by UUID NOT NULL,
    token_hash BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    accepted_at BIGINT,
    revoked_at BIGINT,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, token_hash),
    FOREIGN KEY (tenant_id, role_id) REFERENCES roles (tenant_id, id),
    FOREIGN KEY (tenant_id, invited_by) REFERENCES members (tenant_id, id)
);

CREATE TABLE member_tokens (
    tenant_id UUID NOT NULL REFERENCES tenants (id),
    id UUID NOT NULL,
    member_id UUID NOT NULL,
    purpose TEXT NOT NULL CHECK (purpose IN ('verify_email', 'reset_password')),
    token_hash BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, token_hash),
    FOREIGN KEY (tenant_id, member_id) REFERENCES members (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE policy_acceptances (
    tenant_id UUID NOT NULL REFERENCES tenants (id),
    id UUID NOT NULL,
    member_id UUID NOT NULL,
    policy_version TEXT NOT NULL REFERENCES policy_versions (version),
    accepted_at BIGINT NOT NULL,
    ip TEXT,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, member_id) REFERENCES members (tenant_id, id)
);

CREATE INDEX sessions_by_member ON sessions (tenant_id, member_id);
CREATE INDEX api_tokens_by_member ON api_tokens (tenant_id, member_id);
CREATE INDEX members_by_role ON members (tenant_id, role_id);

-- Row-level security: every table with tenant_id is forced (it applies to the table owner
-- too) and has exactly one policy that admits only the tenant named by SET LOCAL
-- app.tenant_id. With no tenant set, NULLIF turns '' into NULL and no row matches.
DO $$
DECLARE
    tenant_table TEXT;
BEGIN
    FOREACH tenant_table IN ARRAY ARRAY['roles', 'members', 'sessions', 'api_tokens', 'invitations', 'member_tokens', 'policy_acceptances']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', tenant_table);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', tenant_table);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %I FOR ALL USING (tenant_id = NULLIF(current_setting(''app.tenant_id'', true), '''')::uuid) WITH CHECK (tenant_id = NULLIF(current_setting(''app.tenant_id'', true), '''')::uuid)',
            tenant_table);
    END LOOP;
END
$$;

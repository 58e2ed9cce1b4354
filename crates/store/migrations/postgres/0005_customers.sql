-- Customers: the people a tenant serves, their notes, consents, tags, the tenant's own
-- fields, and the search terms that make search-as-you-type an index range scan.
-- Sensitive values (sensitive custom fields, private notes) are stored only sealed.
-- The key store is a schema of its own (`keystore`), with row-level security like every
-- tenant table; operators may move it to a database of its own.

CREATE TABLE customers (
    tenant_id UUID NOT NULL REFERENCES tenants (id),
    id UUID NOT NULL,
    name TEXT NOT NULL,
    name_key TEXT COLLATE "C" NOT NULL,
    phone TEXT,
    email TEXT,
    address TEXT,
    date_of_birth TEXT,
    source TEXT NOT NULL,
    preferred_channel TEXT CHECK (preferred_channel IN ('sms', 'whatsapp', 'email')),
    last_visit_at BIGINT,
    created_by UUID,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, created_by) REFERENCES members (tenant_id, id)
);

CREATE INDEX customers_by_name ON customers (tenant_id, name_key, id);
CREATE INDEX customers_by_last_visit ON customers (tenant_id, COALESCE(last_visit_at, 0), id);
CREATE INDEX customers_by_phone ON customers (tenant_id, phone);
CREATE INDEX customers_by_email ON customers (tenant_id, email);

CREATE TABLE customer_search_terms (
    tenant_id UUID NOT NULL,
    term TEXT COLLATE "C" NOT NULL,
    customer_id UUID NOT NULL,
    PRIMARY KEY (tenant_id, term, customer_id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE
);

CREATE INDEX customer_search_terms_by_customer ON customer_search_terms (tenant_id, customer_id);

CREATE TABLE customer_tags (
    tenant_id UUID NOT NULL,
    customer_id UUID NOT NULL,
    tag TEXT NOT NULL,
    PRIMARY KEY (tenant_id, customer_id, tag),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE
);

CREATE INDEX customer_tags_by_tag ON customer_tags (tenant_id, tag);

CREATE TABLE customer_notes (
    tenant_id UUID NOT NULL,
    id UUID NOT NULL,
    customer_id UUID NOT NULL,
    author_id UUID,
    private BOOLEAN NOT NULL,
    body TEXT,
    body_sealed BYTEA,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, author_id) REFERENCES members (tenant_id, id),
    CHECK ((private AND body IS NULL AND body_sealed IS NOT NULL) OR (NOT private AND body IS NOT NULL AND body_sealed IS NULL))
);

CREATE INDEX customer_notes_by_customer ON customer_notes (tenant_id, customer_id, created_at);

CREATE TABLE customer_consents (
    tenant_id UUID NOT NULL,
    id UUID NOT NULL,
    customer_id UUID NOT NULL,
    channel TEXT NOT NULL CHECK (channel IN ('sms', 'whatsapp', 'email')),
    purpose TEXT NOT NULL CHECK (purpose IN ('reminders', 'marketing')),
    granted BOOLEAN NOT NULL,
    source TEXT NOT NULL,
    recorded_by UUID,
    recorded_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, recorded_by) REFERENCES members (tenant_id, id)
);

CREATE INDEX customer_consents_by_customer ON customer_consents (tenant_id, customer_id, channel, purpose, recorded_at);

CREATE TABLE custom_fields (
    tenant_id UUID NOT NULL REFERENCES tenants (id),
    id UUID NOT NULL,
    label TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('text', 'number', 'date', 'select', 'multi_select', 'yes_no')),
    data_class TEXT NOT NULL CHECK (data_class IN ('personal', 'sensitive')),
    options TEXT NOT NULL,
    position BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, label)
);

CREATE TABLE customer_field_values (
    tenant_id UUID NOT NULL,
    customer_id UUID NOT NULL,
    field_id UUID NOT NULL,
    value TEXT,
    value_sealed BYTEA,
    updated_by UUID,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, customer_id, field_id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, field_id) REFERENCES custom_fields (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, updated_by) REFERENCES members (tenant_id, id),
    CHECK ((value IS NULL) <> (value_sealed IS NULL))
);

CREATE INDEX customer_field_values_by_value ON customer_field_values (tenant_id, field_id, value);

CREATE SCHEMA keystore;

CREATE TABLE keystore.tenant_keys (
    tenant_id UUID NOT NULL PRIMARY KEY REFERENCES tenants (id),
    key_version BIGINT NOT NULL,
    wrapped BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE keystore.subject_keys (
    tenant_id UUID NOT NULL,
    subject_id UUID NOT NULL,
    key_version BIGINT NOT NULL,
    wrapped BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, subject_id)
);


ALTER TABLE customers ENABLE ROW LEVEL SECURITY;
ALTER TABLE customers FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON customers FOR ALL
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

ALTER TABLE customer_search_terms ENABLE ROW LEVEL SECURITY;
ALTER TABLE customer_search_terms FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON customer_search_terms FOR ALL
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

ALTER TABLE customer_tags ENABLE ROW LEVEL SECURITY;
ALTER TABLE customer_tags FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON customer_tags FOR ALL
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

ALTER TABLE customer_notes ENABLE ROW LEVEL SECURITY;
ALTER TABLE customer_notes FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON customer_notes FOR ALL
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

ALTER TABLE customer_consents ENABLE ROW LEVEL SECURITY;
ALTER TABLE customer_consents FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON customer_consents FOR ALL
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

ALTER TABLE custom_fields ENABLE ROW LEVEL SECURITY;
ALTER TABLE custom_fields FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON custom_fields FOR ALL
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

ALTER TABLE customer_field_values ENABLE ROW LEVEL SECURITY;
ALTER TABLE customer_field_values FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON customer_field_values FOR ALL
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

ALTER TABLE keystore.tenant_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE keystore.tenant_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON keystore.tenant_keys FOR ALL
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

ALTER TABLE keystore.subject_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE keystore.subject_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON keystore.subject_keys FOR ALL
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

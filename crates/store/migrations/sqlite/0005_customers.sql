-- Customers: the people a tenant serves, their notes, consents, tags, the tenant's own
-- fields, and the search terms that make search-as-you-type an index range scan.
-- Sensitive values (sensitive custom fields, private notes) are stored only sealed.
-- The key store lives in its own file, attached to every connection as `keystore`, so a
-- copy of the data file never carries the keys that open it.

CREATE TABLE customers (
    tenant_id BLOB NOT NULL REFERENCES tenants (id),
    id BLOB NOT NULL,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    phone TEXT,
    email TEXT,
    address TEXT,
    date_of_birth TEXT,
    source TEXT NOT NULL,
    preferred_channel TEXT CHECK (preferred_channel IN ('sms', 'whatsapp', 'email')),
    last_visit_at INTEGER,
    created_by BLOB,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, created_by) REFERENCES members (tenant_id, id)
) STRICT;

CREATE INDEX customers_by_name ON customers (tenant_id, name_key, id);
CREATE INDEX customers_by_last_visit ON customers (tenant_id, COALESCE(last_visit_at, 0), id);
CREATE INDEX customers_by_phone ON customers (tenant_id, phone);
CREATE INDEX customers_by_email ON customers (tenant_id, email);

CREATE TABLE customer_search_terms (
    tenant_id BLOB NOT NULL,
    term TEXT NOT NULL,
    customer_id BLOB NOT NULL,
    PRIMARY KEY (tenant_id, term, customer_id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

CREATE INDEX customer_search_terms_by_customer ON customer_search_terms (tenant_id, customer_id);

CREATE TABLE customer_tags (
    tenant_id BLOB NOT NULL,
    customer_id BLOB NOT NULL,
    tag TEXT NOT NULL,
    PRIMARY KEY (tenant_id, customer_id, tag),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE
) STRICT;

CREATE INDEX customer_tags_by_tag ON customer_tags (tenant_id, tag);

CREATE TABLE customer_notes (
    tenant_id BLOB NOT NULL,
    id BLOB NOT NULL,
    customer_id BLOB NOT NULL,
    author_id BLOB,
    private INTEGER NOT NULL,
    body TEXT,
    body_sealed BLOB,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, author_id) REFERENCES members (tenant_id, id),
    CHECK ((private = 1 AND body IS NULL AND body_sealed IS NOT NULL) OR (private = 0 AND body IS NOT NULL AND body_sealed IS NULL))
) STRICT;

CREATE INDEX customer_notes_by_customer ON customer_notes (tenant_id, customer_id, created_at);

CREATE TABLE customer_consents (
    tenant_id BLOB NOT NULL,
    id BLOB NOT NULL,
    customer_id BLOB NOT NULL,
    channel TEXT NOT NULL CHECK (channel IN ('sms', 'whatsapp', 'email')),
    purpose TEXT NOT NULL CHECK (purpose IN ('reminders', 'marketing')),
    granted INTEGER NOT NULL,
    source TEXT NOT NULL,
    recorded_by BLOB,
    recorded_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, recorded_by) REFERENCES members (tenant_id, id)
) STRICT;

CREATE INDEX customer_consents_by_customer ON customer_consents (tenant_id, customer_id, channel, purpose, recorded_at);

CREATE TABLE custom_fields (
    tenant_id BLOB NOT NULL REFERENCES tenants (id),
    id BLOB NOT NULL,
    label TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('text', 'number', 'date', 'select', 'multi_select', 'yes_no')),
    data_class TEXT NOT NULL CHECK (data_class IN ('personal', 'sensitive')),
    options TEXT NOT NULL,
    position INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, label)
) STRICT;

CREATE TABLE customer_field_values (
    tenant_id BLOB NOT NULL,
    customer_id BLOB NOT NULL,
    field_id BLOB NOT NULL,
    value TEXT,
    value_sealed BLOB,
    updated_by BLOB,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, customer_id, field_id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, field_id) REFERENCES custom_fields (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, updated_by) REFERENCES members (tenant_id, id),
    CHECK ((value IS NULL) <> (value_sealed IS NULL))
) STRICT;

CREATE INDEX customer_field_values_by_value ON customer_field_values (tenant_id, field_id, value);

CREATE TABLE keystore.tenant_keys (
    tenant_id BLOB NOT NULL PRIMARY KEY,
    key_version INTEGER NOT NULL,
    wrapped BLOB NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE keystore.subject_keys (
    tenant_id BLOB NOT NULL,
    subject_id BLOB NOT NULL,
    key_version INTEGER NOT NULL,
    wrapped BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, subject_id)
) STRICT;

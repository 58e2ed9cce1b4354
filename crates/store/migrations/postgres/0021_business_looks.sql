-- How a business's public pages look: its colour, the phone customers call or message,
-- its logo and cover photo (bytes checked by Steward before they are stored).
CREATE TABLE business_looks (
    tenant_id UUID NOT NULL PRIMARY KEY,
    -- '#rrggbb', readable with white text on it.
    accent TEXT,
    -- E.164, for tap-to-call and WhatsApp links on the booking page.
    phone TEXT,
    logo_type TEXT CHECK (logo_type IN ('image/png', 'image/jpeg', 'image/webp')),
    logo BYTEA,
    cover_type TEXT CHECK (cover_type IN ('image/png', 'image/jpeg', 'image/webp')),
    cover BYTEA,
    updated_at BIGINT NOT NULL,
    CHECK ((logo IS NULL) = (logo_type IS NULL)),
    CHECK ((cover IS NULL) = (cover_type IS NULL))
);
SELECT steward_place_tenant_table('business_looks');
ALTER TABLE business_looks ADD FOREIGN KEY (tenant_id) REFERENCES tenants (id);

ALTER TABLE business_looks ENABLE ROW LEVEL SECURITY;
ALTER TABLE business_looks FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON business_looks FOR ALL
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

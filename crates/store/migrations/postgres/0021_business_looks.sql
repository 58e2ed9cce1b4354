-- How a business's public pages look: its colour, the phone customers call or message,
-- its logo and cover photo (bytes checked by Steward before they are stored).

-- A new tenant table is placed beside the others only where they are distributed already.
-- In a database being made, on Citus, every migration runs before anything is
-- distributed, and the distribution that follows places every tenant table, this one too.
CREATE OR REPLACE FUNCTION steward_place_tenant_table(tenant_table REGCLASS) RETURNS VOID LANGUAGE plpgsql AS $$
BEGIN
    -- Nested: without Citus there is no pg_dist_partition to name.
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN
        IF EXISTS (SELECT 1 FROM pg_dist_partition WHERE logicalrelid = 'roles'::regclass) THEN
            SET LOCAL citus.enable_unsafe_triggers = on;
            EXECUTE format('SELECT create_distributed_table(%L, %L, colocate_with => %L)',
                           tenant_table::text, 'tenant_id', 'roles');
        END IF;
    END IF;
END
$$;

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

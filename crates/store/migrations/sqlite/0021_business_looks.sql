-- How a business's public pages look: its colour, the phone customers call or message,
-- its logo and cover photo (bytes checked by Steward before they are stored).
CREATE TABLE business_looks (
    tenant_id BLOB NOT NULL PRIMARY KEY REFERENCES tenants (id),
    -- '#rrggbb', readable with white text on it.
    accent TEXT,
    -- E.164, for tap-to-call and WhatsApp links on the booking page.
    phone TEXT,
    logo_type TEXT CHECK (logo_type IN ('image/png', 'image/jpeg', 'image/webp')),
    logo BLOB,
    cover_type TEXT CHECK (cover_type IN ('image/png', 'image/jpeg', 'image/webp')),
    cover BLOB,
    updated_at INTEGER NOT NULL,
    CHECK ((logo IS NULL) = (logo_type IS NULL)),
    CHECK ((cover IS NULL) = (cover_type IS NULL))
) STRICT;

-- Booking: locations, services, staff with their hours, overrides and time off,
-- appointments, and slots held while someone fills in the public booking form.
-- Instants are microseconds since the Unix epoch; working hours are minutes of the day in
-- the location's time zone.
--
-- No double booking is enforced here, not only in code: an exclusion constraint refuses
-- an appointment whose buffered time overlaps another active one of the same staff
-- member (SQLite does the same with triggers). btree_gist is a trusted extension, so the
-- database owner that runs migrations may create it.

CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE locations (
    tenant_id UUID NOT NULL REFERENCES tenants (id),
    id UUID NOT NULL,
    name TEXT NOT NULL,
    address TEXT,
    time_zone TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, name)
);

CREATE TABLE services (
    tenant_id UUID NOT NULL REFERENCES tenants (id),
    id UUID NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    duration_minutes BIGINT NOT NULL CHECK (duration_minutes BETWEEN 5 AND 1440),
    buffer_before_minutes BIGINT NOT NULL CHECK (buffer_before_minutes BETWEEN 0 AND 240),
    buffer_after_minutes BIGINT NOT NULL CHECK (buffer_after_minutes BETWEEN 0 AND 240),
    slot_interval_minutes BIGINT NOT NULL CHECK (slot_interval_minutes BETWEEN 5 AND 1440),
    min_notice_minutes BIGINT NOT NULL CHECK (min_notice_minutes >= 0),
    horizon_days BIGINT NOT NULL CHECK (horizon_days BETWEEN 1 AND 730),
    price_paise BIGINT NOT NULL CHECK (price_paise >= 0),
    gst_rate_bp BIGINT NOT NULL,
    sac_code TEXT,
    active BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, name)
);

CREATE TABLE service_locations (
    tenant_id UUID NOT NULL,
    service_id UUID NOT NULL,
    location_id UUID NOT NULL,
    PRIMARY KEY (tenant_id, service_id, location_id),
    FOREIGN KEY (tenant_id, service_id) REFERENCES services (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, location_id) REFERENCES locations (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE staff (
    tenant_id UUID NOT NULL REFERENCES tenants (id),
    id UUID NOT NULL,
    name TEXT NOT NULL,
    member_id UUID,
    active BOOLEAN NOT NULL,
    feed_token_hash BYTEA,
    busy_version BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, feed_token_hash),
    FOREIGN KEY (tenant_id, member_id) REFERENCES members (tenant_id, id)
);

CREATE TABLE staff_services (
    tenant_id UUID NOT NULL,
    staff_id UUID NOT NULL,
    service_id UUID NOT NULL,
    PRIMARY KEY (tenant_id, staff_id, service_id),
    FOREIGN KEY (tenant_id, staff_id) REFERENCES staff (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, service_id) REFERENCES services (tenant_id, id) ON DELETE CASCADE
);

CREATE INDEX staff_services_by_service ON staff_services (tenant_id, service_id);

CREATE TABLE staff_hours (
    tenant_id UUID NOT NULL,
    staff_id UUID NOT NULL,
    weekday BIGINT NOT NULL CHECK (weekday BETWEEN 1 AND 7),
    start_minute BIGINT NOT NULL CHECK (start_minute BETWEEN 0 AND 1439),
    end_minute BIGINT NOT NULL CHECK (end_minute BETWEEN 1 AND 1440),
    location_id UUID NOT NULL,
    PRIMARY KEY (tenant_id, staff_id, weekday, start_minute),
    FOREIGN KEY (tenant_id, staff_id) REFERENCES staff (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, location_id) REFERENCES locations (tenant_id, id) ON DELETE CASCADE,
    CHECK (end_minute > start_minute)
);

CREATE TABLE staff_overrides (
    tenant_id UUID NOT NULL,
    staff_id UUID NOT NULL,
    on_date TEXT NOT NULL,
    position BIGINT NOT NULL,
    location_id UUID,
    start_minute BIGINT,
    end_minute BIGINT,
    PRIMARY KEY (tenant_id, staff_id, on_date, position),
    FOREIGN KEY (tenant_id, staff_id) REFERENCES staff (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, location_id) REFERENCES locations (tenant_id, id) ON DELETE CASCADE,
    CHECK ((location_id IS NULL AND start_minute IS NULL AND end_minute IS NULL)
        OR (location_id IS NOT NULL AND start_minute BETWEEN 0 AND 1439 AND end_minute BETWEEN 1 AND 1440 AND end_minute > start_minute))
);

CREATE TABLE staff_time_off (
    tenant_id UUID NOT NULL,
    id UUID NOT NULL,
    staff_id UUID NOT NULL,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    reason TEXT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, staff_id) REFERENCES staff (tenant_id, id) ON DELETE CASCADE,
    CHECK (ends_at > starts_at)
);

CREATE INDEX staff_time_off_by_staff ON staff_time_off (tenant_id, staff_id, ends_at);

CREATE TABLE appointments (
    tenant_id UUID NOT NULL REFERENCES tenants (id),
    id UUID NOT NULL,
    customer_id UUID NOT NULL,
    service_id UUID NOT NULL,
    staff_id UUID NOT NULL,
    location_id UUID NOT NULL,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    blocked_from BIGINT NOT NULL,
    blocked_until BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('booked', 'confirmed', 'arrived', 'completed', 'no_show', 'cancelled')),
    price_paise BIGINT NOT NULL,
    gst_rate_bp BIGINT NOT NULL,
    notes TEXT,
    series_id UUID,
    cancel_reason TEXT,
    booked_via TEXT NOT NULL CHECK (booked_via IN ('staff', 'online', 'api')),
    created_by UUID,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, service_id) REFERENCES services (tenant_id, id),
    FOREIGN KEY (tenant_id, staff_id) REFERENCES staff (tenant_id, id),
    FOREIGN KEY (tenant_id, location_id) REFERENCES locations (tenant_id, id),
    FOREIGN KEY (tenant_id, created_by) REFERENCES members (tenant_id, id),
    CHECK (ends_at > starts_at AND blocked_from <= starts_at AND blocked_until >= ends_at
        AND blocked_until - blocked_from <= 115200000000),
    CONSTRAINT appointments_never_overlap EXCLUDE USING gist (
        tenant_id WITH =, staff_id WITH =, int8range(blocked_from, blocked_until) WITH &&
    ) WHERE (status <> 'cancelled')
);

CREATE INDEX appointments_by_staff ON appointments (tenant_id, staff_id, blocked_from, blocked_until, status);
CREATE INDEX appointments_by_time ON appointments (tenant_id, blocked_from, blocked_until, staff_id, status);
CREATE INDEX appointments_by_customer ON appointments (tenant_id, customer_id, starts_at);
CREATE INDEX appointments_by_series ON appointments (tenant_id, series_id) WHERE series_id IS NOT NULL;

-- Every change to a staff member's appointments raises their busy_version (availability's
-- cache of busy time is valid while it stays the same), including deletions that cascade
-- from a deleted customer. The function runs as the caller, under row-level security.
CREATE FUNCTION appointments_raise_busy_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE staff SET busy_version = busy_version + 1 WHERE tenant_id = OLD.tenant_id AND id = OLD.staff_id;
    END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.staff_id <> OLD.staff_id) THEN
        UPDATE staff SET busy_version = busy_version + 1 WHERE tenant_id = NEW.tenant_id AND id = NEW.staff_id;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER appointments_raise_busy_version
    AFTER INSERT OR DELETE OR UPDATE OF staff_id, blocked_from, blocked_until, status ON appointments
    FOR EACH ROW EXECUTE FUNCTION appointments_raise_busy_version();

CREATE TABLE slot_holds (
    tenant_id UUID NOT NULL REFERENCES tenants (id),
    id UUID NOT NULL,
    service_id UUID NOT NULL,
    staff_id UUID NOT NULL,
    location_id UUID NOT NULL,
    starts_at BIGINT NOT NULL,
    blocked_from BIGINT NOT NULL,
    blocked_until BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    appointment_id UUID,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, service_id) REFERENCES services (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, staff_id) REFERENCES staff (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, location_id) REFERENCES locations (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, appointment_id) REFERENCES appointments (tenant_id, id) ON DELETE CASCADE
);

CREATE INDEX slot_holds_by_staff ON slot_holds (tenant_id, staff_id, blocked_from);
CREATE INDEX slot_holds_by_expiry ON slot_holds (tenant_id, expires_at);

ALTER TABLE locations ENABLE ROW LEVEL SECURITY;
ALTER TABLE locations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON locations FOR ALL
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

ALTER TABLE services ENABLE ROW LEVEL SECURITY;
ALTER TABLE services FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON services FOR ALL
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

ALTER TABLE service_locations ENABLE ROW LEVEL SECURITY;
ALTER TABLE service_locations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON service_locations FOR ALL
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

ALTER TABLE staff ENABLE ROW LEVEL SECURITY;
ALTER TABLE staff FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON staff FOR ALL
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

ALTER TABLE staff_services ENABLE ROW LEVEL SECURITY;
ALTER TABLE staff_services FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON staff_services FOR ALL
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

ALTER TABLE staff_hours ENABLE ROW LEVEL SECURITY;
ALTER TABLE staff_hours FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON staff_hours FOR ALL
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

ALTER TABLE staff_overrides ENABLE ROW LEVEL SECURITY;
ALTER TABLE staff_overrides FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON staff_overrides FOR ALL
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

ALTER TABLE staff_time_off ENABLE ROW LEVEL SECURITY;
ALTER TABLE staff_time_off FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON staff_time_off FOR ALL
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

ALTER TABLE appointments ENABLE ROW LEVEL SECURITY;
ALTER TABLE appointments FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON appointments FOR ALL
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

ALTER TABLE slot_holds ENABLE ROW LEVEL SECURITY;
ALTER TABLE slot_holds FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON slot_holds FOR ALL
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

-- Booking: locations, services, staff with their hours, overrides and time off,
-- appointments, and slots held while someone fills in the public booking form.
-- Instants are microseconds since the Unix epoch; working hours are minutes of the day in
-- the location's time zone.
--
-- No double booking is enforced here, not only in code: the triggers refuse an
-- appointment whose buffered time overlaps another active one of the same staff member
-- (PostgreSQL does the same with an exclusion constraint). A buffered appointment is at
-- most 32 hours long, which bounds the index range each check reads.

CREATE TABLE locations (
    tenant_id BLOB NOT NULL REFERENCES tenants (id),
    id BLOB NOT NULL,
    name TEXT NOT NULL,
    address TEXT,
    time_zone TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, name)
) STRICT;

CREATE TABLE services (
    tenant_id BLOB NOT NULL REFERENCES tenants (id),
    id BLOB NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    duration_minutes INTEGER NOT NULL CHECK (duration_minutes BETWEEN 5 AND 1440),
    buffer_before_minutes INTEGER NOT NULL CHECK (buffer_before_minutes BETWEEN 0 AND 240),
    buffer_after_minutes INTEGER NOT NULL CHECK (buffer_after_minutes BETWEEN 0 AND 240),
    slot_interval_minutes INTEGER NOT NULL CHECK (slot_interval_minutes BETWEEN 5 AND 1440),
    min_notice_minutes INTEGER NOT NULL CHECK (min_notice_minutes >= 0),
    horizon_days INTEGER NOT NULL CHECK (horizon_days BETWEEN 1 AND 730),
    price_paise INTEGER NOT NULL CHECK (price_paise >= 0),
    gst_rate_bp INTEGER NOT NULL,
    sac_code TEXT,
    active INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, name)
) STRICT;

CREATE TABLE service_locations (
    tenant_id BLOB NOT NULL,
    service_id BLOB NOT NULL,
    location_id BLOB NOT NULL,
    PRIMARY KEY (tenant_id, service_id, location_id),
    FOREIGN KEY (tenant_id, service_id) REFERENCES services (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, location_id) REFERENCES locations (tenant_id, id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

CREATE TABLE staff (
    tenant_id BLOB NOT NULL REFERENCES tenants (id),
    id BLOB NOT NULL,
    name TEXT NOT NULL,
    member_id BLOB,
    active INTEGER NOT NULL,
    feed_token_hash BLOB,
    busy_version INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, feed_token_hash),
    FOREIGN KEY (tenant_id, member_id) REFERENCES members (tenant_id, id)
) STRICT;

CREATE TABLE staff_services (
    tenant_id BLOB NOT NULL,
    staff_id BLOB NOT NULL,
    service_id BLOB NOT NULL,
    PRIMARY KEY (tenant_id, staff_id, service_id),
    FOREIGN KEY (tenant_id, staff_id) REFERENCES staff (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, service_id) REFERENCES services (tenant_id, id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

CREATE INDEX staff_services_by_service ON staff_services (tenant_id, service_id);

CREATE TABLE staff_hours (
    tenant_id BLOB NOT NULL,
    staff_id BLOB NOT NULL,
    weekday INTEGER NOT NULL CHECK (weekday BETWEEN 1 AND 7),
    start_minute INTEGER NOT NULL CHECK (start_minute BETWEEN 0 AND 1439),
    end_minute INTEGER NOT NULL CHECK (end_minute BETWEEN 1 AND 1440),
    location_id BLOB NOT NULL,
    PRIMARY KEY (tenant_id, staff_id, weekday, start_minute),
    FOREIGN KEY (tenant_id, staff_id) REFERENCES staff (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, location_id) REFERENCES locations (tenant_id, id) ON DELETE CASCADE,
    CHECK (end_minute > start_minute)
) STRICT, WITHOUT ROWID;

CREATE TABLE staff_overrides (
    tenant_id BLOB NOT NULL,
    staff_id BLOB NOT NULL,
    on_date TEXT NOT NULL,
    position INTEGER NOT NULL,
    location_id BLOB,
    start_minute INTEGER,
    end_minute INTEGER,
    PRIMARY KEY (tenant_id, staff_id, on_date, position),
    FOREIGN KEY (tenant_id, staff_id) REFERENCES staff (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, location_id) REFERENCES locations (tenant_id, id) ON DELETE CASCADE,
    CHECK ((location_id IS NULL AND start_minute IS NULL AND end_minute IS NULL)
        OR (location_id IS NOT NULL AND start_minute BETWEEN 0 AND 1439 AND end_minute BETWEEN 1 AND 1440 AND end_minute > start_minute))
) STRICT, WITHOUT ROWID;

CREATE TABLE staff_time_off (
    tenant_id BLOB NOT NULL,
    id BLOB NOT NULL,
    staff_id BLOB NOT NULL,
    starts_at INTEGER NOT NULL,
    ends_at INTEGER NOT NULL,
    reason TEXT,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, staff_id) REFERENCES staff (tenant_id, id) ON DELETE CASCADE,
    CHECK (ends_at > starts_at)
) STRICT;

CREATE INDEX staff_time_off_by_staff ON staff_time_off (tenant_id, staff_id, ends_at);

CREATE TABLE appointments (
    tenant_id BLOB NOT NULL REFERENCES tenants (id),
    id BLOB NOT NULL,
    customer_id BLOB NOT NULL,
    service_id BLOB NOT NULL,
    staff_id BLOB NOT NULL,
    location_id BLOB NOT NULL,
    starts_at INTEGER NOT NULL,
    ends_at INTEGER NOT NULL,
    blocked_from INTEGER NOT NULL,
    blocked_until INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('booked', 'confirmed', 'arrived', 'completed', 'no_show', 'cancelled')),
    price_paise INTEGER NOT NULL,
    gst_rate_bp INTEGER NOT NULL,
    notes TEXT,
    series_id BLOB,
    cancel_reason TEXT,
    booked_via TEXT NOT NULL CHECK (booked_via IN ('staff', 'online', 'api')),
    created_by BLOB,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, service_id) REFERENCES services (tenant_id, id),
    FOREIGN KEY (tenant_id, staff_id) REFERENCES staff (tenant_id, id),
    FOREIGN KEY (tenant_id, location_id) REFERENCES locations (tenant_id, id),
    FOREIGN KEY (tenant_id, created_by) REFERENCES members (tenant_id, id),
    CHECK (ends_at > starts_at AND blocked_from <= starts_at AND blocked_until >= ends_at
        AND blocked_until - blocked_from <= 115200000000)
) STRICT;

CREATE INDEX appointments_by_staff ON appointments (tenant_id, staff_id, blocked_from, blocked_until, status);
CREATE INDEX appointments_by_time ON appointments (tenant_id, blocked_from, blocked_until, staff_id, status);
CREATE INDEX appointments_by_customer ON appointments (tenant_id, customer_id, starts_at);
CREATE INDEX appointments_by_series ON appointments (tenant_id, series_id) WHERE series_id IS NOT NULL;

CREATE TRIGGER appointments_never_overlap_on_insert BEFORE INSERT ON appointments
WHEN NEW.status <> 'cancelled' AND EXISTS (
    SELECT 1 FROM appointments a
    WHERE a.tenant_id = NEW.tenant_id AND a.staff_id = NEW.staff_id
      AND a.blocked_from > NEW.blocked_from - 115200000000 AND a.blocked_from < NEW.blocked_until
      AND a.blocked_until > NEW.blocked_from AND a.status <> 'cancelled'
)
BEGIN
    SELECT RAISE(ABORT, 'appointment_overlap: the staff member is already booked at this time');
END;

CREATE TRIGGER appointments_never_overlap_on_update BEFORE UPDATE OF staff_id, blocked_from, blocked_until, status ON appointments
WHEN NEW.status <> 'cancelled' AND EXISTS (
    SELECT 1 FROM appointments a
    WHERE a.tenant_id = NEW.tenant_id AND a.staff_id = NEW.staff_id AND a.id <> NEW.id
      AND a.blocked_from > NEW.blocked_from - 115200000000 AND a.blocked_from < NEW.blocked_until
      AND a.blocked_until > NEW.blocked_from AND a.status <> 'cancelled'
)
BEGIN
    SELECT RAISE(ABORT, 'appointment_overlap: the staff member is already booked at this time');
END;

-- Every change to a staff member's appointments raises their busy_version (availability's
-- cache of busy time is valid while it stays the same), including deletions that cascade
-- from a deleted customer.
CREATE TRIGGER appointments_raise_busy_version_on_insert AFTER INSERT ON appointments
BEGIN
    UPDATE staff SET busy_version = busy_version + 1 WHERE tenant_id = NEW.tenant_id AND id = NEW.staff_id;
END;

CREATE TRIGGER appointments_raise_busy_version_on_update AFTER UPDATE OF staff_id, blocked_from, blocked_until, status ON appointments
BEGIN
    UPDATE staff SET busy_version = busy_version + 1
    WHERE tenant_id = NEW.tenant_id AND (id = NEW.staff_id OR id = OLD.staff_id);
END;

CREATE TRIGGER appointments_raise_busy_version_on_delete AFTER DELETE ON appointments
BEGIN
    UPDATE staff SET busy_version = busy_version + 1 WHERE tenant_id = OLD.tenant_id AND id = OLD.staff_id;
END;

CREATE TABLE slot_holds (
    tenant_id BLOB NOT NULL REFERENCES tenants (id),
    id BLOB NOT NULL,
    service_id BLOB NOT NULL,
    staff_id BLOB NOT NULL,
    location_id BLOB NOT NULL,
    starts_at INTEGER NOT NULL,
    blocked_from INTEGER NOT NULL,
    blocked_until INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    appointment_id BLOB,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, service_id) REFERENCES services (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, staff_id) REFERENCES staff (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, location_id) REFERENCES locations (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, appointment_id) REFERENCES appointments (tenant_id, id) ON DELETE CASCADE
) STRICT;

CREATE INDEX slot_holds_by_staff ON slot_holds (tenant_id, staff_id, blocked_from);
CREATE INDEX slot_holds_by_expiry ON slot_holds (tenant_id, expires_at);

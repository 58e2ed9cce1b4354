-- Messages to customers (MSG-1): how each business reminds and notifies, over which
-- channels with which accounts, in which words; and the outbox the worker sends from.

-- A business's reminder rules and notices. One row per tenant, made on first save.
CREATE TABLE messaging_settings (
    tenant_id BLOB NOT NULL PRIMARY KEY REFERENCES tenants (id),
    -- Minutes before the appointment, comma-separated, e.g. '1440,120'.
    reminder_minutes TEXT NOT NULL,
    -- Channels in the order they are tried, e.g. 'whatsapp,sms,email'.
    channel_order TEXT NOT NULL,
    -- Minutes after midnight in the business's time zone; equal values mean no quiet hours.
    quiet_from INTEGER NOT NULL,
    quiet_until INTEGER NOT NULL,
    -- Service ids (comma-separated) reminders are sent for; empty means every service.
    services TEXT NOT NULL,
    send_confirmation INTEGER NOT NULL,
    send_changes INTEGER NOT NULL,
    follow_up_minutes INTEGER,
    language TEXT NOT NULL,
    updated_by BLOB,
    updated_at INTEGER NOT NULL
) STRICT;

-- A business's own provider accounts. Secrets are sealed with the tenant key.
CREATE TABLE messaging_channels (
    tenant_id BLOB NOT NULL REFERENCES tenants (id),
    channel TEXT NOT NULL CHECK (channel IN ('sms', 'whatsapp')),
    account TEXT NOT NULL,
    sender TEXT NOT NULL,
    secret_sealed BLOB NOT NULL,
    secret_hint TEXT NOT NULL,
    callback_secret_sealed BLOB,
    verify_token TEXT NOT NULL,
    updated_by BLOB,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, channel)
) STRICT;

-- The words of each kind of message per language; WhatsApp sends the approved template
-- named here with the same fields in the same order.
CREATE TABLE message_templates (
    tenant_id BLOB NOT NULL REFERENCES tenants (id),
    kind TEXT NOT NULL CHECK (kind IN ('reminder', 'confirmation', 'rescheduled', 'cancelled', 'follow_up')),
    language TEXT NOT NULL,
    body TEXT NOT NULL,
    whatsapp_template TEXT NOT NULL,
    updated_by BLOB,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, kind, language)
) STRICT;

-- The outbox: written in the same transaction as the booking change that causes it. The
-- idempotency key (appointment, rule, channel) is unique, so a message is never queued
-- twice, and it goes to the provider so a resend after a crash is recognised there.
-- Neither the address nor the text is kept: both are made from the customer's record at
-- sending time, so an erased or changed customer is never messaged from a stale copy.
CREATE TABLE messages (
    tenant_id BLOB NOT NULL REFERENCES tenants (id),
    id BLOB NOT NULL,
    customer_id BLOB NOT NULL,
    appointment_id BLOB,
    kind TEXT NOT NULL,
    rule TEXT NOT NULL,
    channel TEXT,
    language TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'delivered', 'read', 'failed', 'withdrawn', 'skipped')),
    attempts INTEGER NOT NULL DEFAULT 0,
    due_at INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    claimed_until INTEGER,
    provider_id TEXT,
    error TEXT,
    created_at INTEGER NOT NULL,
    sent_at INTEGER,
    delivered_at INTEGER,
    read_at INTEGER,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, idempotency_key)
) STRICT;

CREATE INDEX messages_due ON messages (tenant_id, status, next_attempt_at);
CREATE INDEX messages_by_customer ON messages (tenant_id, customer_id, created_at);
CREATE INDEX messages_by_appointment ON messages (tenant_id, appointment_id);
CREATE INDEX messages_by_provider_id ON messages (tenant_id, provider_id);

-- When each tenant next has a message due: the one place the worker looks across tenants,
-- holding no more than a tenant id and a time.
CREATE TABLE message_wakeups (
    tenant_id BLOB NOT NULL PRIMARY KEY REFERENCES tenants (id),
    due_at INTEGER NOT NULL
) STRICT;

CREATE INDEX message_wakeups_due ON message_wakeups (due_at);

-- A member's earlier sign-ins, for the new-device alert (MSG-2); only login events pay for it.
CREATE INDEX audit_events_logins ON audit_events (tenant_id, actor_id) WHERE action = 'member.login';

-- Messages to customers (MSG-1): how each business reminds and notifies, over which
-- channels with which accounts, in which words; and the outbox the worker sends from.

-- A business's reminder rules and notices. One row per tenant, made on first save.
CREATE TABLE messaging_settings (
    tenant_id UUID NOT NULL PRIMARY KEY REFERENCES tenants (id),
    -- Minutes before the appointment, comma-separated, e.g. '1440,120'.
    reminder_minutes TEXT NOT NULL,
    -- Channels in the order they are tried, e.g. 'whatsapp,sms,email'.
    channel_order TEXT NOT NULL,
    -- Minutes after midnight in the business's time zone; equal values mean no quiet hours.
    quiet_from BIGINT NOT NULL,
    quiet_until BIGINT NOT NULL,
    -- Service ids (comma-separated) reminders are sent for; empty means every service.
    services TEXT NOT NULL,
    send_confirmation BOOLEAN NOT NULL,
    send_changes BOOLEAN NOT NULL,
    follow_up_minutes BIGINT,
    language TEXT NOT NULL,
    updated_by UUID,
    updated_at BIGINT NOT NULL
);

-- A business's own provider accounts. Secrets are sealed with the tenant key.
CREATE TABLE messaging_channels (
    tenant_id UUID NOT NULL REFERENCES tenants (id),
    channel TEXT NOT NULL CHECK (channel IN ('sms', 'whatsapp')),
    account TEXT NOT NULL,
    sender TEXT NOT NULL,
    secret_sealed BYTEA NOT NULL,
    secret_hint TEXT NOT NULL,
    callback_secret_sealed BYTEA,
    verify_token TEXT NOT NULL,
    updated_by UUID,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, channel)
);

-- The words of each kind of message per language; WhatsApp sends the approved template
-- named here with the same fields in the same order.
CREATE TABLE message_templates (
    tenant_id UUID NOT NULL REFERENCES tenants (id),
    kind TEXT NOT NULL CHECK (kind IN ('reminder', 'confirmation', 'rescheduled', 'cancelled', 'follow_up')),
    language TEXT NOT NULL,
    body TEXT NOT NULL,
    whatsapp_template TEXT NOT NULL,
    updated_by UUID,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, kind, language)
);

-- The outbox: written in the same transaction as the booking change that causes it. The
-- idempotency key (appointment, rule, channel) is unique, so a message is never queued
-- twice, and it goes to the provider so a resend after a crash is recognised there.
-- Neither the address nor the text is kept: both are made from the customer's record at
-- sending time, so an erased or changed customer is never messaged from a stale copy.
CREATE TABLE messages (
    tenant_id UUID NOT NULL REFERENCES tenants (id),
    id UUID NOT NULL,
    customer_id UUID NOT NULL,
    appointment_id UUID,
    kind TEXT NOT NULL,
    rule TEXT NOT NULL,
    channel TEXT,
    language TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'delivered', 'read', 'failed', 'withdrawn', 'skipped')),
    attempts BIGINT NOT NULL DEFAULT 0,
    due_at BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    claimed_until BIGINT,
    provider_id TEXT,
    error TEXT,
    created_at BIGINT NOT NULL,
    sent_at BIGINT,
    delivered_at BIGINT,
    read_at BIGINT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, idempotency_key)
);

CREATE INDEX messages_due ON messages (tenant_id, status, next_attempt_at);
CREATE INDEX messages_by_customer ON messages (tenant_id, customer_id, created_at);
CREATE INDEX messages_by_appointment ON messages (tenant_id, appointment_id);
CREATE INDEX messages_by_provider_id ON messages (tenant_id, provider_id);

-- When each tenant next has a message due: the one place the worker looks across tenants,
-- holding no more than a tenant id and a time.
CREATE TABLE message_wakeups (
    tenant_id UUID NOT NULL PRIMARY KEY REFERENCES tenants (id),
    due_at BIGINT NOT NULL
);

CREATE INDEX message_wakeups_due ON message_wakeups (due_at);

-- A member's earlier sign-ins, for the new-device alert (MSG-2); only login events pay for it.
CREATE INDEX audit_events_logins ON audit_events (tenant_id, actor_id) WHERE action = 'member.login';

ALTER TABLE messaging_settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE messaging_settings FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON messaging_settings FOR ALL
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

ALTER TABLE messaging_channels ENABLE ROW LEVEL SECURITY;
ALTER TABLE messaging_channels FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON messaging_channels FOR ALL
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

ALTER TABLE message_templates ENABLE ROW LEVEL SECURITY;
ALTER TABLE message_templates FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON message_templates FOR ALL
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

ALTER TABLE messages ENABLE ROW LEVEL SECURITY;
ALTER TABLE messages FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON messages FOR ALL
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

-- A tenant sees and sets only its own wakeup; the worker, outside any tenant, reads them
-- all to learn which tenants to visit. The rows carry nothing but a tenant id and a time.
ALTER TABLE message_wakeups ENABLE ROW LEVEL SECURITY;
ALTER TABLE message_wakeups FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON message_wakeups FOR ALL
    USING (NULLIF(current_setting('app.tenant_id', true), '') IS NULL
           OR tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

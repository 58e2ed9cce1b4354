-- A booking queues its confirmation and its reminders in one transaction, and each queued
-- message's commit-time trigger (migration 12) upserted the business's wakeup: three
-- upserts of one row per booking where the first, the soonest, already did the work. The
-- trigger now remembers, for the rest of its transaction, the business and time it moved
-- the wakeup to (a transaction-local setting, undone with a rolled-back savepoint like
-- the upsert itself), and a message due no sooner leaves the row alone: the row is
-- already at or before it, and locked by this transaction until it commits, so no
-- rewind can move it later meanwhile.
CREATE OR REPLACE FUNCTION messages_wake_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    woken TEXT := current_setting('steward.woken', true);
BEGIN
    IF woken IS NOT NULL AND woken <> ''
       AND split_part(woken, ' ', 1) = NEW.tenant_id::text
       AND split_part(woken, ' ', 2)::bigint <= NEW.next_attempt_at THEN
        RETURN NULL;
    END IF;
    INSERT INTO message_wakeups (tenant_id, due_at) VALUES (NEW.tenant_id, NEW.next_attempt_at)
    ON CONFLICT (tenant_id) DO UPDATE SET due_at = excluded.due_at WHERE excluded.due_at < message_wakeups.due_at;
    PERFORM set_config('steward.woken', NEW.tenant_id::text || ' ' || NEW.next_attempt_at::text, true);
    RETURN NULL;
END
$$;

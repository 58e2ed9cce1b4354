-- A booking queues its confirmation and its reminders in one transaction, and each queued
-- message's commit-time trigger (migration 12) upserted the business's wakeup: three
-- upserts of one row per booking, and every booking of the business held that row's lock
-- through its commit's flush, one commit after another.
--
-- Now the trigger moves the wakeup only when it is later than the message (or missing),
-- and once per transaction: it remembers, in a transaction-local setting undone with a
-- rolled-back savepoint like everything else, the business and time it made sure of, and
-- a message due no sooner needs nothing more. When the wakeup is already at or before the
-- message, the transaction only holds a shared advisory lock of the business's wakeup
-- until it commits; bookings share it with each other. The worker's rewind (which sets
-- the wakeup to the soonest pending message) takes the same lock exclusively before it
-- reads the messages, so it waits for those commits and then sees their messages: a
-- message never waits behind a wakeup moved past it.
CREATE OR REPLACE FUNCTION messages_wake_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    woken TEXT := current_setting('steward.woken', true);
    due BIGINT;
BEGIN
    IF woken IS NOT NULL AND woken <> ''
       AND split_part(woken, ' ', 1) = NEW.tenant_id::text
       AND split_part(woken, ' ', 2)::bigint <= NEW.next_attempt_at THEN
        RETURN NULL;
    END IF;
    PERFORM pg_advisory_xact_lock_shared(7120144, hashtext(NEW.tenant_id::text));
    SELECT due_at INTO due FROM message_wakeups WHERE tenant_id = NEW.tenant_id;
    IF due IS NULL OR due > NEW.next_attempt_at THEN
        INSERT INTO message_wakeups (tenant_id, due_at) VALUES (NEW.tenant_id, NEW.next_attempt_at)
        ON CONFLICT (tenant_id) DO UPDATE SET due_at = excluded.due_at WHERE excluded.due_at < message_wakeups.due_at;
    END IF;
    PERFORM set_config('steward.woken', NEW.tenant_id::text || ' ' || NEW.next_attempt_at::text, true);
    RETURN NULL;
END
$$;

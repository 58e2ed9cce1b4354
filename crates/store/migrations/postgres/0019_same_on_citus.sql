-- Everything a transaction does now behaves the same on one PostgreSQL and on Citus
-- (store/src/citus.rs), where a trigger runs on the worker that holds the row's shard
-- while the app's own statements are planned on the coordinator.

-- The message wakeup. A queued message's commit-time trigger (migration 14) took a shared
-- advisory lock that the worker's rewind took exclusively: on Citus the trigger's lock is
-- taken on a worker and the rewind's on the coordinator, two different locks, and a
-- message committed during a rewind could wait behind a wakeup moved past it. Row locks on
-- the business's wakeup row live with the row, on whichever node holds it: the trigger
-- takes FOR KEY SHARE (compatible with other bookings' triggers, and with their moving the
-- wakeup earlier, which takes FOR NO KEY UPDATE), the rewind takes FOR UPDATE, which waits
-- for both. The rewind no longer deletes the row (it parks it at the largest instant), so
-- a trigger always finds the row to lock once a business has queued anything.
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
    SELECT due_at INTO due FROM message_wakeups WHERE tenant_id = NEW.tenant_id FOR KEY SHARE;
    IF due IS NULL OR due > NEW.next_attempt_at THEN
        INSERT INTO message_wakeups (tenant_id, due_at) VALUES (NEW.tenant_id, NEW.next_attempt_at)
        ON CONFLICT (tenant_id) DO UPDATE SET due_at = excluded.due_at WHERE excluded.due_at < message_wakeups.due_at;
    END IF;
    PERFORM set_config('steward.woken', NEW.tenant_id::text || ' ' || NEW.next_attempt_at::text, true);
    RETURN NULL;
END
$$;

-- The immediate audit trigger for events written with their final number (migration 12)
-- has had nothing to do since migration 15 seals every event after its commit.
DROP TRIGGER audit_events_advance_head ON audit_events;
DROP FUNCTION audit_events_advance_head();

-- For later migrations: a new tenant table is created without foreign keys, handed to
-- this function, and then given its keys. On Citus it is distributed by tenant_id beside
-- the others (a table whose keys reference distributed tables could not be created
-- otherwise); on one PostgreSQL it does nothing.
CREATE FUNCTION steward_place_tenant_table(tenant_table REGCLASS) RETURNS VOID LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN
        SET LOCAL citus.enable_unsafe_triggers = on;
        EXECUTE format('SELECT create_distributed_table(%L, %L, colocate_with => %L)',
                       tenant_table::text, 'tenant_id', 'roles');
    END IF;
END
$$;

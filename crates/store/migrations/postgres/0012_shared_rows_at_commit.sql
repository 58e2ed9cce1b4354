-- Rows that many transactions of one business update (its audit head, its message wakeup,
-- a staff member's busy_version) are now updated when a transaction commits, not when it
-- writes. A row updated mid-transaction stays locked through the rest of the transaction and its round
-- trips to Steward, and every other write of the business (or of that staff member)
-- queued behind it: 334 bookings/s with 64 clients. Deferred triggers hold such a lock
-- only while PostgreSQL commits.

-- The audit log: an event takes its place in the chain at commit. The app
-- inserts the event with a provisional, negative sequence number and, in `hash`, the
-- event's encoding after the sequence number (steward_domain::audit::SEQ_PREFIX); a
-- deferred trigger locks the head at commit, numbers the event, hashes it exactly as the
-- verifier does, and moves the head. The lock is held only while PostgreSQL commits.

-- The immediate trigger keeps serving events written with their final number, as a
-- Steward process from before this migration writes them while an upgrade rolls out.
DROP TRIGGER audit_events_advance_head ON audit_events;
CREATE TRIGGER audit_events_advance_head AFTER INSERT ON audit_events
    FOR EACH ROW WHEN (NEW.seq > 0) EXECUTE FUNCTION audit_events_advance_head();

CREATE FUNCTION audit_events_chain_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    head_seq BIGINT;
    head_hash BYTEA;
    event_hash BYTEA;
BEGIN
    -- Locked and read once, written once: one new version of the head per event.
    SELECT seq + 1, hash INTO head_seq, head_hash FROM audit_heads WHERE tenant_id = NEW.tenant_id FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'steward: business % has no audit chain', NEW.tenant_id;
    END IF;
    event_hash := sha256(head_hash || '\x01010000000000000008'::bytea || int8send(head_seq) || NEW.hash);
    UPDATE audit_events SET seq = head_seq, prev_hash = head_hash, hash = event_hash
    WHERE tenant_id = NEW.tenant_id AND seq = NEW.seq;
    UPDATE audit_heads SET seq = head_seq, hash = event_hash WHERE tenant_id = NEW.tenant_id;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER audit_events_chain_at_commit AFTER INSERT ON audit_events
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (NEW.seq < 0) EXECUTE FUNCTION audit_events_chain_at_commit();

-- Availability's cache of a staff member's busy time is valid while busy_version stays the
-- same (migration 6): the version is now raised at commit, still in the same transaction
-- as the change, so no reader sees one without the other.
DROP TRIGGER appointments_raise_busy_version ON appointments;
CREATE CONSTRAINT TRIGGER appointments_raise_busy_version
    AFTER INSERT OR DELETE OR UPDATE OF staff_id, blocked_from, blocked_until, status ON appointments
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION appointments_raise_busy_version();

-- The message worker's wakeup (migration 9): a queued message moves its business's wakeup
-- earlier at commit. The worker's rewind locks the same row, so a message committed while
-- it rewinds is still seen, as before.
CREATE FUNCTION messages_wake_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO message_wakeups (tenant_id, due_at) VALUES (NEW.tenant_id, NEW.next_attempt_at)
    ON CONFLICT (tenant_id) DO UPDATE SET due_at = excluded.due_at WHERE excluded.due_at < message_wakeups.due_at;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER messages_wake_at_commit AFTER INSERT ON messages
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (NEW.status = 'pending') EXECUTE FUNCTION messages_wake_at_commit();

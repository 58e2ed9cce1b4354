-- The audit chain is sealed just after commit instead of at it. Migration 12's deferred
-- trigger locked the business's audit head while PostgreSQL committed, flush included, so
-- every write of a business that recorded an event committed one after another: on a
-- slow two-core machine, 565 bookings/s with the trigger, 692/s with a sealer instead
-- (pgbench replaying a booking's statements, 16 clients).
--
-- An event is still written in the transaction of its change, with a provisional negative
-- sequence number and, in `hash`, its encoding after the number. After the commit,
-- Steward calls audit_seal for the business: under the head's lock, it numbers the
-- unsealed events in the order they happened, hashes each behind the one before exactly
-- as the verifier does, and moves the head once. Many commits are sealed in one pass, and
-- nothing waits for it but the reads of the log, which seal first.
DROP TRIGGER audit_events_chain_at_commit ON audit_events;
DROP FUNCTION audit_events_chain_at_commit();

CREATE FUNCTION audit_seal(business UUID, at_most INT) RETURNS INT LANGUAGE plpgsql AS $$
DECLARE
    head_seq BIGINT;
    head_hash BYTEA;
    previous BYTEA;
    event RECORD;
    sealed INT := 0;
BEGIN
    -- Most calls (a reader of the log, a sealer that another beat to it) find nothing to
    -- seal; they need not lock the head.
    PERFORM seq FROM audit_events WHERE tenant_id = business AND seq < 0 ORDER BY seq LIMIT 1;
    IF NOT FOUND THEN
        RETURN 0;
    END IF;
    SELECT seq, hash INTO head_seq, head_hash FROM audit_heads WHERE tenant_id = business FOR NO KEY UPDATE;
    -- A business purged at the end of its retention has no chain and nothing to seal.
    IF NOT FOUND THEN
        RETURN 0;
    END IF;
    -- Read after the lock is taken, so a pass sees every event committed before it began
    -- waiting. The unsealed events are found in the order of their provisional numbers,
    -- which only they have (ordered by time and limited in one step, PostgreSQL walks the
    -- business's whole log by time to find them), and chained in the order they happened.
    FOR event IN
        SELECT seq, hash FROM (
            SELECT seq, hash, at, id FROM audit_events WHERE tenant_id = business AND seq < 0 ORDER BY seq LIMIT at_most
        ) batch ORDER BY at, id
    LOOP
        head_seq := head_seq + 1;
        previous := head_hash;
        head_hash := sha256(previous || '\x01010000000000000008'::bytea || int8send(head_seq) || event.hash);
        UPDATE audit_events SET seq = head_seq, prev_hash = previous, hash = head_hash
        WHERE tenant_id = business AND seq = event.seq;
        sealed := sealed + 1;
    END LOOP;
    IF sealed > 0 THEN
        UPDATE audit_heads SET seq = head_seq, hash = head_hash WHERE tenant_id = business;
    END IF;
    RETURN sealed;
END
$$;

-- audit_seal (migration 15) took each pass's events by their provisional numbers, which
-- are random, and ordered only within the pass by time. With more events waiting than
-- one pass takes (1,000), the chain's order then strayed from the order the events
-- happened in, by as much as the backlog spanned; retention, which removes every event
-- up to the last one before its cutoff, could remove events newer than the cutoff.
-- A partial index holds only the unsealed events, by business and time, so a pass takes
-- the oldest ones in time order without walking the sealed log (which is why migration
-- 15 did not order by time); an event leaves it when it is sealed.
CREATE INDEX audit_events_unsealed ON audit_events (tenant_id, at, id) WHERE seq < 0;

CREATE OR REPLACE FUNCTION audit_seal(business UUID, at_most INT) RETURNS INT LANGUAGE plpgsql AS $$
DECLARE
    head_seq BIGINT;
    head_hash BYTEA;
    previous BYTEA;
    event RECORD;
    sealed INT := 0;
BEGIN
    -- Most calls (a reader of the log, a sealer that another beat to it) find nothing to
    -- seal; they need not lock the head.
    PERFORM 1 FROM audit_events WHERE tenant_id = business AND seq < 0 LIMIT 1;
    IF NOT FOUND THEN
        RETURN 0;
    END IF;
    SELECT seq, hash INTO head_seq, head_hash FROM audit_heads WHERE tenant_id = business FOR NO KEY UPDATE;
    -- A business purged at the end of its retention has no chain and nothing to seal.
    IF NOT FOUND THEN
        RETURN 0;
    END IF;
    -- Read after the lock is taken, so a pass sees every event committed before it began
    -- waiting; the oldest first, through audit_events_unsealed.
    FOR event IN
        SELECT seq, hash FROM audit_events WHERE tenant_id = business AND seq < 0 ORDER BY at, id LIMIT at_most
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

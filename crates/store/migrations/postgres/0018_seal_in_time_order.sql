-- audit_seal (migration 15) took each pass's events by their provisional numbers, which
-- were random (from the event's id), and ordered only within the pass by time. With more
-- events waiting than one pass takes (1,000), the chain's order then strayed from the
-- order the events happened in, by as much as the backlog spanned; retention, which
-- removes every event up to the last one before its cutoff, could remove events newer
-- than the cutoff. Provisional numbers now come from a sequence, so they rise in the
-- order the events are written, and a pass takes the lowest ones, in that order, by the
-- same walk of the primary key as before. (A partial index of the unsealed events by
-- time did the same and cost a fifth of PostgreSQL's booking throughput.)
CREATE SEQUENCE audit_provisional_numbers AS BIGINT;

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
    -- waiting; the oldest first, as their provisional numbers rise. (Events written by
    -- migration 15's code carry random numbers; they are sealed with the first passes.)
    FOR event IN
        SELECT seq, hash FROM audit_events WHERE tenant_id = business AND seq < 0 ORDER BY seq LIMIT at_most
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

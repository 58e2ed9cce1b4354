-- The head's hash follows each appended event inside the INSERT itself, saving a
-- statement (a round trip to the database) per audit event.
CREATE FUNCTION audit_events_advance_head() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE audit_heads SET hash = NEW.hash WHERE tenant_id = NEW.tenant_id AND seq = NEW.seq;
    RETURN NULL;
END
$$;

CREATE TRIGGER audit_events_advance_head AFTER INSERT ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_advance_head();

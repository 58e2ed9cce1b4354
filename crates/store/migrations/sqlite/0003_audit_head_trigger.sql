-- The head's hash follows each appended event inside the INSERT itself, saving a
-- statement (a round trip to the database) per audit event.
CREATE TRIGGER audit_events_advance_head AFTER INSERT ON audit_events
BEGIN
    UPDATE audit_heads SET hash = NEW.hash WHERE tenant_id = NEW.tenant_id AND seq = NEW.seq;
END;

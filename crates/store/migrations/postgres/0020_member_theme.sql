-- A member's colours: as their device asks ('device'), or always 'light' or 'dark'.
ALTER TABLE members ADD COLUMN theme TEXT NOT NULL DEFAULT 'device' CHECK (theme IN ('device', 'light', 'dark'));

-- Each tenant key records which master key wraps it (the master key's fingerprint), so
-- `steward keys rotate` can tell the keys it has re-wrapped from those still under the old
-- master key, and a rotation that was stopped half-way is finished by running it again.
-- NULL: wrapped before master keys were recorded, i.e. by the key in use until the first
-- rotation.
ALTER TABLE keystore.tenant_keys ADD COLUMN master_key_id TEXT;

//! The audit chain (SEC-3): how an audit event is encoded and hashed, and how a tenant's
//! whole log is checked.
//!
//! Each event's hash is SHA-256 over the previous event's hash and the event's canonical
//! encoding: every field, length-prefixed, in a fixed order. The first event follows a
//! genesis hash of 32 zero bytes. Editing, deleting or reordering any event changes a hash
//! or leaves a gap in the sequence, and verification names the first event where the
//! chain breaks. Anyone can repeat the check offline from an export: the encoding is
//! specified here and in docs/audit.md.

use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The hash before the first event.
pub const GENESIS: [u8; 32] = [0; 32];

/// One audit event as it is chained (and, with its hashes, as it is exported).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AuditEvent {
    pub seq: i64,
    pub id: Uuid,
    /// Microseconds since the Unix epoch, UTC.
    pub at: i64,
    /// `member`, `api_token`, `system` or `support`.
    pub actor_type: String,
    pub actor_id: Option<Uuid>,
    pub action: String,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    /// JSON: the names of personal fields changed, or old and new values of settings.
    pub details: String,
    pub request_id: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

fn put(out: &mut Vec<u8>, field: Option<&[u8]>) {
    match field {
        None => out.push(0),
        Some(bytes) => {
            out.push(1);
            out.extend_from_slice(&(bytes.len() as u64).to_be_bytes());
            out.extend_from_slice(bytes);
        }
    }
}

/// An audit event's fields borrowed from wherever they were read: verification reads
/// millions and has no need to copy each field into its own allocation first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditEventRef<'a> {
    pub seq: i64,
    pub id: Uuid,
    pub at: i64,
    pub actor_type: &'a str,
    pub actor_id: Option<Uuid>,
    pub action: &'a str,
    pub target_type: Option<&'a str>,
    pub target_id: Option<&'a str>,
    pub details: &'a str,
    pub request_id: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
}

impl AuditEventRef<'_> {
    /// Appends the canonical encoding to `out`: a version byte, then each field in order,
    /// each as a presence byte (0 absent, 1 present), a big-endian u64 length and the
    /// bytes. Integers are big-endian i64; the UUIDs their 16 bytes; text UTF-8.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&SEQ_PREFIX);
        out.extend_from_slice(&self.seq.to_be_bytes());
        self.encode_after_seq(out);
    }

    /// Appends the encoding's part after the sequence number: everything a writer knows
    /// before the event has its place in the chain. A database that assigns the sequence
    /// number at commit hashes `SEQ_PREFIX`, the number and this.
    pub fn encode_after_seq(&self, out: &mut Vec<u8>) {
        put(out, Some(self.id.as_bytes()));
        put(out, Some(&self.at.to_be_bytes()));
        put(out, Some(self.actor_type.as_bytes()));
        put(out, self.actor_id.as_ref().map(|id| id.as_bytes().as_slice()));
        put(out, Some(self.action.as_bytes()));
        put(out, self.target_type.map(str::as_bytes));
        put(out, self.target_id.map(str::as_bytes));
        put(out, Some(self.details.as_bytes()));
        put(out, self.request_id.map(str::as_bytes));
        put(out, self.ip.map(str::as_bytes));
        put(out, self.user_agent.map(str::as_bytes));
    }

    /// Copies the fields into an owned event.
    pub fn to_owned_event(&self) -> AuditEvent {
        AuditEvent {
            seq: self.seq,
            id: self.id,
            at: self.at,
            actor_type: self.actor_type.to_string(),
            actor_id: self.actor_id,
            action: self.action.to_string(),
            target_type: self.target_type.map(str::to_string),
            target_id: self.target_id.map(str::to_string),
            details: self.details.to_string(),
            request_id: self.request_id.map(str::to_string),
            ip: self.ip.map(str::to_string),
            user_agent: self.user_agent.map(str::to_string),
        }
    }
}

/// What the canonical encoding starts with: the version byte, then the sequence number's
/// presence byte and length (an i64 follows, big-endian). PostgreSQL's migration 12
/// writes the same bytes when it chains an event at commit.
pub const SEQ_PREFIX: [u8; 10] = [1, 1, 0, 0, 0, 0, 0, 0, 0, 8];

/// SHA-256 over `previous` and `encoding`.
fn hash_after(previous: &[u8], encoding: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(previous);
    hasher.update(encoding);
    hasher.finalize().into()
}

impl AuditEvent {
    /// The event's fields, borrowed.
    pub fn borrowed(&self) -> AuditEventRef<'_> {
        AuditEventRef {
            seq: self.seq,
            id: self.id,
            at: self.at,
            actor_type: &self.actor_type,
            actor_id: self.actor_id,
            action: &self.action,
            target_type: self.target_type.as_deref(),
            target_id: self.target_id.as_deref(),
            details: &self.details,
            request_id: self.request_id.as_deref(),
            ip: self.ip.as_deref(),
            user_agent: self.user_agent.as_deref(),
        }
    }

    /// The canonical encoding (see [`AuditEventRef::encode_into`]).
    pub fn canonical(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        self.borrowed().encode_into(&mut out);
        out
    }

    /// This event's hash, following `previous`.
    pub fn chain_hash(&self, previous: &[u8]) -> [u8; 32] {
        hash_after(previous, &self.canonical())
    }
}

/// Where and how a chain is broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    #[error("event {found} follows event {previous}: an event is missing or out of order")]
    Gap { previous: i64, found: i64 },
    #[error("event {seq} ({id}) does not follow the event before it: the chain was cut or reordered there")]
    Link { seq: i64, id: Uuid },
    #[error("event {seq} ({id}) was changed after it was written")]
    Altered { seq: i64, id: Uuid },
}

/// Checks events in order, carrying the state between batches so a log of any size is
/// verified without holding it in memory.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    last_seq: i64,
    last_hash: Vec<u8>,
    pub checked: u64,
    /// The encoding of the event being checked, kept to be reused.
    encoding: Vec<u8>,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self::after(0, GENESIS.to_vec())
    }
}

impl ChainVerifier {
    /// Starts after a checkpoint (the last event removed under a retention rule).
    pub fn after(seq: i64, hash: Vec<u8>) -> Self {
        Self { last_seq: seq, last_hash: hash, checked: 0, encoding: Vec::with_capacity(512) }
    }

    /// Checks the next event, given the previous hash and hash stored with it.
    pub fn check(&mut self, event: &AuditEvent, stored_prev: &[u8], stored_hash: &[u8]) -> Result<(), ChainBreak> {
        self.check_borrowed(event.borrowed(), stored_prev, stored_hash)
    }

    /// [`ChainVerifier::check`] for borrowed fields.
    pub fn check_borrowed(
        &mut self,
        event: AuditEventRef<'_>,
        stored_prev: &[u8],
        stored_hash: &[u8],
    ) -> Result<(), ChainBreak> {
        if event.seq != self.last_seq + 1 {
            return Err(ChainBreak::Gap { previous: self.last_seq, found: event.seq });
        }
        if stored_prev != self.last_hash.as_slice() {
            return Err(ChainBreak::Link { seq: event.seq, id: event.id });
        }
        self.encoding.clear();
        event.encode_into(&mut self.encoding);
        let computed = hash_after(stored_prev, &self.encoding);
        if computed.as_slice() != stored_hash {
            return Err(ChainBreak::Altered { seq: event.seq, id: event.id });
        }
        self.last_seq = event.seq;
        self.last_hash.clear();
        self.last_hash.extend_from_slice(&computed);
        self.checked += 1;
        Ok(())
    }

    pub fn last_seq(&self) -> i64 {
        self.last_seq
    }

    /// The hash of the last event checked (or of the starting point).
    pub fn last_hash(&self) -> &[u8] {
        &self.last_hash
    }
}

/// What each action recorded means, in words a business owner reads ("signed in"), in
/// the order of the action codes; the viewer shows the code itself for any other.
const ACTIONS_IN_WORDS: &[(&str, &str)] = &[
    ("access.denied", "was refused access"),
    ("api_token.created", "made an API token"),
    ("api_token.revoked", "revoked an API token"),
    ("appointment.booked", "booked an appointment"),
    ("appointment.cancelled", "cancelled an appointment"),
    ("appointment.changed", "moved or changed an appointment"),
    ("appointment.status_changed", "changed an appointment's status"),
    ("appointment.status_undone", "undid an appointment's status change"),
    ("audit.exported", "downloaded the audit log"),
    ("audit.verified", "verified the audit log"),
    ("booking.online_confirmed", "booked online"),
    ("customer.consent_recorded", "recorded a customer's consent"),
    ("customer.consent_withdrawn", "recorded a withdrawn consent"),
    ("customer.created", "added a customer"),
    ("customer.deleted", "deleted a customer"),
    ("customer.merged", "merged two customers"),
    ("customer.note_added", "added a note to a customer"),
    ("customer.note_deleted", "deleted a customer's note"),
    ("customer.sensitive.read", "viewed sensitive fields of a customer"),
    ("customer.sensitive.written", "changed sensitive fields of a customer"),
    ("customer.updated", "changed a customer"),
    ("customer_field.created", "added a customer field"),
    ("customer_field.deleted", "removed a customer field"),
    ("customer_field.updated", "changed a customer field"),
    ("customers.exported", "exported customers"),
    ("customers.imported", "imported customers"),
    ("invitation.accepted", "accepted an invitation"),
    ("invitation.created", "invited a member"),
    ("invitation.revoked", "withdrew an invitation"),
    ("legal_hold.lifted", "lifted a legal hold"),
    ("legal_hold.set", "set a legal hold"),
    ("location.changed", "changed a location"),
    ("location.created", "added a location"),
    ("location.deleted", "removed a location"),
    ("master_key.rotated", "rotated the master key"),
    ("member.added", "added a member"),
    ("member.data_exported", "downloaded their own data"),
    ("member.email_verified", "confirmed their email address"),
    ("member.login", "signed in"),
    ("member.login_failed", "failed to sign in"),
    ("member.logout", "signed out"),
    ("member.password_changed", "changed their password"),
    ("member.password_reset", "reset their password"),
    ("member.password_reset_requested", "asked to reset their password"),
    ("member.profile_changed", "changed their profile"),
    ("member.removed", "removed a member"),
    ("member.role_changed", "changed a member's role"),
    ("message.retried", "sent a failed message again"),
    ("messaging.channel_connected", "connected a messaging channel"),
    ("messaging.channel_disconnected", "disconnected a messaging channel"),
    ("messaging.rules_changed", "changed the reminder settings"),
    ("messaging.template_changed", "changed a message's wording"),
    ("privacy.jurisdiction_changed", "changed the privacy law followed"),
    ("privacy.person_erased", "erased a person"),
    ("privacy.person_exported", "sent a person their data"),
    ("privacy_request.answered", "answered a privacy request"),
    ("privacy_request.closed", "closed a privacy request"),
    ("privacy_request.erased", "erased a person on request"),
    ("privacy_request.exported", "sent a person their data on request"),
    ("privacy_request.opened", "received a privacy request"),
    ("privacy_request.verified", "proved who asked a privacy request"),
    ("retention.rule_changed", "changed a retention rule"),
    ("retention.swept", "removed data past its retention"),
    ("role.created", "created a role"),
    ("role.deleted", "deleted a role"),
    ("role.updated", "changed a role"),
    ("service.changed", "changed a service"),
    ("service.created", "added a service"),
    ("staff.changed", "changed a staff member"),
    ("staff.created", "added a staff member"),
    ("staff.feed_revoked", "turned off a calendar feed"),
    ("staff.feed_rotated", "made a calendar feed address"),
    ("staff.hours_changed", "changed working hours"),
    ("staff.override_set", "set a day that differs"),
    ("staff.time_off_added", "added time off"),
    ("staff.time_off_removed", "removed time off"),
    ("tenant.cancelled", "cancelled the business's account"),
    ("tenant.created", "created the business"),
    ("tenant.exported", "downloaded all the business's data"),
    ("tenant.look_changed", "changed how the booking page looks"),
    ("tenant.profile_changed", "changed the business profile"),
    ("tenant.reactivated", "reopened the business's account"),
    ("tenant.terminated", "closed the business's account"),
];

/// The action in words, if it is one Steward records.
pub fn action_in_words(action: &str) -> Option<&'static str> {
    ACTIONS_IN_WORDS.binary_search_by(|(code, _)| code.cmp(&action)).ok().map(|i| ACTIONS_IN_WORDS[i].1)
}

/// Every action Steward records and its words, for a filter to choose from.
pub fn actions_in_words() -> &'static [(&'static str, &'static str)] {
    ACTIONS_IN_WORDS
}

#[cfg(test)]
mod tests {
    #[test]
    fn actions_read_as_words_and_the_table_is_in_order() {
        assert_eq!(super::action_in_words("member.login"), Some("signed in"));
        assert_eq!(super::action_in_words("customer.sensitive.read"), Some("viewed sensitive fields of a customer"));
        assert_eq!(super::action_in_words("no.such"), None);
        assert!(super::ACTIONS_IN_WORDS.windows(2).all(|pair| pair[0].0 < pair[1].0));
    }

    use super::*;

    fn event(seq: i64) -> AuditEvent {
        AuditEvent {
            seq,
            id: Uuid::from_u128(seq as u128),
            at: 1_800_000_000_000_000 + seq,
            actor_type: "member".into(),
            actor_id: Some(Uuid::from_u128(7)),
            action: "member.role_changed".into(),
            target_type: Some("member".into()),
            target_id: Some("m-1".into()),
            details: r#"{"role":["staff","admin"]}"#.into(),
            request_id: Some("r1".into()),
            ip: None,
            user_agent: None,
        }
    }

    fn chain(n: i64) -> Vec<(AuditEvent, Vec<u8>, Vec<u8>)> {
        let mut previous = GENESIS.to_vec();
        (1..=n)
            .map(|seq| {
                let e = event(seq);
                let hash = e.chain_hash(&previous).to_vec();
                let row = (e, previous.clone(), hash.clone());
                previous = hash;
                row
            })
            .collect()
    }

    fn verify(rows: &[(AuditEvent, Vec<u8>, Vec<u8>)]) -> Result<u64, ChainBreak> {
        let mut verifier = ChainVerifier::default();
        for (e, prev, hash) in rows {
            verifier.check(e, prev, hash)?;
        }
        Ok(verifier.checked)
    }

    #[test]
    fn the_encoding_is_the_sequence_prefix_the_number_and_the_rest() {
        // promise: SEC-3
        // PostgreSQL chains an event at commit from these three parts (migration 12): they
        // must give the bytes, and so the hash, the verifier recomputes.
        let e = event(300);
        let mut rest = Vec::new();
        e.borrowed().encode_after_seq(&mut rest);
        let mut joined = vec![0x01, 0x01, 0, 0, 0, 0, 0, 0, 0, 0x08, 0, 0, 0, 0, 0, 0, 0x01, 0x2c];
        joined.extend_from_slice(&rest);
        assert_eq!(e.canonical(), joined);
        assert_eq!(&rest[..9], &[0x01, 0, 0, 0, 0, 0, 0, 0, 0x10]);
    }

    #[test]
    fn an_untouched_chain_verifies() {
        // promise: SEC-3
        assert_eq!(verify(&chain(5)), Ok(5));
    }

    #[test]
    fn an_edit_a_deletion_and_a_reordering_are_each_named() {
        // promise: SEC-3
        let mut edited = chain(5);
        edited[2].0.details = r#"{"role":["staff","owner"]}"#.into();
        assert_eq!(verify(&edited), Err(ChainBreak::Altered { seq: 3, id: Uuid::from_u128(3) }));

        let mut deleted = chain(5);
        deleted.remove(2);
        assert_eq!(verify(&deleted), Err(ChainBreak::Gap { previous: 2, found: 4 }));

        let mut reordered = chain(5);
        reordered.swap(1, 2);
        assert!(matches!(verify(&reordered), Err(ChainBreak::Gap { .. })));

        // Renumbering after a deletion is caught by the link to the previous hash.
        let mut renumbered = chain(5);
        renumbered.remove(2);
        for (index, row) in renumbered.iter_mut().enumerate() {
            row.0.seq = index as i64 + 1;
        }
        assert!(matches!(verify(&renumbered), Err(ChainBreak::Link { seq: 3, .. }) | Err(ChainBreak::Altered { .. })));
    }

    #[test]
    fn absent_and_empty_fields_encode_differently() {
        let mut a = event(1);
        a.ip = None;
        let mut b = event(1);
        b.ip = Some(String::new());
        assert_ne!(a.canonical(), b.canonical());
    }
}

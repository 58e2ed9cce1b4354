//! Every column Steward stores has a data class, declared here and only here.
//!
//! DSAR export, erasure, retention, the audit of sensitive reads and the generated privacy
//! notice all read this one registry, so a new column cannot be forgotten by them: a test
//! fails when either database schema has a column this registry does not classify, or when
//! the registry names a column that no longer exists.

use serde::Serialize;

/// What kind of data a column holds, which decides how long it is kept and who may see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DataClass {
    /// About a member or the business account: name, work email, role.
    Account,
    /// About a customer of a tenant (a data subject): name, phone, email.
    Personal,
    /// Personal data that needs its own permission and is stored encrypted.
    Sensitive,
    /// Plan, payment status, GST number, payment history.
    Billing,
    /// Which features were used, when.
    Usage,
    /// Logins, sessions, audit: kept while the account is active.
    SecurityLog,
    /// Settings of the tenant or of Steward itself.
    Config,
    /// Password hashes, token hashes, keys: never exported or shown.
    Secret,
    /// Keys, timestamps and states Steward needs to run; no personal content.
    Operational,
    /// Counts and statistics about groups, never about one person.
    Aggregate,
}

impl DataClass {
    pub fn name(self) -> &'static str {
        match self {
            DataClass::Account => "account",
            DataClass::Personal => "personal",
            DataClass::Sensitive => "sensitive",
            DataClass::Billing => "billing",
            DataClass::Usage => "usage",
            DataClass::SecurityLog => "security_log",
            DataClass::Config => "config",
            DataClass::Secret => "secret",
            DataClass::Operational => "operational",
            DataClass::Aggregate => "aggregate",
        }
    }

    /// As a page names it to a business's owner.
    pub fn label(self) -> &'static str {
        match self {
            DataClass::Account => "Members and the business account",
            DataClass::Personal => "Customers' details",
            DataClass::Sensitive => "Customers' sensitive details",
            DataClass::Billing => "Billing and payments",
            DataClass::Usage => "Usage records",
            DataClass::SecurityLog => "Security logs (log-ins, sessions, the audit log)",
            DataClass::Config => "Settings",
            DataClass::Secret => "Secrets (password and token hashes, keys)",
            DataClass::Operational => "Records Steward needs to run",
            DataClass::Aggregate => "Statistics about groups",
        }
    }

    /// The classes that hold data about people, which rules, erasure and a purge delete:
    /// what a privacy notice lists, and what a legal hold can be put on.
    pub const ABOUT_PEOPLE: [DataClass; 6] = [
        DataClass::Personal,
        DataClass::Sensitive,
        DataClass::Account,
        DataClass::Billing,
        DataClass::Usage,
        DataClass::SecurityLog,
    ];
}

/// One classified column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ColumnClass {
    pub table: &'static str,
    pub column: &'static str,
    pub class: DataClass,
}

use DataClass::*;

macro_rules! registry {
    ($($table:literal { $($column:literal: $class:ident),* $(,)? })*) => {
        /// The registry: every column of every table.
        pub const COLUMNS: &[ColumnClass] = &[$($(ColumnClass { table: $table, column: $column, class: $class },)*)*];
    };
}

registry! {
    "tenants" {
        "id": Operational, "slug": Config, "name": Account, "country": Config, "time_zone": Config,
        "gstin": Billing, "status": Operational, "created_at": Operational, "updated_at": Operational,
        "cancelled_at": Account, "terminates_at": Operational, "terminated_at": Account, "purge_at": Operational,
        "purged_at": Account, "purge_finished_at": Operational, "lifecycle_reason": Account,
        "privacy_jurisdiction": Config,
    }
    "policy_versions" { "version": Config, "published_on": Config, "summary": Config }
    "roles" {
        "tenant_id": Operational, "id": Operational, "name": Config, "permissions": Config,
        "builtin": Config, "created_at": Operational, "updated_at": Operational,
    }
    "members" {
        "tenant_id": Operational, "id": Operational, "email": Account, "name": Account, "phone": Account,
        "role_id": Account, "password_hash": Secret, "email_verified_at": Account,
        "failed_login_count": SecurityLog, "last_failed_login_at": SecurityLog, "lockout_count": SecurityLog,
        "locked_until": SecurityLog, "last_login_at": SecurityLog, "removed_at": Account,
        "created_at": Operational, "updated_at": Operational, "theme": Config,
    }
    "sessions" {
        "tenant_id": Operational, "id": Operational, "member_id": Operational, "token_hash": Secret,
        "csrf_token": Secret, "ip": SecurityLog, "user_agent": SecurityLog, "created_at": SecurityLog,
        "last_seen_at": SecurityLog, "expires_at": Operational,
    }
    "api_tokens" {
        "tenant_id": Operational, "id": Operational, "member_id": Operational, "name": Config,
        "token_hint": Config, "token_hash": Secret, "scopes": Config, "created_at": SecurityLog,
        "expires_at": Operational, "last_used_at": SecurityLog, "revoked_at": SecurityLog,
    }
    "invitations" {
        "tenant_id": Operational, "id": Operational, "email": Account, "role_id": Account,
        "invited_by": Account, "token_hash": Secret, "created_at": Operational, "expires_at": Operational,
        "accepted_at": Operational, "revoked_at": Operational,
    }
    "member_tokens" {
        "tenant_id": Operational, "id": Operational, "member_id": Operational, "purpose": Operational,
        "token_hash": Secret, "created_at": Operational, "expires_at": Operational, "used_at": Operational,
    }
    "audit_heads" { "tenant_id": Operational, "seq": SecurityLog, "hash": SecurityLog }
    "audit_events" {
        "tenant_id": Operational, "id": SecurityLog, "seq": SecurityLog, "at": SecurityLog,
        "actor_type": SecurityLog, "actor_id": SecurityLog, "action": SecurityLog, "target_type": SecurityLog,
        "target_id": SecurityLog, "details": SecurityLog, "request_id": SecurityLog, "ip": SecurityLog,
        "user_agent": SecurityLog, "prev_hash": SecurityLog, "hash": SecurityLog,
    }
    "usage_events" {
        "tenant_id": Operational, "id": Usage, "at": Usage, "member_id": Usage, "feature": Usage,
        "ip": Usage, "browser": Usage, "os": Usage,
    }
    "customers" {
        "tenant_id": Operational, "id": Operational, "name": Personal, "name_key": Personal, "phone": Personal,
        "email": Personal, "address": Personal, "date_of_birth": Personal, "source": Personal,
        "preferred_channel": Personal, "last_visit_at": Personal, "search_terms": Personal, "created_by": Operational,
        "created_at": Operational, "updated_at": Operational,
    }
    "customer_search_terms" { "tenant_id": Operational, "term": Personal, "customer_id": Operational, "name_key": Personal }
    "customer_tags" { "tenant_id": Operational, "customer_id": Operational, "tag": Personal }
    "customer_notes" {
        "tenant_id": Operational, "id": Operational, "customer_id": Operational, "author_id": Operational,
        "private": Operational, "body": Personal, "body_sealed": Sensitive, "created_at": Operational,
    }
    "customer_consents" {
        "tenant_id": Operational, "id": Operational, "customer_id": Operational, "channel": Personal,
        "purpose": Personal, "granted": Personal, "source": Personal, "recorded_by": Operational,
        "recorded_at": Personal,
    }
    "custom_fields" {
        "tenant_id": Operational, "id": Operational, "label": Config, "kind": Config, "data_class": Config,
        "options": Config, "position": Config, "created_at": Operational, "updated_at": Operational,
    }
    "customer_field_values" {
        "tenant_id": Operational, "customer_id": Operational, "field_id": Operational, "value": Personal,
        "value_sealed": Sensitive, "updated_by": Operational, "updated_at": Operational,
    }
    "keystore.tenant_keys" {
        "tenant_id": Operational, "key_version": Operational, "wrapped": Secret, "created_at": Operational,
        "master_key_id": Operational,
    }
    "keystore.subject_keys" {
        "tenant_id": Operational, "subject_id": Operational, "key_version": Operational, "wrapped": Secret,
        "created_at": Operational,
    }
    "locations" {
        "tenant_id": Operational, "id": Operational, "name": Config, "address": Config, "time_zone": Config,
        "created_at": Operational,
    }
    "services" {
        "tenant_id": Operational, "id": Operational, "name": Config, "description": Config,
        "duration_minutes": Config, "buffer_before_minutes": Config, "buffer_after_minutes": Config,
        "slot_interval_minutes": Config, "min_notice_minutes": Config, "horizon_days": Config,
        "price_paise": Config, "gst_rate_bp": Config, "sac_code": Config, "active": Config,
        "created_at": Operational, "updated_at": Operational,
    }
    "service_locations" { "tenant_id": Operational, "service_id": Config, "location_id": Config }
    "staff" {
        "tenant_id": Operational, "id": Operational, "name": Account, "member_id": Operational, "active": Config,
        "feed_token_hash": Secret, "busy_version": Operational, "created_at": Operational, "updated_at": Operational,
    }
    "staff_services" { "tenant_id": Operational, "staff_id": Config, "service_id": Config }
    "staff_hours" {
        "tenant_id": Operational, "staff_id": Operational, "weekday": Account, "start_minute": Account,
        "end_minute": Account, "location_id": Account,
    }
    "staff_overrides" {
        "tenant_id": Operational, "staff_id": Operational, "on_date": Account, "position": Operational,
        "location_id": Account, "start_minute": Account, "end_minute": Account,
    }
    "staff_time_off" {
        "tenant_id": Operational, "id": Operational, "staff_id": Operational, "starts_at": Account,
        "ends_at": Account, "reason": Account, "created_at": Operational,
    }
    "appointments" {
        "tenant_id": Operational, "id": Operational, "customer_id": Operational, "service_id": Personal,
        "staff_id": Personal, "location_id": Personal, "starts_at": Personal, "ends_at": Personal,
        "blocked_from": Operational, "blocked_until": Operational, "status": Personal, "price_paise": Personal,
        "gst_rate_bp": Personal, "notes": Personal, "series_id": Operational, "cancel_reason": Personal,
        "booked_via": Personal, "created_by": Operational, "created_at": Operational, "updated_at": Operational,
    }
    "slot_holds" {
        "tenant_id": Operational, "id": Operational, "service_id": Operational, "staff_id": Operational,
        "location_id": Operational, "starts_at": Operational, "blocked_from": Operational,
        "blocked_until": Operational, "expires_at": Operational, "appointment_id": Operational,
        "created_at": Operational,
    }
    "audit_checkpoints" {
        "tenant_id": Operational, "seq": SecurityLog, "hash": SecurityLog, "removed": SecurityLog,
        "at": SecurityLog, "signature": SecurityLog,
    }
    "privacy_requests" {
        "tenant_id": Operational, "id": Operational, "kind": Operational, "status": Operational,
        "source": Operational, "customer_id": Operational, "message": Personal, "code_hash": Secret,
        "code_expires_at": Operational, "attempts": SecurityLog, "jurisdiction": Config, "due_at": Operational,
        "created_at": Operational, "verified_at": Operational, "closed_at": Operational, "closed_by": Operational,
        "reminded_at": Operational, "report": Operational,
    }
    "retention_rules" {
        "tenant_id": Operational, "data_class": Config, "keep_days": Config, "updated_by": Operational,
        "updated_at": Operational,
    }
    "legal_holds" {
        "tenant_id": Operational, "id": Operational, "scope": SecurityLog, "customer_id": Operational,
        "data_class": SecurityLog, "reason": SecurityLog, "set_by": SecurityLog, "set_at": SecurityLog,
        "lifted_by": SecurityLog, "lifted_at": SecurityLog, "lift_reason": SecurityLog,
    }
    "retention_runs" {
        "tenant_id": Operational, "id": Operational, "started_at": Operational, "finished_at": Operational,
        "as_of": Operational, "dry_run": Operational, "started_by": Operational, "report": Aggregate,
    }
    "egress_records" {
        "tenant_id": Operational, "id": Operational, "at": SecurityLog, "processor": SecurityLog,
        "purpose": SecurityLog, "fields": SecurityLog, "host": SecurityLog, "outcome": SecurityLog,
    }
    "messaging_settings" {
        "tenant_id": Operational, "reminder_minutes": Config, "channel_order": Config, "quiet_from": Config,
        "quiet_until": Config, "services": Config, "send_confirmation": Config, "send_changes": Config,
        "follow_up_minutes": Config, "language": Config, "updated_by": Operational, "updated_at": Operational,
    }
    "business_looks" {
        "tenant_id": Operational, "accent": Config, "phone": Account, "logo_type": Config, "logo": Config,
        "cover_type": Config, "cover": Config, "updated_at": Operational,
    }
    "messaging_channels" {
        "tenant_id": Operational, "channel": Config, "account": Config, "sender": Config, "secret_sealed": Secret,
        "secret_hint": Config, "callback_secret_sealed": Secret, "verify_token": Secret, "updated_by": Operational,
        "updated_at": Operational,
    }
    "message_templates" {
        "tenant_id": Operational, "kind": Config, "language": Config, "body": Config, "whatsapp_template": Config,
        "updated_by": Operational, "updated_at": Operational,
    }
    "messages" {
        "tenant_id": Operational, "id": Operational, "customer_id": Operational, "appointment_id": Operational,
        "kind": Personal, "rule": Operational, "channel": Personal, "language": Personal,
        "idempotency_key": Operational, "status": Personal, "attempts": Operational, "due_at": Operational,
        "next_attempt_at": Operational, "claimed_until": Operational, "provider_id": Personal, "error": Operational,
        "created_at": Operational, "sent_at": Personal, "delivered_at": Personal, "read_at": Personal,
        "updated_at": Operational,
    }
    "message_wakeups" { "tenant_id": Operational, "due_at": Operational }
    "policy_acceptances" {
        "tenant_id": Operational, "id": Operational, "member_id": Account, "policy_version": Account,
        "accepted_at": Account, "ip": SecurityLog,
    }
}

/// The class of one column, if the registry has it.
pub fn class_of(table: &str, column: &str) -> Option<DataClass> {
    COLUMNS.iter().find(|c| c.table == table && c.column == column).map(|c| c.class)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn no_column_is_declared_twice() {
        let mut seen = HashSet::new();
        for c in COLUMNS {
            assert!(seen.insert((c.table, c.column)), "{}.{} is declared twice", c.table, c.column);
        }
    }

    #[test]
    fn secrets_are_never_account_or_personal() {
        assert_eq!(class_of("members", "password_hash"), Some(Secret));
        assert_eq!(class_of("sessions", "token_hash"), Some(Secret));
    }
}

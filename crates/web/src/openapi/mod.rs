//! The OpenAPI 3.1 document, generated from the route table, and a viewer for it that
//! needs nothing from another site.
//!
//! Each operation carries `x-steward-permission` (the access its route declared), and
//! path parameters are named by what they identify (`member_id`, `role_id`, ...): the
//! cross-tenant test walks this document and fills each parameter with another tenant's
//! id of that kind.

use crate::routes::{ApiDoc, Route, all, get};
use axum::Json;
use axum::response::Html;
use serde_json::{Map, Value, json};

fn schemas() -> Value {
    let id = json!({ "type": "string", "format": "uuid" });
    let time = json!({ "type": "string", "format": "date-time" });
    let opt_time = json!({ "type": ["string", "null"], "format": "date-time" });
    let strings = json!({ "type": "array", "items": { "type": "string" } });
    let mut schemas = json!({
        "Error": { "type": "object", "required": ["error"], "properties": { "error": { "type": "object", "required": ["code", "message"], "properties": {
            "code": { "type": "string" }, "message": { "type": "string" }, "field": { "type": ["string", "null"] } } } } },
        "Me": { "type": "object", "properties": { "tenant_id": id, "member_id": id, "name": { "type": "string" }, "email": { "type": "string", "format": "email" },
            "role": { "type": "string" }, "email_verified": { "type": "boolean" }, "permissions": strings } },
        "Permission": { "type": "object", "properties": { "name": { "type": "string" }, "about": { "type": "string" } } },
        "Tenant": { "type": "object", "properties": { "id": id, "slug": { "type": "string" }, "name": { "type": "string" }, "country": { "type": "string" },
            "time_zone": { "type": "string" }, "gstin": { "type": ["string", "null"] }, "status": { "type": "string" }, "created_at": time } },
        "TenantChange": { "type": "object", "additionalProperties": false, "properties": { "name": { "type": "string" }, "slug": { "type": "string" },
            "country": { "type": "string" }, "time_zone": { "type": "string", "description": "IANA name, e.g. Asia/Kolkata" },
            "gstin": { "type": "string", "description": "15 characters with a valid check character; empty to clear" } } },
        "Member": { "type": "object", "properties": { "id": id, "email": { "type": "string" }, "name": { "type": "string" }, "phone": { "type": ["string", "null"] },
            "role_id": id, "role": { "type": "string" }, "email_verified": { "type": "boolean" }, "last_login_at": opt_time, "created_at": time } },
        "MemberChange": { "type": "object", "additionalProperties": false, "required": ["role"], "properties": { "role": { "type": "string", "description": "role id or name" } } },
        "Invitation": { "type": "object", "properties": { "id": id, "email": { "type": "string" }, "role": { "type": "string" }, "expires_at": time } },
        "InvitationNew": { "type": "object", "additionalProperties": false, "required": ["email", "role"], "properties": { "email": { "type": "string" }, "role": { "type": "string" } } },
        "Role": { "type": "object", "properties": { "id": id, "name": { "type": "string" }, "permissions": strings, "builtin": { "type": "boolean" } } },
        "RoleNew": { "type": "object", "additionalProperties": false, "required": ["name", "permissions"], "properties": { "name": { "type": "string" }, "permissions": strings } },
        "RoleChange": { "type": "object", "additionalProperties": false, "properties": { "name": { "type": "string" }, "permissions": strings } },
        "Token": { "type": "object", "properties": { "id": id, "name": { "type": "string" }, "hint": { "type": "string" }, "scopes": strings,
            "created_at": time, "expires_at": opt_time, "last_used_at": opt_time, "revoked": { "type": "boolean" } } },
        "TokenNew": { "type": "object", "additionalProperties": false, "required": ["name", "scopes"], "properties": { "name": { "type": "string" }, "scopes": strings,
            "expires_in_days": { "type": ["integer", "null"], "minimum": 1, "maximum": 3650 } } },
        "AuditEvent": { "type": "object", "properties": { "seq": { "type": "integer" }, "id": id, "at": time, "actor_type": { "type": "string" },
            "actor_id": { "type": ["string", "null"] }, "action": { "type": "string" }, "target_type": { "type": ["string", "null"] },
            "target_id": { "type": ["string", "null"] }, "details": { "type": "object" }, "request_id": { "type": ["string", "null"] },
            "ip": { "type": ["string", "null"] }, "user_agent": { "type": ["string", "null"] }, "hash": { "type": "string" } } },
        "AuditVerification": { "type": "object", "properties": { "intact": { "type": "boolean" }, "checked": { "type": "integer" },
            "first_break": { "type": ["string", "null"] }, "first_broken_seq": { "type": ["integer", "null"] } } },
        "DailyUsage": { "type": "object", "properties": { "date": { "type": "string", "format": "date" }, "feature": { "type": "string" },
            "count": { "type": "integer" } } },
        "Problem": { "type": "object", "properties": { "at": time, "request_id": { "type": "string" }, "method": { "type": "string" },
            "route": { "type": "string" }, "status": { "type": "integer" }, "latency_ms": { "type": "integer" },
            "kind": { "type": "string", "enum": ["error", "slow"] } } },
        "CreatedToken": { "allOf": [ { "$ref": "#/components/schemas/Token" }, { "type": "object", "properties": { "token": { "type": "string", "description": "shown once" } } } ] },
    });
    for more in [customer_schemas(), booking_schemas(), privacy_schemas(), messaging_schemas()] {
        if let (Some(all), Value::Object(more)) = (schemas.as_object_mut(), more) {
            all.extend(more);
        }
    }
    schemas
}

/// Retention, legal holds, the lifecycle, egress, and people's privacy requests.
fn messaging_schemas() -> Value {
    let id = json!({ "type": "string", "format": "uuid" });
    let time = json!({ "type": "string", "format": "date-time" });
    let opt_time = json!({ "type": ["string", "null"], "format": "date-time" });
    let opt_text = json!({ "type": ["string", "null"] });
    let channel = json!({ "type": "string", "enum": ["sms", "whatsapp", "email"] });
    let kind =
        json!({ "type": "string", "enum": ["confirmation", "reminder", "rescheduled", "cancelled", "follow_up"] });
    let rules = json!({ "type": "object", "additionalProperties": false,
        "required": ["reminders", "channel_order", "quiet_from", "quiet_until", "language"], "properties": {
        "reminders": { "type": "string", "description": "before the appointment: 24h, 2h (at most 4, up to 30 days)" },
        "channel_order": { "type": "string", "description": "channels in the order tried: whatsapp, sms, email" },
        "quiet_from": { "type": "string", "description": "21:00 in the business's zone" }, "quiet_until": { "type": "string" },
        "services": { "type": "array", "items": id.clone(), "description": "reminders only for these; empty for all" },
        "send_confirmation": { "type": "boolean" }, "send_changes": { "type": "boolean" },
        "follow_up_hours": { "type": ["string", "null"] }, "language": { "type": "string", "enum": ["en", "hi"] } } });
    let channel_view = json!({ "type": "object", "properties": { "channel": channel.clone(), "account": { "type": "string" },
        "sender": { "type": "string" }, "secret_hint": { "type": "string" }, "has_callback_secret": { "type": "boolean" },
        "status_url": { "type": "string" }, "inbound_url": opt_text.clone(), "verify_token": opt_text.clone() } });
    json!({
        "MessagingRules": rules,
        "MessagingSettings": { "type": "object", "properties": { "rules": { "$ref": "#/components/schemas/MessagingRules" },
            "channels": { "type": "array", "items": channel_view.clone() }, "ready": { "type": "array", "items": channel.clone() } } },
        "MessagingChannel": channel_view,
        "MessagingChannelNew": { "type": "object", "additionalProperties": false, "required": ["channel", "account", "sender", "secret"], "properties": {
            "channel": { "type": "string", "enum": ["sms", "whatsapp"] },
            "account": { "type": "string", "description": "Twilio account SID (AC…) or WhatsApp phone number id" },
            "sender": { "type": "string", "description": "sending number (E.164) or messaging service SID (MG…); for WhatsApp the number customers see" },
            "secret": { "type": "string", "description": "Twilio auth token or WhatsApp access token; sealed, never returned" },
            "callback_secret": { "type": "string", "description": "WhatsApp: the app secret webhooks are signed with" } } },
        "MessageTemplate": { "type": "object", "properties": { "kind": kind.clone(), "kind_label": { "type": "string" },
            "language": { "type": "string" }, "body": { "type": "string" }, "whatsapp_template": { "type": "string" },
            "custom": { "type": "boolean" }, "preview": { "type": "string" } } },
        "MessageTemplateChange": { "type": "object", "additionalProperties": false, "required": ["kind", "language", "body"], "properties": {
            "kind": kind, "language": { "type": "string", "enum": ["en", "hi"] },
            "body": { "type": "string", "maxLength": 1500, "description": "placeholders: {first_name} {business} {service} {staff} {time} {link}" },
            "whatsapp_template": { "type": "string" } } },
        "TemplatePreview": { "type": "object", "additionalProperties": false, "required": ["body"], "properties": { "body": { "type": "string" } } },
        "TemplatePreviewText": { "type": "object", "properties": { "text": { "type": "string" } } },
        "MessageTest": { "type": "object", "additionalProperties": false, "required": ["channel", "to"], "properties": {
            "channel": channel.clone(), "to": { "type": "string" } } },
        "MessageTestResult": { "type": "object", "properties": { "channel": channel.clone(), "sent": { "type": "boolean" },
            "provider_id": opt_text.clone(), "error": opt_text.clone() } },
        "Message": { "type": "object", "properties": { "id": id.clone(), "customer_id": id, "appointment_id": { "type": ["string", "null"], "format": "uuid" },
            "kind": { "type": "string" }, "kind_label": { "type": "string" }, "channel": { "type": ["string", "null"] },
            "status": { "type": "string", "enum": ["pending", "sending", "sent", "delivered", "read", "failed", "withdrawn", "skipped"] },
            "attempts": { "type": "integer" }, "provider_id": opt_text.clone(), "error": opt_text,
            "due_at": time.clone(), "next_attempt_at": time.clone(), "created_at": time, "sent_at": opt_time.clone(),
            "delivered_at": opt_time.clone(), "read_at": opt_time } },
    })
}

fn privacy_schemas() -> Value {
    let id = json!({ "type": "string", "format": "uuid" });
    let time = json!({ "type": "string", "format": "date-time" });
    let opt_time = json!({ "type": ["string", "null"], "format": "date-time" });
    let strings = json!({ "type": "array", "items": { "type": "string" } });
    json!({
        "RetentionRule": { "type": "object", "properties": { "data_class": { "type": "string", "enum": ["usage", "security_log", "personal"] },
            "keep_days": { "type": ["integer", "null"], "description": "null: while the account is active (security logs) or until deleted on request (customer data)" },
            "chosen": { "type": "boolean" }, "meaning": { "type": "string" } } },
        "RetentionRuleChange": { "type": "object", "additionalProperties": false, "required": ["data_class"], "properties": {
            "data_class": { "type": "string", "enum": ["usage", "security_log", "personal"] },
            "keep_days": { "type": ["integer", "null"], "minimum": 1 }, "default": { "type": "boolean", "description": "go back to the operator's default" } } },
        "RetentionRun": { "type": "object", "properties": { "id": id, "started_at": time, "as_of": time, "started_by": { "type": "string" },
            "report": { "type": "object", "description": "removed: rows by kind; lifecycle; held: what a legal hold kept" } } },
        "LegalHold": { "type": "object", "properties": { "id": id, "scope": { "type": "string", "enum": ["tenant", "customer", "class"] },
            "customer_id": { "type": ["string", "null"], "format": "uuid" }, "data_class": { "type": ["string", "null"] }, "reason": { "type": "string" },
            "set_by": { "type": "string" }, "set_at": time, "in_force": { "type": "boolean" }, "lifted_by": { "type": ["string", "null"] },
            "lifted_at": opt_time, "lift_reason": { "type": ["string", "null"] } } },
        "LegalHoldNew": { "type": "object", "additionalProperties": false, "required": ["scope", "reason"], "properties": {
            "scope": { "type": "string", "enum": ["tenant", "customer", "class"] }, "customer_id": { "type": "string", "format": "uuid" },
            "data_class": { "type": "string" }, "reason": { "type": "string", "maxLength": 500 } } },
        "LegalHoldLift": { "type": "object", "additionalProperties": false, "required": ["reason"], "properties": { "reason": { "type": "string", "maxLength": 500 } } },
        "Lifecycle": { "type": "object", "properties": { "status": { "type": "string", "enum": ["active", "cancelled", "terminated", "purged"] },
            "cancelled_at": opt_time, "terminates_at": opt_time, "terminated_at": opt_time, "purge_at": opt_time, "purged_at": opt_time,
            "purge_finished_at": opt_time, "reason": { "type": ["string", "null"] } } },
        "Cancellation": { "type": "object", "additionalProperties": false, "properties": { "reason": { "type": "string", "maxLength": 500 } } },
        "EgressRecord": { "type": "object", "properties": { "id": id, "at": time, "processor": { "type": "string" }, "purpose": { "type": "string" },
            "fields": strings, "host": { "type": "string" }, "outcome": { "type": "string" } } },
        "MemberData": { "type": "object", "description": "one array of rows per table: members, sessions, api_tokens, policy_acceptances, audit_events, usage_events",
            "additionalProperties": { "type": "array", "items": { "type": "object" } } },
        "PrivacyRequest": { "type": "object", "properties": { "id": id, "kind": { "type": "string", "enum": ["access", "correction", "erasure"] },
            "status": { "type": "string", "enum": ["open", "done", "rejected"] }, "source": { "type": "string", "enum": ["privacy_page", "counter", "platform"] },
            "customer_id": { "type": ["string", "null"], "format": "uuid" }, "customer_name": { "type": ["string", "null"] },
            "message": { "type": ["string", "null"] }, "jurisdiction": { "type": "string" }, "due_at": opt_time, "overdue": { "type": "boolean" },
            "created_at": time, "verified_at": opt_time, "closed_at": opt_time, "report": { "type": ["object", "null"] } } },
        "PrivacyRequestNew": { "type": "object", "additionalProperties": false, "required": ["customer_id", "kind"], "properties": {
            "customer_id": id, "kind": { "type": "string", "enum": ["access", "correction", "erasure"] }, "message": { "type": "string", "maxLength": 2000 } } },
        "PrivacyRequestClose": { "type": "object", "additionalProperties": false, "required": ["outcome"], "properties": {
            "outcome": { "type": "string", "enum": ["done", "rejected"] }, "note": { "type": "string" } } },
        "ErasureChoice": { "type": "object", "additionalProperties": false, "properties": {
            "keep_appointments_anonymized": { "type": "boolean", "description": "keep the person's appointments for statistics, detached from them" } } },
        "ErasureReport": { "type": "object", "properties": { "preview": { "type": "boolean" },
            "found": { "type": "array", "items": { "type": "array" }, "description": "[table, rows]" },
            "done": { "type": "array", "items": { "type": "array" }, "description": "[table, delete|anonymize|clear_text, rows]" },
            "kept": { "type": "array", "items": { "type": "array" }, "description": "[record, reason]" }, "key_destroyed": { "type": "boolean" } } },
        "PrivacySettings": { "type": "object", "additionalProperties": false, "required": ["jurisdiction"], "properties": {
            "jurisdiction": { "type": "string", "enum": ["gdpr", "dpdp", "ccpa"] } } }
    })
}

/// Customers, their fields, notes, consents, merges and imports.
fn customer_schemas() -> Value {
    let id = json!({ "type": "string", "format": "uuid" });
    let time = json!({ "type": "string", "format": "date-time" });
    let opt_time = json!({ "type": ["string", "null"], "format": "date-time" });
    let strings = json!({ "type": "array", "items": { "type": "string" } });
    json!({
        "CustomerSummary": { "type": "object", "properties": { "id": id, "name": { "type": "string" }, "phone": { "type": ["string", "null"] },
            "email": { "type": ["string", "null"] }, "last_visit_at": opt_time, "created_at": time } },
        "CustomerPage": { "type": "object", "properties": { "customers": { "type": "array", "items": { "$ref": "#/components/schemas/CustomerSummary" } },
            "next_cursor": { "type": ["string", "null"], "description": "pass as cursor for the next page" } } },
        "CustomerNew": { "type": "object", "additionalProperties": false, "properties": {
            "name": { "type": "string" }, "phone": { "type": "string", "description": "any format; E.164 stored, the business's country by default" },
            "email": { "type": "string" }, "address": { "type": "string" }, "date_of_birth": { "type": "string", "format": "date" },
            "source": { "type": "string", "enum": ["walk_in", "phone", "online_booking", "import", "referral", "api", "other"] },
            "preferred_channel": { "type": "string", "enum": ["sms", "whatsapp", "email"] }, "tags": strings,
            "fields": { "type": "object", "description": "field id or label to value; empty clears", "additionalProperties": true },
            "consents": { "type": "array", "items": { "$ref": "#/components/schemas/ConsentNew" } } } },
        "Customer": { "type": "object", "properties": { "id": id, "name": { "type": "string" }, "phone": { "type": ["string", "null"] },
            "email": { "type": ["string", "null"] }, "address": { "type": ["string", "null"] }, "date_of_birth": { "type": ["string", "null"] },
            "source": { "type": "string" }, "preferred_channel": { "type": ["string", "null"] }, "tags": strings, "last_visit_at": opt_time,
            "created_at": time, "updated_at": time,
            "fields": { "type": "array", "items": { "type": "object", "properties": { "field_id": id, "label": { "type": "string" }, "kind": { "type": "string" },
                "data_class": { "type": "string" }, "value": { "type": ["string", "null"] }, "present": { "type": "boolean" }, "hidden": { "type": "boolean" } } } },
            "notes": { "type": "array", "items": { "$ref": "#/components/schemas/Note" } },
            "consents": { "type": "array", "items": { "$ref": "#/components/schemas/Consent" } },
            "possible_duplicates": { "type": "array", "items": { "$ref": "#/components/schemas/CustomerSummary" } } } },
        "Note": { "type": "object", "properties": { "id": id, "author": { "type": ["string", "null"] }, "private": { "type": "boolean" },
            "body": { "type": ["string", "null"] }, "hidden": { "type": "boolean" }, "created_at": time } },
        "NoteNew": { "type": "object", "additionalProperties": false, "required": ["body"], "properties": { "body": { "type": "string" }, "private": { "type": "boolean" } } },
        "Consent": { "type": "object", "properties": { "channel": { "type": "string" }, "purpose": { "type": "string" }, "granted": { "type": "boolean" },
            "source": { "type": "string" }, "recorded_by": { "type": ["string", "null"] }, "recorded_at": time } },
        "ConsentNew": { "type": "object", "additionalProperties": false, "required": ["channel", "purpose", "granted"], "properties": {
            "channel": { "type": "string", "enum": ["sms", "whatsapp", "email"] }, "purpose": { "type": "string", "enum": ["reminders", "marketing"] },
            "granted": { "type": "boolean" }, "source": { "type": "string", "description": "form, verbal, paper, online_booking, ..." } } },
        "MergeRequest": { "type": "object", "additionalProperties": false, "required": ["remove"], "properties": { "remove": id, "preview": { "type": "boolean" } } },
        "MergeReport": { "type": "object", "properties": { "kept": { "$ref": "#/components/schemas/CustomerSummary" }, "removed": { "$ref": "#/components/schemas/CustomerSummary" },
            "notes_moved": { "type": "integer" }, "consents_moved": { "type": "integer" }, "tags_added": strings, "details_filled": strings,
            "fields_moved": strings, "fields_kept": strings, "applied": { "type": "boolean" } } },
        "DuplicateGroup": { "type": "object", "properties": { "reason": { "type": "string", "enum": ["phone", "email", "name"] },
            "customers": { "type": "array", "items": { "$ref": "#/components/schemas/CustomerSummary" } } } },
        "CustomerField": { "type": "object", "properties": { "id": id, "label": { "type": "string" }, "kind": { "type": "string" },
            "data_class": { "type": "string", "enum": ["personal", "sensitive"] }, "options": strings, "position": { "type": "integer" } } },
        "CustomerFieldNew": { "type": "object", "additionalProperties": false, "required": ["label", "kind", "data_class"], "properties": {
            "label": { "type": "string" }, "kind": { "type": "string", "enum": ["text", "number", "date", "select", "multi_select", "yes_no"] },
            "data_class": { "type": "string", "enum": ["personal", "sensitive"] }, "options": strings } },
        "CustomerFieldChange": { "type": "object", "additionalProperties": false, "properties": { "label": { "type": "string" }, "options": strings,
            "position": { "type": "integer" } } },
        "ImportReport": { "type": "object", "properties": { "rows_read": { "type": "integer" }, "created": { "type": "integer" }, "updated": { "type": "integer" },
            "skipped_duplicates": { "type": "integer" }, "applied": { "type": "boolean" }, "dry_run": { "type": "boolean" },
            "rejected": { "type": "array", "items": { "type": "object", "properties": { "line": { "type": "integer" }, "field": { "type": ["string", "null"] }, "reason": { "type": "string" } } } },
            "mapping": { "type": "array", "items": { "type": "array", "items": { "type": "string" } } } } },
        "ImportPreview": { "type": "object", "properties": { "headers": strings, "guessed": { "type": "array", "items": { "type": ["string", "null"] } },
            "rows": { "type": "array", "items": strings } } },
    })
}

/// Locations, services, staff, availability and appointments.
fn booking_schemas() -> Value {
    let id = json!({ "type": "string", "format": "uuid" });
    let ids = json!({ "type": "array", "items": { "type": "string", "format": "uuid" } });
    let text = json!({ "type": "string" });
    let opt_text = json!({ "type": ["string", "null"] });
    let int = json!({ "type": "integer" });
    let local = json!({ "type": "string", "description": "2026-12-01T10:30 in time_zone, or with its offset: 2026-12-01T10:30+05:30" });
    let amount = json!({ "type": ["string", "number"] });
    let range = json!({ "type": "object", "additionalProperties": false, "required": ["start", "end", "location_id"], "properties": {
        "start": { "type": "string", "description": "09:30" }, "end": { "type": "string", "description": "13:00 (24:00 for midnight)" }, "location_id": id } });
    let hours = json!({ "type": "object", "additionalProperties": false, "required": ["weekday", "start", "end", "location_id"], "properties": {
        "weekday": { "type": "string", "enum": ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"] },
        "start": text, "end": text, "location_id": id } });
    json!({
        "Location": { "type": "object", "properties": { "id": id, "name": text, "address": opt_text, "time_zone": text, "created_at": text } },
        "LocationNew": { "type": "object", "additionalProperties": false, "properties": { "name": text, "address": text,
            "time_zone": { "type": "string", "description": "IANA name; the business's by default" } } },
        "Service": { "type": "object", "properties": { "id": id, "name": text, "description": opt_text, "duration_minutes": int,
            "buffer_before_minutes": int, "buffer_after_minutes": int, "slot_interval_minutes": int, "min_notice_minutes": int,
            "horizon_days": int, "price": { "type": "string", "description": "rupees, 499.00" }, "price_paise": int,
            "gst_rate": { "type": "string", "description": "percent" }, "sac_code": opt_text, "active": { "type": "boolean" },
            "location_ids": ids, "staff_ids": ids } },
        "ServiceNew": { "type": "object", "additionalProperties": false, "properties": { "name": text, "description": text,
            "duration_minutes": int, "buffer_before_minutes": int, "buffer_after_minutes": int, "slot_interval_minutes": int,
            "min_notice_minutes": int, "horizon_days": int, "price": amount, "gst_rate": amount,
            "sac_code": { "type": "string", "description": "six digits starting with 99" }, "active": { "type": "boolean" }, "location_ids": ids } },
        "Staff": { "type": "object", "properties": { "id": id, "name": text, "member_id": { "type": ["string", "null"], "format": "uuid" },
            "active": { "type": "boolean" }, "service_ids": ids, "hours": { "type": "array", "items": hours },
            "overrides": { "type": "array", "items": { "type": "object", "properties": { "date": text, "ranges": { "type": "array", "items": range } } } },
            "has_calendar_feed": { "type": "boolean" } } },
        "StaffNew": { "type": "object", "additionalProperties": false, "properties": { "name": text,
            "member_id": { "type": "string", "description": "the member who logs in as this person; empty to unlink" },
            "active": { "type": "boolean" }, "service_ids": ids } },
        "WeekHours": { "type": "object", "additionalProperties": false, "required": ["hours"], "properties": { "hours": { "type": "array", "items": hours } } },
        "OverrideNew": { "type": "object", "additionalProperties": false, "required": ["date"], "properties": {
            "date": { "type": "string", "format": "date" }, "ranges": { "type": "array", "items": range },
            "remove": { "type": "boolean", "description": "true: the weekly hours apply again" } } },
        "TimeOff": { "type": "object", "properties": { "id": id, "staff_id": id, "starts_at": text, "ends_at": text, "reason": opt_text } },
        "TimeOffNew": { "type": "object", "additionalProperties": false, "required": ["starts_at", "ends_at"], "properties": {
            "starts_at": local, "ends_at": local, "time_zone": text, "reason": text } },
        "FeedLink": { "type": "object", "properties": { "url": { "type": "string", "description": "shown once" } } },
        "Availability": { "type": "object", "properties": { "service_id": id, "time_zone": text, "days": { "type": "array", "items": {
            "type": "object", "properties": { "date": text, "slots": { "type": "array", "items": { "type": "object", "properties": {
                "start": text, "staff_id": id, "staff_name": text, "location_id": id } } } } } } } },
        "Appointment": { "type": "object", "properties": { "id": id, "customer_id": id, "customer_name": text, "service_id": id,
            "service_name": text, "staff_id": id, "staff_name": text, "location_id": id, "location_name": text, "time_zone": text,
            "start": text, "end": text, "status": { "type": "string", "enum": ["booked", "confirmed", "arrived", "completed", "no_show", "cancelled"] },
            "price": text, "gst_rate": text, "notes": opt_text, "series_id": { "type": ["string", "null"], "format": "uuid" },
            "cancel_reason": opt_text, "booked_via": { "type": "string", "enum": ["staff", "online", "api"] }, "created_at": text, "updated_at": text } },
        "AppointmentNew": { "type": "object", "additionalProperties": false, "required": ["service_id", "start"], "properties": {
            "customer_id": id, "customer": { "$ref": "#/components/schemas/CustomerNew" }, "service_id": id,
            "staff_id": { "type": "string", "description": "an id, or empty/anyone" }, "location_id": id, "start": local,
            "time_zone": { "type": "string", "description": "IANA name; the location's by default" }, "notes": text,
            "repeat": { "type": "object", "additionalProperties": false, "required": ["every_weeks"], "properties": {
                "every_weeks": int, "until": { "type": "string", "format": "date" }, "count": int } } } },
        "BookingResult": { "type": "object", "properties": { "appointments": { "type": "array", "items": { "$ref": "#/components/schemas/Appointment" } },
            "conflicts": { "type": "array", "items": { "type": "object", "properties": { "start": text, "reason": text,
                "next_free": { "type": "array", "items": text } } } } } },
        "AppointmentChange": { "type": "object", "additionalProperties": false, "properties": { "start": local, "staff_id": id,
            "location_id": id, "time_zone": text, "notes": text } },
        "StatusChange": { "type": "object", "additionalProperties": false, "required": ["status"], "properties": {
            "status": { "type": "string", "enum": ["booked", "confirmed", "arrived", "completed", "no_show", "cancelled"] },
            "reason": { "type": "string", "description": "required to cancel" } } },
    })
}

fn reference(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn operation(summary: &str, permission: &str, path: &str, doc: &ApiDoc) -> Value {
    let mut op = Map::new();
    op.insert("summary".into(), json!(summary));
    op.insert("x-steward-permission".into(), json!(permission));
    let params: Vec<Value> = path
        .split('/')
        .filter_map(|segment| segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string", "format": "uuid" } }))
        .collect();
    if !params.is_empty() {
        op.insert("parameters".into(), Value::Array(params));
    }
    if let Some(request) = doc.request {
        op.insert(
            "requestBody".into(),
            json!({ "required": true, "content": { "application/json": { "schema": reference(request) } } }),
        );
    }
    let error = json!({ "content": { "application/json": { "schema": reference("Error") } } });
    let mut responses = Map::new();
    let success = match doc.response {
        Some(name) => {
            let schema = if doc.list { json!({ "type": "array", "items": reference(name) }) } else { reference(name) };
            json!({ "description": "success", "content": { "application/json": { "schema": schema } } })
        }
        None if doc.success_status == 200 => json!({ "description": "a file: JSON lines or CSV" }),
        None => json!({ "description": "done, no content" }),
    };
    responses.insert(doc.success_status.to_string(), success);
    for (status, description) in [
        ("401", "no valid token"),
        ("403", "the token's role or scopes lack the permission"),
        ("404", "not found in this tenant"),
        ("409", "conflicts with what is stored; a taken time lists `next_free` start times"),
        ("422", "a field is not valid; `field` names it"),
    ] {
        let mut e = error.clone();
        if let Some(obj) = e.as_object_mut() {
            obj.insert("description".into(), json!(description));
        }
        responses.insert(status.into(), e);
    }
    op.insert("responses".into(), Value::Object(responses));
    op.insert("security".into(), json!([{ "bearer": [] }]));
    Value::Object(op)
}

/// The document as JSON.
pub fn build() -> Value {
    let mut paths: Map<String, Value> = Map::new();
    for spec in all() {
        let Some(doc) = spec.api else { continue };
        let entry = paths.entry(spec.path.to_string()).or_insert_with(|| json!({}));
        if let Some(methods) = entry.as_object_mut() {
            methods.insert(
                spec.method.as_str().to_ascii_lowercase(),
                operation(spec.summary, spec.access.describe(), spec.path, &doc),
            );
        }
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Steward API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Steward's JSON API. Authenticate with `Authorization: Bearer stw_...`, a token created under My API tokens. \
                Errors are `{\"error\": {\"code\", \"message\", \"field\"}}`. Every operation names the permission it needs in `x-steward-permission`."
        },
        "servers": [{ "url": "/" }],
        "paths": paths,
        "components": {
            "schemas": schemas(),
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer", "description": "an API token: stw_<tenant>_<secret>" } }
        }
    })
}

pub async fn document() -> Json<Value> {
    Json(build())
}

pub async fn viewer() -> Html<&'static str> {
    Html(include_str!("api_docs.html"))
}

/// The routes of this capability.
pub fn routes() -> Vec<Route> {
    vec![
        get("/api/v1/openapi.json", document).public().about("This API's OpenAPI document"),
        get("/api/docs", viewer).public().about("A readable view of the API document"),
    ]
}

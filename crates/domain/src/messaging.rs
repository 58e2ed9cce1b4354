//! Messages to customers (MSG-1): which kinds there are, the only fields a template may
//! use, the rules a business sets (when, which channels in which order, quiet hours), and
//! the opt-out words a reply may carry.
//!
//! A template is text with `{placeholders}`; only [`PLACEHOLDERS`] exist, so nothing else
//! about a customer (notes, address, sensitive fields) can be put into a message by
//! anyone, whatever they type.

use crate::ValidationError;
use crate::customers::Channel;
use jiff::tz::TimeZone;
use serde::Serialize;

/// What a message is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
#[schemars(rename = "MessageKind")]
pub enum Kind {
    Reminder,
    Confirmation,
    Rescheduled,
    Cancelled,
    FollowUp,
}

impl Kind {
    pub const ALL: &'static [Kind] =
        &[Kind::Confirmation, Kind::Reminder, Kind::Rescheduled, Kind::Cancelled, Kind::FollowUp];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Reminder => "reminder",
            Kind::Confirmation => "confirmation",
            Kind::Rescheduled => "rescheduled",
            Kind::Cancelled => "cancelled",
            Kind::FollowUp => "follow_up",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Kind::Reminder => "Reminder",
            Kind::Confirmation => "Booking confirmation",
            Kind::Rescheduled => "Rescheduled notice",
            Kind::Cancelled => "Cancellation notice",
            Kind::FollowUp => "Follow-up after the visit",
        }
    }

    pub fn parse(field: &str, raw: &str) -> Result<Kind, ValidationError> {
        Kind::ALL.iter().copied().find(|k| k.name() == raw.trim()).ok_or_else(|| {
            ValidationError::new(
                field,
                "must be one of: confirmation, reminder, rescheduled, cancelled, follow_up".to_string(),
            )
        })
    }
}

/// Languages templates are written in; the first is the default.
pub const LANGUAGES: &[(&str, &str)] = &[("en", "English"), ("hi", "हिन्दी (Hindi)")];

pub fn parse_language(field: &str, raw: &str) -> Result<&'static str, ValidationError> {
    LANGUAGES
        .iter()
        .map(|(code, _)| *code)
        .find(|code| *code == raw.trim())
        .ok_or_else(|| ValidationError::new(field, "must be one of: en, hi"))
}

/// The only things a message may say, by placeholder name.
pub const PLACEHOLDERS: &[(&str, &str)] = &[
    ("first_name", "the customer's first name"),
    ("business", "the business's name"),
    ("service", "the service booked"),
    ("staff", "the staff member's first name"),
    ("time", "the appointment's date and time"),
    ("link", "the link to manage the booking"),
];

/// The values of the placeholders for one message; nothing else reaches the text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessageFields {
    pub first_name: String,
    pub business: String,
    pub service: String,
    pub staff: String,
    pub time: String,
    pub link: String,
}

impl MessageFields {
    fn value(&self, placeholder: &str) -> &str {
        match placeholder {
            "first_name" => &self.first_name,
            "business" => &self.business,
            "service" => &self.service,
            "staff" => &self.staff,
            "time" => &self.time,
            "link" => &self.link,
            _ => "",
        }
    }
}

/// Longest template Steward accepts (an SMS of ten segments).
pub const MAX_TEMPLATE: usize = 1500;

/// A checked template: its text and the placeholders it uses, in order of appearance
/// (which is the order of a WhatsApp template's `{{1}}`, `{{2}}`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub body: String,
    pub uses: Vec<&'static str>,
}

impl Template {
    /// Checks a template's text, naming the first unknown or unclosed placeholder.
    pub fn parse(field: &str, raw: &str) -> Result<Template, ValidationError> {
        let body = raw.trim().replace("\r\n", "\n");
        if body.is_empty() {
            return Err(ValidationError::new(field, "is required"));
        }
        if body.chars().count() > MAX_TEMPLATE {
            return Err(ValidationError::new(field, format!("is longer than {MAX_TEMPLATE} characters")));
        }
        let mut uses = Vec::new();
        let mut rest = body.as_str();
        while let Some(open) = rest.find('{') {
            let after = &rest[open + 1..];
            let close = after.find('}').ok_or_else(|| ValidationError::new(field, "has a { without a closing }"))?;
            let name = after[..close].trim();
            let known = PLACEHOLDERS.iter().find(|(p, _)| *p == name).ok_or_else(|| {
                let allowed: Vec<String> = PLACEHOLDERS.iter().map(|(p, _)| format!("{{{p}}}")).collect();
                ValidationError::new(
                    field,
                    format!("{{{name}}} is not a field a message may use; use {}", allowed.join(", ")),
                )
            })?;
            uses.push(known.0);
            rest = &after[close + 1..];
        }
        if rest.contains('}') {
            return Err(ValidationError::new(field, "has a } without an opening {"));
        }
        Ok(Template { body, uses })
    }

    /// The text with each placeholder replaced by its value.
    pub fn render(&self, fields: &MessageFields) -> String {
        let mut out = String::with_capacity(self.body.len() + 64);
        let mut rest = self.body.as_str();
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let Some(close) = after.find('}') else { break };
            out.push_str(fields.value(after[..close].trim()));
            rest = &after[close + 1..];
        }
        out.push_str(rest);
        out
    }

    /// The values of the placeholders in order, as a WhatsApp template's body parameters.
    pub fn parameters<'a>(&self, fields: &'a MessageFields) -> Vec<&'a str> {
        self.uses.iter().map(|p| fields.value(p)).collect()
    }
}

/// The words Steward starts with, per kind and language, until a business writes its own.
pub fn default_template(kind: Kind, language: &str) -> &'static str {
    match (kind, language) {
        (Kind::Reminder, "hi") => {
            "नमस्ते {first_name}, {business} में आपकी {service} की बुकिंग {time} पर है ({staff} के साथ)। बदलने के लिए: {link}"
        }
        (Kind::Confirmation, "hi") => {
            "नमस्ते {first_name}, {business} में {service} की आपकी बुकिंग {time} के लिए पक्की है। बदलने के लिए: {link}"
        }
        (Kind::Rescheduled, "hi") => {
            "नमस्ते {first_name}, {business} में {service} की आपकी बुकिंग अब {time} पर है। बदलने के लिए: {link}"
        }
        (Kind::Cancelled, "hi") => {
            "नमस्ते {first_name}, {business} में {time} की {service} की बुकिंग रद्द कर दी गई है। नई बुकिंग: {link}"
        }
        (Kind::FollowUp, "hi") => "नमस्ते {first_name}, {business} आने के लिए धन्यवाद! फिर से बुक करें: {link}",
        (Kind::Reminder, _) => {
            "Hi {first_name}, a reminder of your {service} at {business} on {time} with {staff}. Manage your booking: {link}"
        }
        (Kind::Confirmation, _) => {
            "Hi {first_name}, your {service} at {business} on {time} is booked. Manage your booking: {link}"
        }
        (Kind::Rescheduled, _) => {
            "Hi {first_name}, your {service} at {business} has moved to {time}. Manage your booking: {link}"
        }
        (Kind::Cancelled, _) => {
            "Hi {first_name}, your {service} at {business} on {time} is cancelled. Book again: {link}"
        }
        (Kind::FollowUp, _) => "Hi {first_name}, thank you for visiting {business}! Book your next visit: {link}",
    }
}

/// The approved WhatsApp template name Steward suggests for a kind.
pub fn default_whatsapp_template(kind: Kind) -> String {
    format!("steward_{}", kind.name())
}

/// A WhatsApp template name as Meta accepts them: lowercase letters, digits, underscores.
pub fn parse_whatsapp_template(field: &str, raw: &str) -> Result<String, ValidationError> {
    let name = raw.trim();
    if name.is_empty()
        || name.len() > 512
        || !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        return Err(ValidationError::new(
            field,
            "must be the approved template's name: lowercase letters, digits and _",
        ));
    }
    Ok(name.to_string())
}

/// When and how a business reminds its customers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    /// Minutes before the appointment, largest first.
    pub reminder_minutes: Vec<i64>,
    /// Channels in the order they are tried.
    pub channel_order: Vec<Channel>,
    /// Quiet hours, minutes after local midnight; `from == until` means none.
    pub quiet_from: i64,
    pub quiet_until: i64,
    /// Services reminders are sent for; empty means all.
    pub services: Vec<uuid::Uuid>,
    pub send_confirmation: bool,
    pub send_changes: bool,
    pub follow_up_minutes: Option<i64>,
    pub language: &'static str,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            reminder_minutes: vec![24 * 60, 2 * 60],
            channel_order: vec![Channel::Whatsapp, Channel::Sms, Channel::Email],
            quiet_from: 21 * 60,
            quiet_until: 8 * 60,
            services: Vec::new(),
            send_confirmation: true,
            send_changes: true,
            follow_up_minutes: None,
            language: "en",
        }
    }
}

/// The most reminders per appointment, and the furthest ahead one may be sent (30 days).
pub const MAX_REMINDERS: usize = 4;
pub const MAX_REMINDER_MINUTES: i64 = 30 * 24 * 60;

/// `1440, 120` or `24h, 2h` or `1d`: minutes before the appointment.
pub fn parse_offsets(field: &str, raw: &str) -> Result<Vec<i64>, ValidationError> {
    let mut minutes = Vec::new();
    for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (number, unit) = match part.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
            Some((at, _)) => (&part[..at], part[at..].trim()),
            None => (part, "m"),
        };
        let n: i64 = number.parse().map_err(|_| {
            ValidationError::new(field, format!("'{part}' is not a number of minutes, hours or days such as 24h"))
        })?;
        let factor = match unit {
            "m" | "min" | "minutes" => 1,
            "h" | "hours" => 60,
            "d" | "days" => 24 * 60,
            _ => {
                return Err(ValidationError::new(
                    field,
                    format!("'{part}': write minutes (90m), hours (2h) or days (1d)"),
                ));
            }
        };
        let total = n.saturating_mul(factor);
        if !(1..=MAX_REMINDER_MINUTES).contains(&total) {
            return Err(ValidationError::new(field, format!("'{part}' must be between 1 minute and 30 days before")));
        }
        if !minutes.contains(&total) {
            minutes.push(total);
        }
    }
    if minutes.len() > MAX_REMINDERS {
        return Err(ValidationError::new(field, format!("at most {MAX_REMINDERS} reminders per appointment")));
    }
    minutes.sort_unstable_by(|a, b| b.cmp(a));
    Ok(minutes)
}

/// `whatsapp, sms, email`: each channel at most once.
pub fn parse_channel_order(field: &str, raw: &str) -> Result<Vec<Channel>, ValidationError> {
    let mut order = Vec::new();
    for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let channel = Channel::parse(field, part)?;
        if order.contains(&channel) {
            return Err(ValidationError::new(field, format!("names {} twice", channel.name())));
        }
        order.push(channel);
    }
    if order.is_empty() {
        return Err(ValidationError::new(field, "name at least one channel: whatsapp, sms or email"));
    }
    Ok(order)
}

/// `21:00` → minutes after midnight.
pub fn parse_clock(field: &str, raw: &str) -> Result<i64, ValidationError> {
    let bad = || ValidationError::new(field, "must be a time of day such as 21:00");
    let (h, m) = raw.trim().split_once(':').ok_or_else(bad)?;
    let (h, m): (i64, i64) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if !(0..24).contains(&h) || !(0..60).contains(&m) {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

pub fn format_clock(minutes: i64) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

impl Rules {
    /// Whether a local minute of the day falls in quiet hours (which may span midnight).
    pub fn is_quiet(&self, minute: i64) -> bool {
        let (from, until) = (self.quiet_from, self.quiet_until);
        if from == until {
            false
        } else if from < until {
            (from..until).contains(&minute)
        } else {
            minute >= from || minute < until
        }
    }

    /// The instant a message due at `due` may go out: `due` itself, or the end of the quiet
    /// hours it falls in, in the business's zone (the first instant that exists that day).
    pub fn after_quiet_hours(&self, due: i64, zone: &TimeZone) -> i64 {
        let Some(local) = crate::booking::local_time::zoned(due, zone) else { return due };
        let minute = i64::from(local.hour()) * 60 + i64::from(local.minute());
        if !self.is_quiet(minute) {
            return due;
        }
        let mut date = local.date();
        if minute >= self.quiet_until {
            date = date.tomorrow().unwrap_or(date);
        }
        let until = jiff::civil::Time::new((self.quiet_until / 60) as i8, (self.quiet_until % 60) as i8, 0, 0)
            .unwrap_or(jiff::civil::Time::midnight());
        zone.to_ambiguous_zoned(date.to_datetime(until))
            .compatible()
            .map(|z| z.timestamp().as_microsecond())
            .unwrap_or(due)
            .max(due)
    }

    pub fn covers_service(&self, service: uuid::Uuid) -> bool {
        self.services.is_empty() || self.services.contains(&service)
    }
}

/// Where a message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
#[schemars(rename = "MessageStatus")]
pub enum Status {
    Pending,
    Sending,
    Sent,
    Delivered,
    Read,
    Failed,
    Withdrawn,
    Skipped,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Sending => "sending",
            Status::Sent => "sent",
            Status::Delivered => "delivered",
            Status::Read => "read",
            Status::Failed => "failed",
            Status::Withdrawn => "withdrawn",
            Status::Skipped => "skipped",
        }
    }

    pub fn from_name(raw: &str) -> Option<Status> {
        [
            Status::Pending,
            Status::Sending,
            Status::Sent,
            Status::Delivered,
            Status::Read,
            Status::Failed,
            Status::Withdrawn,
            Status::Skipped,
        ]
        .into_iter()
        .find(|s| s.name() == raw)
    }

    /// How far along a message is, so a late or repeated callback never moves it back.
    pub fn rank(self) -> u8 {
        match self {
            Status::Pending | Status::Withdrawn | Status::Skipped => 0,
            Status::Sending => 1,
            Status::Sent => 2,
            Status::Delivered => 3,
            Status::Read => 4,
            Status::Failed => 5,
        }
    }

    /// A provider's delivery status word (Twilio's `MessageStatus`, WhatsApp's `status`).
    pub fn from_provider(word: &str) -> Option<Status> {
        match word {
            "sent" | "queued" | "accepted" | "sending" | "scheduled" => Some(Status::Sent),
            "delivered" => Some(Status::Delivered),
            "read" => Some(Status::Read),
            "failed" | "undelivered" | "canceled" => Some(Status::Failed),
            _ => None,
        }
    }
}

/// Whether an inbound reply withdraws consent: Twilio's standard opt-out keywords, which
/// carriers also honour, and the words WhatsApp users send to stop a business.
pub fn is_opt_out(text: &str) -> bool {
    let word = text.trim().trim_matches(|c: char| !c.is_alphanumeric()).to_ascii_uppercase();
    matches!(
        word.as_str(),
        "STOP" | "STOPALL" | "UNSUBSCRIBE" | "CANCEL" | "END" | "QUIT" | "OPTOUT" | "STOP PROMOTIONS" | "REVOKE"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> MessageFields {
        MessageFields {
            first_name: "Asha".into(),
            business: "Glow Salon".into(),
            service: "Haircut".into(),
            staff: "Ravi".into(),
            time: "Mon 1 Dec, 10:30".into(),
            link: "https://steward.example/b/glow/manage/x".into(),
        }
    }

    // promise: MSG-1
    #[test]
    fn a_template_can_only_use_the_declared_fields() {
        let error = Template::parse("body", "Hi {first_name}, your notes: {notes}").unwrap_err();
        assert_eq!(error.field, "body");
        assert!(error.message.contains("{notes} is not a field"), "{}", error.message);
        assert!(Template::parse("body", "Hi {address}").is_err());
        assert!(Template::parse("body", "Hi {first_name").is_err());
        assert!(Template::parse("body", "Hi first_name}").is_err());
        assert!(Template::parse("body", "   ").is_err());
        assert!(Template::parse("body", &"x".repeat(MAX_TEMPLATE + 1)).is_err());
    }

    #[test]
    fn templates_render_and_give_whatsapp_parameters_in_order() {
        let t = Template::parse("body", "Hi {first_name}, {service} at {time}. {first_name}!").unwrap();
        assert_eq!(t.render(&fields()), "Hi Asha, Haircut at Mon 1 Dec, 10:30. Asha!");
        assert_eq!(t.parameters(&fields()), vec!["Asha", "Haircut", "Mon 1 Dec, 10:30", "Asha"]);
    }

    #[test]
    fn every_default_template_is_valid_in_every_language() {
        for kind in Kind::ALL {
            for (language, _) in LANGUAGES {
                let t = Template::parse("body", default_template(*kind, language)).unwrap();
                assert!(t.uses.contains(&"first_name"));
            }
        }
    }

    #[test]
    fn offsets_read_minutes_hours_and_days() {
        assert_eq!(parse_offsets("r", "2h, 1d").unwrap(), vec![1440, 120]);
        assert_eq!(parse_offsets("r", "90").unwrap(), vec![90]);
        assert!(parse_offsets("r", "31d").is_err());
        assert!(parse_offsets("r", "2 weeks").is_err());
        assert!(parse_offsets("r", "1h,2h,3h,4h,5h").is_err());
        assert_eq!(parse_offsets("r", "").unwrap(), Vec::<i64>::new());
    }

    #[test]
    fn channel_order_refuses_repeats_and_unknown_channels() {
        assert_eq!(parse_channel_order("c", "sms, email").unwrap(), vec![Channel::Sms, Channel::Email]);
        assert!(parse_channel_order("c", "sms,sms").is_err());
        assert!(parse_channel_order("c", "pigeon").is_err());
        assert!(parse_channel_order("c", " ").is_err());
    }

    #[test]
    fn quiet_hours_move_a_message_to_the_morning_in_the_business_zone() {
        let rules = Rules::default();
        let zone = TimeZone::get("Asia/Kolkata").unwrap();
        let at = |s: &str| s.parse::<jiff::Timestamp>().unwrap().as_microsecond();
        // 22:30 IST is quiet: moved to 08:00 IST the next day.
        assert_eq!(rules.after_quiet_hours(at("2026-12-01T17:00:00Z"), &zone), at("2026-12-02T02:30:00Z"));
        // 06:00 IST is quiet: moved to 08:00 the same day.
        assert_eq!(rules.after_quiet_hours(at("2026-12-01T00:30:00Z"), &zone), at("2026-12-01T02:30:00Z"));
        // 12:00 IST is not.
        assert_eq!(rules.after_quiet_hours(at("2026-12-01T06:30:00Z"), &zone), at("2026-12-01T06:30:00Z"));
        let none = Rules { quiet_from: 0, quiet_until: 0, ..Rules::default() };
        assert_eq!(none.after_quiet_hours(at("2026-12-01T17:00:00Z"), &zone), at("2026-12-01T17:00:00Z"));
    }

    #[test]
    fn quiet_hours_across_a_daylight_saving_change() {
        // Quiet 01:00–03:00 in New York on the night the clocks skip 02:00–03:00.
        let rules = Rules { quiet_from: 60, quiet_until: 180, ..Rules::default() };
        let zone = TimeZone::get("America/New_York").unwrap();
        let at = |s: &str| s.parse::<jiff::Timestamp>().unwrap().as_microsecond();
        // 01:30 EST (06:30Z) → 03:00 EDT (07:00Z).
        assert_eq!(rules.after_quiet_hours(at("2026-03-08T06:30:00Z"), &zone), at("2026-03-08T07:00:00Z"));
    }

    #[test]
    fn opt_out_words() {
        for word in ["STOP", "stop", " Stop. ", "unsubscribe", "STOPALL"] {
            assert!(is_opt_out(word), "{word}");
        }
        for word in ["stopping by at 5", "yes", ""] {
            assert!(!is_opt_out(word), "{word}");
        }
    }

    #[test]
    fn provider_statuses_map_and_never_go_back() {
        assert_eq!(Status::from_provider("delivered"), Some(Status::Delivered));
        assert_eq!(Status::from_provider("undelivered"), Some(Status::Failed));
        assert!(Status::Read.rank() > Status::Delivered.rank());
        assert_eq!(Status::from_provider("weird"), None);
    }
}

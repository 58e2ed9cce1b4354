//! Calendar files (RFC 5545): one event for a booking confirmation, or a staff member's
//! whole feed. Text is escaped and lines folded at 75 octets as the format requires.

use jiff::Timestamp;

/// One event of a calendar file.
#[derive(Debug, Clone)]
pub struct Event {
    pub uid: String,
    pub start: i64,
    pub end: i64,
    pub summary: String,
    pub location: Option<String>,
    pub description: Option<String>,
    pub cancelled: bool,
}

/// A whole `VCALENDAR`, with CRLF line ends.
pub fn calendar(name: &str, events: &[Event], now: i64) -> String {
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_string(),
        "VERSION:2.0".to_string(),
        "PRODID:-//Steward//Booking//EN".to_string(),
        "CALSCALE:GREGORIAN".to_string(),
        "METHOD:PUBLISH".to_string(),
        format!("X-WR-CALNAME:{}", escape(name)),
    ];
    for event in events {
        lines.push("BEGIN:VEVENT".into());
        lines.push(format!("UID:{}", escape(&event.uid)));
        lines.push(format!("DTSTAMP:{}", utc(now)));
        lines.push(format!("DTSTART:{}", utc(event.start)));
        lines.push(format!("DTEND:{}", utc(event.end)));
        lines.push(format!("SUMMARY:{}", escape(&event.summary)));
        if let Some(location) = &event.location {
            lines.push(format!("LOCATION:{}", escape(location)));
        }
        if let Some(description) = &event.description {
            lines.push(format!("DESCRIPTION:{}", escape(description)));
        }
        lines.push(format!("STATUS:{}", if event.cancelled { "CANCELLED" } else { "CONFIRMED" }));
        lines.push("END:VEVENT".into());
    }
    lines.push("END:VCALENDAR".into());
    let mut out = String::new();
    for line in lines {
        fold_into(&mut out, &line);
    }
    out
}

fn utc(micros: i64) -> String {
    Timestamp::from_microsecond(micros).map(|t| t.strftime("%Y%m%dT%H%M%SZ").to_string()).unwrap_or_default()
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends `line` folded at 75 octets, never inside a character.
fn fold_into(out: &mut String, line: &str) {
    let mut width = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        if width + len > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += len;
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_folds() {
        let event = Event {
            uid: "a@steward".into(),
            start: 1_780_000_000_000_000,
            end: 1_780_003_600_000_000,
            summary: "Haircut, wash; dry".into(),
            location: Some("Main Road\nBengaluru".into()),
            description: Some("é".repeat(60)),
            cancelled: false,
        };
        let text = calendar("Bookings", &[event], 1_780_000_000_000_000);
        assert!(text.contains("SUMMARY:Haircut\\, wash\\; dry\r\n"));
        assert!(text.contains("LOCATION:Main Road\\nBengaluru\r\n"));
        assert!(text.lines().all(|l| l.len() <= 75));
        assert!(text.starts_with("BEGIN:VCALENDAR\r\n") && text.ends_with("END:VCALENDAR\r\n"));
    }
}

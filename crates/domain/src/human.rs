//! Values as a person reads them on a page, in the business's time zone: `₹1,800`,
//! `₹12,34,567.50` (Indian digit grouping), `Mon 7 Dec`, `10:30 am`, `3 days ago`,
//! `+91 98450 00101`.
//!
//! The API and exports keep their machine forms (`1800.00`, RFC 3339); these are for
//! pages, where a salon owner reads them. Each instant shown relatively also has its
//! exact local time, for the page to show on hover. Days and lengths of time are said in
//! the page's language (`सोम, 7 दिस॰`, `45 मिनट`, CLDR's Hindi names); a time of day reads
//! `10:30 am` in both, as Hindi writes it too.

use crate::language::Language;
use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};

/// Digits grouped the Indian way: the last three, then pairs (`12,34,567`).
pub fn group_indian(number: u64) -> String {
    let digits = number.to_string();
    if digits.len() <= 3 {
        return digits;
    }
    let (head, last_three) = digits.split_at(digits.len() - 3);
    let mut pairs: Vec<&str> = Vec::new();
    let mut rest = head;
    while rest.len() > 2 {
        let (front, pair) = rest.split_at(rest.len() - 2);
        pairs.push(pair);
        rest = front;
    }
    pairs.push(rest);
    pairs.reverse();
    format!("{},{last_three}", pairs.join(","))
}

/// An amount in paise as rupees: `₹1,800`, `₹1,499.50`, `−₹50`; paise shown only when
/// there are some.
pub fn rupees(paise: i64) -> String {
    let sign = if paise < 0 { "−" } else { "" };
    let paise = paise.unsigned_abs();
    let (whole, fraction) = (paise / 100, paise % 100);
    if fraction == 0 {
        format!("{sign}₹{}", group_indian(whole))
    } else {
        format!("{sign}₹{}.{fraction:02}", group_indian(whole))
    }
}

/// A phone number stored in E.164 as people write it: an Indian number as `+91 98450 00101`,
/// others as stored.
pub fn phone(e164: &str) -> String {
    match e164.strip_prefix("+91") {
        Some(national) if national.len() == 10 && national.bytes().all(|b| b.is_ascii_digit()) => {
            format!("+91 {} {}", &national[..5], &national[5..])
        }
        _ => e164.to_string(),
    }
}

/// WhatsApp's click-to-chat link for a number stored in E.164 (`https://wa.me/919845000101`);
/// `None` for what is not a whole international number.
pub fn whatsapp_link(e164: &str) -> Option<String> {
    let digits = e164.strip_prefix('+')?;
    (digits.len() >= 8 && digits.bytes().all(|b| b.is_ascii_digit())).then(|| format!("https://wa.me/{digits}"))
}

/// Short weekday names, Monday first (CLDR's abbreviated Hindi names).
const HINDI_WEEKDAYS: [&str; 7] = ["सोम", "मंगल", "बुध", "गुरु", "शुक्र", "शनि", "रवि"];
/// Short month names (CLDR's abbreviated Hindi names).
const HINDI_MONTHS: [&str; 12] =
    ["जन॰", "फ़र॰", "मार्च", "अप्रैल", "मई", "जून", "जुल॰", "अग॰", "सित॰", "अक्तू॰", "नव॰", "दिस॰"];

/// A day's short weekday name: `Mon`, `सोम`.
pub fn weekday(language: Language, date: Date) -> String {
    match language {
        Language::English => date.strftime("%a").to_string(),
        Language::Hindi => HINDI_WEEKDAYS[date.weekday().to_monday_zero_offset() as usize].to_string(),
    }
}

/// A day of its month: `7 Dec`, `7 दिस॰`.
pub fn day_of_month(language: Language, date: Date) -> String {
    match language {
        Language::English => date.strftime("%-d %b").to_string(),
        Language::Hindi => format!("{} {}", date.day(), HINDI_MONTHS[(date.month() - 1) as usize]),
    }
}

/// `Mon 7 Dec`, `सोम, 7 दिस॰`, with the year when asked.
fn day_words(language: Language, date: Date, with_year: bool) -> String {
    let year = if with_year { format!(" {}", date.year()) } else { String::new() };
    match language {
        Language::English => format!("{} {}{year}", weekday(language, date), day_of_month(language, date)),
        Language::Hindi => format!("{}, {}{year}", weekday(language, date), day_of_month(language, date)),
    }
}

/// A day as `Mon 7 Dec`, with the year when it is not `today`'s: `Sat 6 Dec 2025`.
pub fn day(language: Language, date: Date, today: Date) -> String {
    day_words(language, date, date.year() != today.year())
}

/// A length of time as people say it: `45 min`, `2 h`, `3 h 15 min`; `45 मिनट`,
/// `2 घंटे`, `3 घंटे 15 मिनट`.
pub fn minutes(language: Language, total: i64) -> String {
    let total = total.max(0);
    let (hour, minute) = match language {
        Language::English => ("h", "min"),
        Language::Hindi => ("घंटे", "मिनट"),
    };
    match (total / 60, total % 60) {
        (0, m) => format!("{m} {minute}"),
        (h, 0) => format!("{h} {hour}"),
        (h, m) => format!("{h} {hour} {m} {minute}"),
    }
}

/// A day with its year, for a page about one occasion: `Tue 2 Jun 2026`.
pub fn full_day(language: Language, date: Date) -> String {
    day_words(language, date, true)
}

/// An occasion from its local start to its end: `Tue 2 Jun 2026, 10:00 am – 10:30 am`
/// (the end's day too when it ends on another).
pub fn span(language: Language, start: &Zoned, end: &Zoned) -> String {
    let day = |date: Date| full_day(language, date);
    if start.date() == end.date() {
        format!("{}, {} – {}", day(start.date()), clock(start.time()), clock(end.time()))
    } else {
        format!("{}, {} – {}, {}", day(start.date()), clock(start.time()), day(end.date()), clock(end.time()))
    }
}

/// A time of day as `10:30 am`, `3:05 pm`, `12:00 pm` (noon).
pub fn clock(time: Time) -> String {
    let hour = time.hour();
    let half = if hour < 12 { "am" } else { "pm" };
    let twelve = match hour % 12 {
        0 => 12,
        h => h,
    };
    format!("{twelve}:{:02} {half}", time.minute())
}

/// A minute of the day (0 to 1439; 1440 reads as midnight) as [`clock`] says it.
pub fn clock_at_minute(minute: i64) -> String {
    Time::new((minute.rem_euclid(1440) / 60) as i8, (minute.rem_euclid(60)) as i8, 0, 0).map(clock).unwrap_or_default()
}

/// An instant as its local day and time: `Mon 7 Dec, 10:30 am`.
pub fn day_and_clock(language: Language, moment: &Zoned, today: Date) -> String {
    format!("{}, {}", day(language, moment.date(), today), clock(moment.time()))
}

/// How long ago (or ahead) `then` is from `now`, in words: `just now`, `5 minutes ago`,
/// `3 hours ago`, `yesterday`, `4 days ago`, `in 2 days`; past a month, the day itself.
/// Days are counted by the calendar in `zone`, so last night at 11 pm is "yesterday" at
/// 9 am.
pub fn relative(language: Language, then: Timestamp, now: Timestamp, zone: &TimeZone) -> String {
    let seconds = now.as_second() - then.as_second();
    let future = seconds < 0;
    let gap = seconds.unsigned_abs();
    let (then_local, now_local) = (then.to_zoned(zone.clone()), now.to_zoned(zone.clone()));
    let days = (now_local.date() - then_local.date()).get_days();
    let words = |n: u64, unit: Unit| say(language, n, unit, future);
    if gap < 60 {
        match language {
            Language::English => "just now".into(),
            Language::Hindi => "अभी".into(),
        }
    } else if gap < 3600 {
        words(gap / 60, Unit::Minute)
    } else if days == 0 {
        words(gap / 3600, Unit::Hour)
    } else if days == 1 || days == -1 {
        // Hindi says कल for both.
        match (language, days) {
            (Language::English, 1) => "yesterday".into(),
            (Language::English, _) => "tomorrow".into(),
            (Language::Hindi, _) => "कल".into(),
        }
    } else if days.unsigned_abs() <= 30 {
        words(u64::from(days.unsigned_abs()), Unit::Day)
    } else {
        day(language, then_local.date(), now_local.date())
    }
}

#[derive(Clone, Copy)]
enum Unit {
    Minute,
    Hour,
    Day,
}

/// `5 minutes ago`, `in 2 days`, `5 मिनट पहले`, `2 दिन में`.
fn say(language: Language, n: u64, unit: Unit, future: bool) -> String {
    match language {
        Language::English => {
            let name = match unit {
                Unit::Minute => "minute",
                Unit::Hour => "hour",
                Unit::Day => "day",
            };
            let amount = if n == 1 { format!("1 {name}") } else { format!("{n} {name}s") };
            if future { format!("in {amount}") } else { format!("{amount} ago") }
        }
        Language::Hindi => {
            let name = match unit {
                Unit::Minute => "मिनट",
                Unit::Hour => "घंटे",
                Unit::Day => "दिन",
            };
            if future { format!("{n} {name} में") } else { format!("{n} {name} पहले") }
        }
    }
}

/// An instant for a page: the relative words and the exact local time for its title.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moment {
    /// `3 days ago`
    pub relative: String,
    /// `Thu 4 Dec, 6:15 pm`
    pub exact: String,
    /// RFC 3339 with the zone's offset, for `<time datetime>`.
    pub machine: String,
}

impl Moment {
    /// `micros` (an instant) as read in `zone` at `now_micros`; `None` when out of range.
    pub fn at(language: Language, micros: i64, now_micros: i64, zone: &TimeZone) -> Option<Moment> {
        let then = Timestamp::from_microsecond(micros).ok()?.round(jiff::Unit::Second).ok()?;
        let now = Timestamp::from_microsecond(now_micros).ok()?;
        let local = then.to_zoned(zone.clone());
        let today = now.to_zoned(zone.clone()).date();
        Some(Moment {
            relative: relative(language, then, now, zone),
            exact: day_and_clock(language, &local, today),
            machine: local.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn lengths_of_time_read_as_spoken() {
        assert_eq!(minutes(EN, 45), "45 min");
        assert_eq!(minutes(EN, 120), "2 h");
        assert_eq!(minutes(EN, 195), "3 h 15 min");
        assert_eq!(minutes(EN, -5), "0 min");
    }

    use super::*;
    use jiff::civil::{date, time};

    const EN: Language = Language::English;
    const HI: Language = Language::Hindi;

    #[test]
    fn hindi_pages_say_days_and_lengths_in_hindi() {
        let today = date(2026, 12, 7);
        assert_eq!(day(HI, today, today), "सोम, 7 दिस॰");
        assert_eq!(day(HI, date(2025, 2, 1), today), "शनि, 1 फ़र॰ 2025");
        assert_eq!(weekday(HI, date(2026, 12, 13)), "रवि");
        assert_eq!(minutes(HI, 75), "1 घंटे 15 मिनट");
        let zone = TimeZone::get("Asia/Kolkata").unwrap();
        let at = |d: Date, t: Time| zone.to_zoned(d.to_datetime(t)).unwrap().timestamp();
        let now = at(today, time(9, 0, 0, 0));
        assert_eq!(relative(HI, at(today, time(8, 55, 0, 0)), now, &zone), "5 मिनट पहले");
        assert_eq!(relative(HI, at(date(2026, 12, 9), time(10, 0, 0, 0)), now, &zone), "2 दिन में");
        assert_eq!(relative(HI, at(date(2026, 12, 6), time(23, 0, 0, 0)), now, &zone), "कल");
        let start = zone.to_zoned(date(2026, 6, 2).to_datetime(time(10, 0, 0, 0))).unwrap();
        let end = zone.to_zoned(date(2026, 6, 2).to_datetime(time(10, 30, 0, 0))).unwrap();
        assert_eq!(span(HI, &start, &end), "मंगल, 2 जून 2026, 10:00 am – 10:30 am");
    }

    #[test]
    fn amounts_group_digits_the_indian_way() {
        assert_eq!(group_indian(0), "0");
        assert_eq!(group_indian(999), "999");
        assert_eq!(group_indian(1_000), "1,000");
        assert_eq!(group_indian(100_000), "1,00,000");
        assert_eq!(group_indian(1_234_567), "12,34,567");
        assert_eq!(group_indian(123_456_789), "12,34,56,789");
        assert_eq!(rupees(180_000), "₹1,800");
        assert_eq!(rupees(149_950), "₹1,499.50");
        assert_eq!(rupees(5), "₹0.05");
        assert_eq!(rupees(-5_000), "−₹50");
    }

    #[test]
    fn phones_read_in_groups_and_open_in_whatsapp() {
        assert_eq!(phone("+919845000101"), "+91 98450 00101");
        assert_eq!(phone("+14155550100"), "+14155550100");
        assert_eq!(whatsapp_link("+919845000101").as_deref(), Some("https://wa.me/919845000101"));
        assert_eq!(whatsapp_link("9845000101"), None);
        assert_eq!(whatsapp_link("+91 98450"), None);
    }

    #[test]
    fn days_and_times_read_as_people_say_them() {
        let today = date(2026, 12, 7);
        assert_eq!(day(EN, date(2026, 12, 7), today), "Mon 7 Dec");
        assert_eq!(day(EN, date(2025, 12, 6), today), "Sat 6 Dec 2025");
        assert_eq!(clock(time(10, 30, 0, 0)), "10:30 am");
        assert_eq!(clock(time(0, 5, 0, 0)), "12:05 am");
        assert_eq!(clock(time(12, 0, 0, 0)), "12:00 pm");
        assert_eq!(clock(time(15, 5, 0, 0)), "3:05 pm");
    }

    #[test]
    fn an_occasion_reads_from_its_start_to_its_end() {
        let zone = TimeZone::get("Asia/Kolkata").unwrap();
        let at = |d: Date, t: Time| zone.to_zoned(d.to_datetime(t)).unwrap();
        let start = at(date(2026, 6, 2), time(10, 0, 0, 0));
        assert_eq!(span(EN, &start, &at(date(2026, 6, 2), time(10, 30, 0, 0))), "Tue 2 Jun 2026, 10:00 am – 10:30 am");
        assert_eq!(
            span(EN, &start, &at(date(2026, 6, 3), time(1, 0, 0, 0))),
            "Tue 2 Jun 2026, 10:00 am – Wed 3 Jun 2026, 1:00 am"
        );
    }

    #[test]
    fn relative_times_count_calendar_days_in_the_business_zone() {
        let zone = TimeZone::get("Asia/Kolkata").unwrap();
        let at = |d: Date, t: Time| zone.to_zoned(d.to_datetime(t)).unwrap().timestamp();
        let now = at(date(2026, 12, 7), time(9, 0, 0, 0));
        assert_eq!(relative(EN, at(date(2026, 12, 7), time(8, 59, 30, 0)), now, &zone), "just now");
        assert_eq!(relative(EN, at(date(2026, 12, 7), time(8, 55, 0, 0)), now, &zone), "5 minutes ago");
        assert_eq!(relative(EN, at(date(2026, 12, 7), time(6, 0, 0, 0)), now, &zone), "3 hours ago");
        // Ten hours ago, but yesterday evening: what a person calls it.
        assert_eq!(relative(EN, at(date(2026, 12, 6), time(23, 0, 0, 0)), now, &zone), "yesterday");
        assert_eq!(relative(EN, at(date(2026, 12, 3), time(18, 0, 0, 0)), now, &zone), "4 days ago");
        assert_eq!(relative(EN, at(date(2026, 12, 9), time(10, 0, 0, 0)), now, &zone), "in 2 days");
        assert_eq!(relative(EN, at(date(2026, 12, 8), time(10, 0, 0, 0)), now, &zone), "tomorrow");
        assert_eq!(relative(EN, at(date(2026, 10, 1), time(10, 0, 0, 0)), now, &zone), "Thu 1 Oct");
    }

    #[test]
    fn a_moment_carries_words_the_exact_time_and_the_machine_form() {
        let zone = TimeZone::get("Asia/Kolkata").unwrap();
        // 2026-12-02T05:00:00Z is 10:30 am in Kolkata.
        let then = Timestamp::from_second(1_796_187_600).unwrap();
        assert_eq!(then.to_string(), "2026-12-02T05:00:00Z");
        let now = then + jiff::SignedDuration::from_hours(5 * 24);
        let moment = Moment::at(EN, then.as_microsecond(), now.as_microsecond(), &zone).unwrap();
        assert_eq!(moment.relative, "5 days ago");
        assert_eq!(moment.exact, "Wed 2 Dec, 10:30 am");
        assert_eq!(moment.machine, "2026-12-02T10:30:00+05:30");
    }
}

//! Search as you type: what a customer can be found by, and how a typed query becomes
//! index ranges.
//!
//! A customer's searchable values become *terms*: `n:` and a folded word of the name, `e:`
//! and the email, `p:` and the phone's digits (with and without the country code), `r:` and
//! the digits reversed (so typing the last digits of a number is a prefix too), `t:` and a
//! tag. Every search is then a prefix range over one indexed column, on both backends, which
//! keeps search under a few milliseconds at 100,000 customers.

use unicode_normalization::UnicodeNormalization;

/// Lowercase with Latin accents removed: "Zoë Ångström" -> "zoe angstrom". Marks of other
/// scripts (Devanagari vowel signs) are kept, since removing them changes the word.
pub fn fold(text: &str) -> String {
    text.nfd().filter(|c| !('\u{0300}'..='\u{036f}').contains(c)).flat_map(char::to_lowercase).collect()
}

/// The words of a name, folded.
pub fn name_words(name: &str) -> Vec<String> {
    fold(name).split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_string).collect()
}

/// The key a name sorts by: folded words joined by single spaces.
pub fn name_key(name: &str) -> String {
    name_words(name).join(" ")
}

/// Every search term of one customer, without duplicates.
pub fn terms(
    name: &str,
    email: Option<&str>,
    phone_e164: Option<&str>,
    country_code: &str,
    tags: &[String],
) -> Vec<String> {
    let mut out: Vec<String> = name_words(name).into_iter().map(|w| format!("n:{w}")).collect();
    if let Some(email) = email {
        out.push(format!("e:{}", email.to_lowercase()));
    }
    if let Some(phone) = phone_e164 {
        let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
        // A number of the business's own country is stored without its code (the query
        // strips the code too); any other keeps it.
        let code = country_code.trim_start_matches('+');
        match digits.strip_prefix(code) {
            Some(national) if !code.is_empty() => out.push(format!("p:{national}")),
            _ => out.push(format!("p:{digits}")),
        }
        out.push(format!("r:{}", digits.chars().rev().collect::<String>()));
    }
    out.extend(tags.iter().map(|t| format!("t:{t}")));
    out.sort();
    out.dedup();
    out
}

/// One prefix range: every term `t` with `start <= t < end`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TermRange {
    pub start: String,
    pub end: String,
}

impl TermRange {
    fn prefix(prefix: String) -> Self {
        // U+10FFFF sorts after every other character, byte-wise in UTF-8 too.
        let end = format!("{prefix}\u{10FFFF}");
        Self { start: prefix, end }
    }
}

/// What a typed query asks for: every group must match (AND); within a group any range
/// may match (OR).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SearchQuery {
    pub groups: Vec<Vec<TermRange>>,
}

impl SearchQuery {
    /// Reads what someone typed into the search box. Fewer than 3 digits of a phone number
    /// would match most of the book, so a phone query needs 3.
    pub fn parse(text: &str, country_code: &str) -> SearchQuery {
        let text = text.trim();
        if text.is_empty() {
            return SearchQuery::default();
        }
        if text.contains('@') {
            return SearchQuery { groups: vec![vec![TermRange::prefix(format!("e:{}", text.to_lowercase()))]] };
        }
        if let Some(tag) = text.strip_prefix('#') {
            let tag = name_words(tag).join("-");
            return SearchQuery { groups: vec![vec![TermRange::prefix(format!("t:{tag}"))]] };
        }
        if let Some(digits) = phone_digits(text) {
            let national = digits.trim_start_matches('0');
            let mut ranges = vec![TermRange::prefix(format!("r:{}", digits.chars().rev().collect::<String>()))];
            // Only zeros: no number starts with them once the trunk zero is gone.
            if !national.is_empty() {
                ranges.insert(0, TermRange::prefix(format!("p:{national}")));
            }
            // "+91 98123" or "0091 98123" or "91 98123…": the business's own code, typed.
            let code = country_code.trim_start_matches('+');
            if let Some(rest) = national.strip_prefix(code)
                && !code.is_empty()
                && !rest.is_empty()
            {
                ranges.push(TermRange::prefix(format!("p:{rest}")));
            }
            ranges.dedup();
            return SearchQuery { groups: vec![ranges] };
        }
        let groups = name_words(text).into_iter().map(|w| vec![TermRange::prefix(format!("n:{w}"))]).collect();
        SearchQuery { groups }
    }

    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// Whether [`SearchQuery::parse`] reads the business's calling code for `text`: only
    /// for a phone number's digits, so a name search need not look it up.
    pub fn reads_calling_code(text: &str) -> bool {
        let text = text.trim();
        !text.contains('@') && !text.starts_with('#') && phone_digits(text).is_some()
    }
}

/// The digits of a query typed as a phone number (digits and `+-().` and spaces, at
/// least three digits), or `None`.
fn phone_digits(text: &str) -> Option<String> {
    let phone_like = text.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c));
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    (phone_like && digits.len() >= 3).then_some(digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(query: &str, terms: &[String]) -> bool {
        let q = SearchQuery::parse(query, "+91");
        !q.is_empty() && q.groups.iter().all(|g| g.iter().any(|r| terms.iter().any(|t| *t >= r.start && *t < r.end)))
    }

    #[test]
    fn folding_removes_latin_accents_and_case() {
        assert_eq!(fold("Zoë ÅNGSTRÖM"), "zoe angstrom");
        assert_eq!(name_key("  Priya   Sharma-Iyer "), "priya sharma iyer");
        assert_eq!(fold("प्रिया"), "प्रिया");
    }

    #[test]
    fn a_customer_is_found_by_name_prefix_phone_digits_email_and_tag() {
        let terms = terms("Zoë Fernandes", Some("zoe@example.in"), Some("+919812345678"), "+91", &["vip".into()]);
        for hit in
            ["zo", "ZOË", "fern", "zoe fer", "98123", "+91 98123", "098123 45", "5678", "345678", "zoe@ex", "#VIP"]
        {
            assert!(matches(hit, &terms), "{hit}");
        }
        for miss in ["zoey", "fernandez", "12", "77777", "amy@", "#regular", "ernandes"] {
            assert!(!matches(miss, &terms), "{miss}");
        }
    }

    #[test]
    fn only_a_phone_query_reads_the_calling_code() {
        for phone in ["98123", " (0) 981-23 ", "+91 98123", "0091-98123"] {
            assert!(SearchQuery::reads_calling_code(phone), "{phone}");
        }
        for typed_with_code in ["+91 98123", "0091-98123"] {
            assert_ne!(SearchQuery::parse(typed_with_code, "+91"), SearchQuery::parse(typed_with_code, "+44"));
        }
        for other in ["zoe", "98", "zoe 98123", "zoe@98123.in", "#981", ""] {
            assert!(!SearchQuery::reads_calling_code(other), "{other}");
            assert_eq!(SearchQuery::parse(other, "+91"), SearchQuery::parse(other, "+44"), "{other}");
        }
    }
}

//! The languages Steward's pages speak: English and Hindi, with more to come (Tamil,
//! Kannada, Marathi, Bengali) as their catalogues are written. A visitor's language is
//! what they chose, else the first their browser asks for (`Accept-Language`) that
//! Steward speaks, else English.

use crate::ValidationError;

/// A language of the interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Language {
    #[default]
    English,
    Hindi,
}

impl Language {
    pub const ALL: [Language; 2] = [Language::English, Language::Hindi];

    /// The BCP 47 code: `en`, `hi`.
    pub fn code(self) -> &'static str {
        match self {
            Language::English => "en",
            Language::Hindi => "hi",
        }
    }

    /// The language's name in itself, as a switch offers it.
    pub fn own_name(self) -> &'static str {
        match self {
            Language::English => "English",
            Language::Hindi => "हिन्दी",
        }
    }

    /// From its code (`hi`, `hi-IN`, `HI`); `None` for a language Steward does not speak.
    pub fn from_code(code: &str) -> Option<Language> {
        let primary = code.trim().split(['-', '_']).next().unwrap_or_default();
        Language::ALL.into_iter().find(|l| l.code().eq_ignore_ascii_case(primary))
    }

    pub fn parse(field: &str, raw: &str) -> Result<Language, ValidationError> {
        Language::from_code(raw).ok_or_else(|| ValidationError::new(field, "must be one of: en, hi"))
    }

    /// The language of an `Accept-Language` header: of those Steward speaks, the one the
    /// browser weighs most (the earlier on a tie); `None` when it speaks none of them.
    pub fn negotiate(accept_language: &str) -> Option<Language> {
        let mut best: Option<(Language, f32)> = None;
        for part in accept_language.split(',').take(32) {
            let mut pieces = part.split(';');
            let Some(language) = pieces.next().and_then(Language::from_code) else { continue };
            let weight = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .map(|q| q.trim().parse::<f32>().unwrap_or(0.0))
                .unwrap_or(1.0);
            if weight > 0.0 && best.is_none_or(|(_, w)| weight > w) {
                best = Some((language, weight));
            }
        }
        best.map(|(language, _)| language)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_browser_gets_the_language_it_weighs_most_of_those_spoken() {
        assert_eq!(Language::negotiate("hi-IN,hi;q=0.9,en-US;q=0.8,en;q=0.7"), Some(Language::Hindi));
        assert_eq!(Language::negotiate("en-GB,en;q=0.9,hi;q=0.8"), Some(Language::English));
        assert_eq!(Language::negotiate("ta-IN, hi;q=0.5, en;q=0.4"), Some(Language::Hindi));
        assert_eq!(Language::negotiate("en;q=0.2, hi;q=0.9"), Some(Language::Hindi));
        assert_eq!(Language::negotiate("fr, de;q=0.5"), None);
        assert_eq!(Language::negotiate("hi;q=0"), None, "q=0 means not this one");
        assert_eq!(Language::negotiate(""), None);
        assert_eq!(Language::negotiate("*"), None);
    }

    #[test]
    fn codes_read_back_and_nothing_else_is_a_language() {
        for language in Language::ALL {
            assert_eq!(Language::from_code(language.code()), Some(language));
        }
        assert_eq!(Language::from_code("HI-in"), Some(Language::Hindi));
        assert_eq!(Language::parse("language", "xx").unwrap_err().field, "language");
    }
}

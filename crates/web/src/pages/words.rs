//! The interface's words in each language, from Fluent catalogues: `locales/<code>/*.ftl`,
//! compiled into the binary. Pages ask for a message by its id (`book-choose-service`),
//! with arguments where the sentence holds a value (`{ $business }`); Fluent applies each
//! language's own plural rules.
//!
//! A message missing from a language's catalogue is said in English; one missing from
//! English is shown as its id. Tests hold every catalogue to the same ids and every page
//! to ids that exist, so neither happens in a page a person sees.

use axum::extract::Query;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use std::sync::LazyLock;
use steward_domain::language::Language;

/// Each language's catalogue files, as (file name, text).
pub const CATALOGUES: &[(Language, &[(&str, &str)])] = &[
    (
        Language::English,
        &[
            ("pages.ftl", include_str!("../../locales/en/pages.ftl")),
            ("access.ftl", include_str!("../../locales/en/access.ftl")),
            ("booking.ftl", include_str!("../../locales/en/booking.ftl")),
            ("errors.ftl", include_str!("../../locales/en/errors.ftl")),
        ],
    ),
    (
        Language::Hindi,
        &[
            ("pages.ftl", include_str!("../../locales/hi/pages.ftl")),
            ("access.ftl", include_str!("../../locales/hi/access.ftl")),
            ("booking.ftl", include_str!("../../locales/hi/booking.ftl")),
            ("errors.ftl", include_str!("../../locales/hi/errors.ftl")),
        ],
    ),
];

struct Catalogue {
    language: Language,
    bundle: FluentBundle<FluentResource>,
    /// What could not be read, file by file; the test of the catalogues asserts it empty.
    problems: Vec<String>,
}

static CATALOGUE: LazyLock<Vec<Catalogue>> = LazyLock::new(|| CATALOGUES.iter().map(|(l, f)| load(*l, f)).collect());

fn load(language: Language, files: &[(&str, &str)]) -> Catalogue {
    let id = language.code().parse().unwrap_or_default();
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    // Plain text in the page, not Unicode isolation marks around each value.
    bundle.set_use_isolating(false);
    let mut problems = Vec::new();
    for (name, text) in files {
        // A file with a mistake still gives every message it could read.
        let resource = FluentResource::try_new(text.to_string()).unwrap_or_else(|(resource, errors)| {
            problems.extend(errors.iter().map(|e| format!("{}/{name}: {e:?}", language.code())));
            resource
        });
        if let Err(errors) = bundle.add_resource(resource) {
            problems.extend(errors.iter().map(|e| format!("{}/{name}: {e:?}", language.code())));
        }
    }
    Catalogue { language, bundle, problems }
}

fn catalogue(language: Language) -> Option<&'static Catalogue> {
    CATALOGUE.iter().find(|c| c.language == language)
}

/// A value a message holds.
pub trait Value {
    fn value(&self) -> FluentValue<'static>;
}

impl Value for str {
    fn value(&self) -> FluentValue<'static> {
        FluentValue::from(self.to_string())
    }
}

impl Value for String {
    fn value(&self) -> FluentValue<'static> {
        FluentValue::from(self.clone())
    }
}

macro_rules! number_values {
    ($($t:ty),*) => {$(
        impl Value for $t {
            fn value(&self) -> FluentValue<'static> {
                FluentValue::from(*self)
            }
        }
    )*};
}
number_values!(i64, i32, u32, usize);

impl<T: Value + ?Sized> Value for &T {
    fn value(&self) -> FluentValue<'static> {
        (**self).value()
    }
}

/// The message `id` in `language`, with its arguments.
pub fn say(language: Language, id: &str, args: &[(&str, &dyn Value)]) -> String {
    let mut fluent_args = FluentArgs::new();
    for (name, value) in args {
        fluent_args.set(*name, value.value());
    }
    let args = (!args.is_empty()).then_some(&fluent_args);
    for language in [language, Language::English] {
        let Some(catalogue) = catalogue(language) else { continue };
        let Some(pattern) = catalogue.bundle.get_message(id).and_then(|m| m.value()) else { continue };
        let mut errors = Vec::new();
        return catalogue.bundle.format_pattern(pattern, args, &mut errors).into_owned();
    }
    id.to_string()
}

/// Whether `language`'s own catalogue has the message (not by falling back to English).
pub fn has(language: Language, id: &str) -> bool {
    catalogue(language).is_some_and(|c| c.bundle.has_message(id))
}

/// The message ids of a language's catalogue files.
pub fn ids(language: Language) -> Vec<String> {
    let files = CATALOGUES.iter().find(|(l, _)| *l == language).map(|(_, f)| *f).unwrap_or_default();
    files
        .iter()
        .flat_map(|(_, text)| text.lines())
        .filter_map(|line| {
            let (id, _) = line.split_once('=')?;
            let id = id.trim_end();
            let starts = id.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
            (starts && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')).then(|| id.to_string())
        })
        .collect()
}

/// What could not be read in any catalogue.
pub fn problems() -> Vec<String> {
    CATALOGUE.iter().flat_map(|c| c.problems.iter().cloned()).collect()
}

/// The cookie that keeps a visitor's choice of language (set only when they choose one:
/// it remembers what they asked for, and nothing about them).
pub const LANGUAGE_COOKIE: &str = "steward_lang";

/// The language a visitor reads the public pages in: the one they chose, else the first
/// their browser asks for that Steward speaks, else English.
pub fn visitor_language(headers: &HeaderMap) -> Language {
    crate::extract::cookie(headers, LANGUAGE_COOKIE)
        .and_then(|code| Language::from_code(&code))
        .or_else(|| headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).and_then(Language::negotiate))
        .unwrap_or_default()
}

#[derive(serde::Deserialize)]
pub struct SwitchQuery {
    to: String,
    back: Option<String>,
}

/// `GET /language?to=hi&back=/b/asha-salon`: keeps the choice and goes back to the page
/// it was made on (from `Referer` when it is this site's, else `back`, else home).
pub async fn switch(headers: HeaderMap, Query(query): Query<SwitchQuery>) -> Response {
    let Some(language) = Language::from_code(&query.to) else {
        return crate::pages::failure_page(crate::error::Failure::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            "to: must be one of: en, hi",
        ));
    };
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let from_referer = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.split_once("://"))
        .and_then(|(_, rest)| rest.strip_prefix(host))
        .filter(|path| path.starts_with('/'))
        .map(str::to_string);
    // Checked as a log-in's `next` is: only a place on this site.
    let back = crate::access::sign_in_pages::safe_next_or(&from_referer.or(query.back).unwrap_or_default(), "/");
    let cookie = crate::extract::set_cookie(LANGUAGE_COOKIE, language.code(), 365 * 24 * 3600);
    crate::pages::with_cookie(crate::pages::see_other(&back), Some(cookie))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn every_catalogue_reads_and_has_every_message_english_has() {
        assert_eq!(problems(), Vec::<String>::new());
        let english: BTreeSet<String> = ids(Language::English).into_iter().collect();
        assert!(english.len() > 50, "the English catalogue: {} messages", english.len());
        for language in Language::ALL {
            let own: BTreeSet<String> = ids(language).into_iter().collect();
            let missing: Vec<_> = english.difference(&own).collect();
            let extra: Vec<_> = own.difference(&english).collect();
            assert!(missing.is_empty(), "{} lacks {missing:?}", language.code());
            assert!(extra.is_empty(), "{} has messages English lacks: {extra:?}", language.code());
            for id in &english {
                assert!(has(language, id), "{} cannot read {id}", language.code());
            }
        }
    }

    #[test]
    fn every_message_a_page_asks_for_is_in_the_catalogues() {
        let english: BTreeSet<String> = ids(Language::English).into_iter().collect();
        let mut asked = BTreeSet::new();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut folders = vec![root];
        while let Some(folder) = folders.pop() {
            for entry in std::fs::read_dir(&folder).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    folders.push(path);
                } else if path.ends_with("pages/words.rs") {
                    continue;
                } else if path.extension().is_some_and(|e| e == "html" || e == "rs") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    // Templates ask `chrome.t("id")` (t1 with a value); code asks
                    // `words::say(language, "id", ...)`.
                    let in_templates = ["chrome.t(\"", "chrome.t1(\""]
                        .iter()
                        .flat_map(|marker| text.split(marker).skip(1).filter_map(|rest| rest.split('"').next()));
                    // Only a literal second argument is an id to check; a computed one
                    // (`status-{}`) names ids the catalogue test covers by their family.
                    let in_code = text.split("words::say(").skip(1).filter_map(|rest| {
                        let (_, second) = rest.split_once(',')?;
                        second.trim_start().strip_prefix('"')?.split('"').next()
                    });
                    for id in in_templates.chain(in_code) {
                        asked.insert((id.to_string(), path.display().to_string()));
                    }
                }
            }
        }
        assert!(asked.len() > 20, "pages ask for messages: {}", asked.len());
        // Ids made from a name: each status, each part of the day.
        for status in steward_domain::booking::Status::ALL {
            asked.insert((format!("status-{}", status.name()), "booking::Status".into()));
        }
        for part in ["book-morning", "book-afternoon", "book-evening"] {
            asked.insert((part.to_string(), "booking/public_pages.rs".into()));
        }
        let unknown: Vec<_> = asked.iter().filter(|(id, _)| !english.contains(id)).collect();
        assert!(unknown.is_empty(), "messages no catalogue has: {unknown:?}");
    }

    #[test]
    fn values_and_plurals_follow_the_language() {
        let business: &dyn Value = &"Asha's Salon";
        assert_eq!(say(Language::English, "book-with", &[("business", business)]), "Book with Asha's Salon");
        assert_eq!(say(Language::Hindi, "book-with", &[("business", business)]), "Asha's Salon के साथ बुक करें");
        let one: &dyn Value = &1;
        let five: &dyn Value = &5;
        assert_eq!(say(Language::English, "book-free-count", &[("count", one)]), "1 free");
        assert_eq!(say(Language::English, "book-free-count", &[("count", five)]), "5 free");
        assert_eq!(say(Language::Hindi, "book-free-count", &[("count", five)]), "5 ख़ाली");
        assert_eq!(say(Language::Hindi, "no-such-message", &[]), "no-such-message");
    }
}

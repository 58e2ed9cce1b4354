//! Reading customers from vCard 3.0 and 4.0 (a phone's contact export): `FN` or `N`, the
//! first `TEL` and `EMAIL`, `ADR`, `BDAY`, `NOTE`, `CATEGORIES`. Folded lines are unfolded,
//! escapes undone; a card that cannot be read is a rejected row with its line number.

use super::{SourceRow, Target};
use std::io::BufRead;

/// Longest line accepted; a longer one is a broken or hostile file.
const MAX_LINE: usize = 100_000;

pub struct VcardSource<R: BufRead> {
    input: R,
    line_number: u64,
    pending: Option<String>,
    bytes: u64,
    done: bool,
}

impl<R: BufRead> VcardSource<R> {
    pub fn new(input: R) -> Self {
        Self { input, line_number: 0, pending: None, bytes: 0, done: false }
    }

    pub fn position(&self) -> u64 {
        self.bytes
    }

    fn raw_line(&mut self) -> Result<Option<String>, String> {
        let mut buffer = Vec::new();
        let read = std::io::Read::take(&mut self.input, MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut buffer)
            .map_err(|e| e.to_string())?;
        if read == 0 {
            return Ok(None);
        }
        self.bytes += read as u64;
        self.line_number += 1;
        if buffer.len() > MAX_LINE {
            return Err(format!("line {} is longer than {MAX_LINE} bytes", self.line_number));
        }
        let text = String::from_utf8(buffer).map_err(|_| format!("line {} is not UTF-8 text", self.line_number))?;
        let text = text.trim_end_matches(['\r', '\n']).trim_start_matches('\u{feff}').to_string();
        Ok(Some(text))
    }

    /// The next logical line (folded continuation lines joined) and its first line number.
    fn logical_line(&mut self) -> Result<Option<(u64, String)>, String> {
        let mut current = match self.pending.take() {
            Some(line) => line,
            None => match self.raw_line()? {
                Some(line) => line,
                None => return Ok(None),
            },
        };
        let start = self.line_number;
        loop {
            match self.raw_line()? {
                Some(next) if next.starts_with(' ') || next.starts_with('\t') => {
                    if current.len() > MAX_LINE {
                        return Err(format!("line {start} unfolds to more than {MAX_LINE} bytes"));
                    }
                    current.push_str(&next[1..]);
                }
                Some(next) => {
                    self.pending = Some(next);
                    break;
                }
                None => break,
            }
        }
        Ok(Some((start, current)))
    }

    /// The next card, or why it was rejected; `None` at the end.
    pub fn next_row(&mut self) -> Option<Result<SourceRow, (u64, String)>> {
        if self.done {
            return None;
        }
        let mut card: Option<(u64, Vec<(Target, String)>)> = None;
        let mut structured_name: Option<String> = None;
        loop {
            let (line, text) = match self.logical_line() {
                Ok(Some(l)) => l,
                Ok(None) => {
                    self.done = true;
                    return card.map(|(start, _)| Err((start, "the card has no END:VCARD".to_string())));
                }
                Err(reason) => {
                    self.done = true;
                    return Some(Err((self.line_number, reason)));
                }
            };
            if text.trim().is_empty() {
                continue;
            }
            let Some((name_part, value)) = text.split_once(':') else {
                if card.is_some() {
                    return Some(Err((line, "a line of the card has no ':'".into())));
                }
                continue;
            };
            let property = name_part
                .split(';')
                .next()
                .unwrap_or_default()
                .rsplit('.')
                .next()
                .unwrap_or_default()
                .to_ascii_uppercase();
            match (property.as_str(), &mut card) {
                ("BEGIN", None) if value.trim().eq_ignore_ascii_case("VCARD") => card = Some((line, Vec::new())),
                ("BEGIN", Some(_)) => return Some(Err((line, "a card starts inside another card".into()))),
                ("END", Some(_)) if value.trim().eq_ignore_ascii_case("VCARD") => {
                    let (start, mut values) = card.take().unwrap_or_default();
                    if !values.iter().any(|(t, _)| *t == Target::Name)
                        && let Some(name) = structured_name.take()
                    {
                        values.push((Target::Name, name));
                    }
                    return Some(Ok(SourceRow { line: start, values, blank: false }));
                }
                (_, None) => continue,
                (_, Some((_, values))) => {
                    let value = unescape(value);
                    let first_of = |values: &Vec<(Target, String)>, t: &Target| !values.iter().any(|(x, _)| x == t);
                    match property.as_str() {
                        "FN" if !value.trim().is_empty() => values.push((Target::Name, value)),
                        "N" => {
                            let parts: Vec<&str> = value.split(';').collect();
                            let given = parts.get(1).copied().unwrap_or_default();
                            let family = parts.first().copied().unwrap_or_default();
                            let joined = format!("{given} {family}").trim().to_string();
                            if !joined.is_empty() {
                                structured_name = Some(joined);
                            }
                        }
                        "TEL" if first_of(values, &Target::Phone) => {
                            values.push((Target::Phone, value.trim_start_matches("tel:").to_string()))
                        }
                        "EMAIL" if first_of(values, &Target::Email) => values.push((Target::Email, value)),
                        "ADR" if first_of(values, &Target::Address) => {
                            let parts: Vec<&str> = value.split(';').map(str::trim).filter(|p| !p.is_empty()).collect();
                            if !parts.is_empty() {
                                values.push((Target::Address, parts.join(", ")));
                            }
                        }
                        "BDAY" => values.push((Target::DateOfBirth, bday(&value))),
                        "NOTE" => values.push((Target::Note, value)),
                        "CATEGORIES" => values.push((Target::Tags, value)),
                        _ => {}
                    }
                }
            }
        }
    }
}

fn unescape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') | Some('N') => out.push('\n'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// vCard birthdays come as `19900423` or `1990-04-23`.
fn bday(value: &str) -> String {
    let v = value.trim();
    if v.len() == 8 && v.chars().all(|c| c.is_ascii_digit()) {
        format!("{}-{}-{}", &v[..4], &v[4..6], &v[6..])
    } else {
        v.to_string()
    }
}

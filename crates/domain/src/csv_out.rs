//! The one way Steward writes CSV: every cell quoted when the format needs it and
//! neutralised when a spreadsheet would run it.
//!
//! A CSV download is opened in Excel, LibreOffice or Google Sheets, which treat a cell
//! starting with `=`, `+`, `-` or `@` (and a tab or carriage return before one) as a
//! formula. Any text a stranger can put into Steward (a customer's name, a log-in's
//! `User-Agent`) reaches some export, so every export writes through [`CsvLine`], which
//! prefixes such a cell with `'` as OWASP's CSV-injection guidance asks; a spreadsheet
//! then shows the text as typed. Cells that Steward itself formats (numbers, ids, times)
//! go through [`CsvLine::plain`], which still quotes but never prefixes, so `-3` stays a
//! number.

use std::borrow::Cow;

/// Characters that make a spreadsheet read a cell as a formula when the cell starts with
/// one of them. The full-width forms are there because some spreadsheets fold them.
const FORMULA_STARTS: [char; 10] = ['=', '+', '-', '@', '\t', '\r', '\u{FF1D}', '\u{FF0B}', '\u{FF0D}', '\u{FF20}'];

/// A cell of text that came from outside Steward: neutralised, then quoted as needed.
pub fn cell(value: &str) -> Cow<'_, str> {
    if value.starts_with(FORMULA_STARTS) {
        Cow::Owned(quoted(&format!("'{value}")).into_owned())
    } else {
        quoted(value)
    }
}

/// A cell Steward formatted itself (a number, an id, a time): quoted as needed only.
pub fn plain(value: &str) -> Cow<'_, str> {
    quoted(value)
}

fn quoted(value: &str) -> Cow<'_, str> {
    if value.contains([',', '"', '\n', '\r']) {
        Cow::Owned(format!("\"{}\"", value.replace('"', "\"\"")))
    } else {
        Cow::Borrowed(value)
    }
}

/// One CSV record, built cell by cell and ended with CRLF (RFC 4180).
#[derive(Debug, Default, Clone)]
pub struct CsvLine {
    text: String,
    cells: usize,
}

impl CsvLine {
    pub fn new() -> CsvLine {
        CsvLine::default()
    }

    fn separate(&mut self) {
        if self.cells > 0 {
            self.text.push(',');
        }
        self.cells += 1;
    }

    /// Adds a cell of text from outside (see [`cell`]).
    pub fn text(mut self, value: &str) -> CsvLine {
        self.separate();
        self.text.push_str(&cell(value));
        self
    }

    /// Adds a cell of optional text from outside; `None` is an empty cell.
    pub fn optional(self, value: Option<&str>) -> CsvLine {
        self.text(value.unwrap_or(""))
    }

    /// Adds a cell Steward formatted itself (see [`plain`]).
    pub fn plain(mut self, value: impl std::fmt::Display) -> CsvLine {
        self.separate();
        let formatted = value.to_string();
        self.text.push_str(&plain(&formatted));
        self
    }

    /// The record with its line ending.
    pub fn finish(mut self) -> String {
        self.text.push_str("\r\n");
        self.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_shown_as_text() {
        // promise: SEC-2
        assert_eq!(cell("=HYPERLINK(\"http://x\",\"Open\")"), "\"'=HYPERLINK(\"\"http://x\"\",\"\"Open\"\")\"");
        assert_eq!(cell("+91 98"), "'+91 98");
        assert_eq!(cell("-2+3"), "'-2+3");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("\t=1"), "'\t=1");
        assert_eq!(cell("\r=1"), "\"'\r=1\"");
        assert_eq!(cell("\u{FF1D}1+1"), "'\u{FF1D}1+1");
        assert_eq!(cell("Asha"), "Asha");
    }

    #[test]
    fn plain_cells_keep_their_sign_and_every_cell_is_quoted_when_it_must_be() {
        assert_eq!(plain("-3"), "-3");
        assert_eq!(plain("a,b"), "\"a,b\"");
        let line = CsvLine::new().plain(-3).text("a\"b").optional(None).text("x\ny").finish();
        assert_eq!(line, "-3,\"a\"\"b\",,\"x\ny\"\r\n");
    }
}

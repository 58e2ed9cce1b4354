//! Reading customers from CSV: UTF-8 (a byte-order mark is skipped), any delimiter among
//! comma, semicolon and tab, quoted fields with newlines. Each record becomes a row of
//! target columns by the mapping; a record that cannot be read is a rejected row with its
//! line number, never the end of the import.

use super::{Mapping, SourceRow, Target};
use std::io::Read;

/// A file with more columns than this is refused as a whole.
pub const MAX_COLUMNS: usize = 200;
/// A cell longer than this is refused (per row).
pub const MAX_CELL: usize = 10_000;

/// A file-level problem: nothing can be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FileError(pub String);

/// The input after its first bytes were looked at (and put back).
pub type Rewound<R> = std::io::Chain<std::io::Cursor<Vec<u8>>, R>;

/// Reads the header row and makes a reader of the records after it.
pub struct CsvSource<R: Read> {
    reader: csv::Reader<R>,
    pub headers: Vec<String>,
    record: csv::ByteRecord,
    /// Newlines inside quoted cells so far: the reader's line count skips them, the line
    /// numbers in a report must not.
    quoted_newlines: u64,
}

impl<R: Read> CsvSource<R> {
    pub fn open(mut input: R) -> Result<CsvSource<Rewound<R>>, FileError> {
        // Look at the start to skip a BOM and guess the delimiter.
        let mut head = vec![0u8; 4096];
        let mut filled = 0;
        while filled < head.len() {
            match input.read(&mut head[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(FileError(format!("the file could not be read: {e}"))),
            }
        }
        head.truncate(filled);
        if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
            head.drain(..3);
        } else if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
            return Err(FileError("the file is UTF-16; save it as UTF-8 CSV and import again".into()));
        }
        let first_line = head.split(|b| *b == b'\n').next().unwrap_or_default();
        let delimiter = [b',', b';', b'\t']
            .into_iter()
            .max_by_key(|d| first_line.iter().filter(|b| *b == d).count())
            .unwrap_or(b',');
        let chained = std::io::Cursor::new(head).chain(input);
        let mut reader =
            csv::ReaderBuilder::new().delimiter(delimiter).flexible(true).has_headers(true).from_reader(chained);
        let header_record =
            reader.byte_headers().map_err(|e| FileError(format!("the header row could not be read: {e}")))?.clone();
        if header_record.len() > MAX_COLUMNS {
            return Err(FileError(format!(
                "the file has {} columns; Steward imports at most {MAX_COLUMNS}",
                header_record.len()
            )));
        }
        let mut headers = Vec::with_capacity(header_record.len());
        for (i, h) in header_record.iter().enumerate() {
            let text = std::str::from_utf8(h).map_err(|_| {
                FileError(format!("column {} of the header row is not UTF-8 text; save the file as UTF-8", i + 1))
            })?;
            headers.push(text.trim().to_string());
        }
        if headers.iter().all(|h| h.is_empty()) {
            return Err(FileError("the file is empty or has no header row".into()));
        }
        let quoted_newlines = header_record.iter().map(newlines).sum();
        Ok(CsvSource { reader, headers, record: csv::ByteRecord::new(), quoted_newlines })
    }
}

impl<R: Read> CsvSource<R> {
    /// Bytes read so far, for a progress bar.
    pub fn position(&self) -> u64 {
        self.reader.position().byte()
    }

    /// The next record mapped to targets, or the reason it is rejected; `None` at the end.
    pub fn next_row(&mut self, mapping: &Mapping) -> Option<Result<SourceRow, (u64, String)>> {
        match self.reader.read_byte_record(&mut self.record) {
            Ok(false) => None,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0) + self.quoted_newlines;
                // A broken record: skip to the next line so one bad row does not end the file.
                Some(Err((line, format!("the row could not be read as CSV ({})", csv_reason(&e)))))
            }
            Ok(true) => {
                let line = self.record.position().map(|p| p.line()).unwrap_or(0) + self.quoted_newlines;
                self.quoted_newlines += self.record.iter().map(newlines).sum::<u64>();
                Some(self.map_record(line, mapping))
            }
        }
    }

    fn map_record(&self, line: u64, mapping: &Mapping) -> Result<SourceRow, (u64, String)> {
        if self.record.len() > self.headers.len() {
            return Err((
                line,
                format!("the row has {} cells but the header has {}", self.record.len(), self.headers.len()),
            ));
        }
        if self.record.iter().all(|cell| cell.iter().all(u8::is_ascii_whitespace)) {
            return Ok(SourceRow { line, values: Vec::new(), blank: true });
        }
        let mut values = Vec::new();
        for (column, target) in &mapping.columns {
            let Some(cell) = self.record.get(*column) else { continue };
            let text = std::str::from_utf8(cell).map_err(|_| {
                (line, format!("column '{}' is not UTF-8 text; save the file as UTF-8", self.headers[*column]))
            })?;
            if text.chars().count() > MAX_CELL {
                return Err((line, format!("column '{}' is longer than {MAX_CELL} characters", self.headers[*column])));
            }
            // Undo the prefix Steward's own export puts before formula-like cells.
            let text = match text.strip_prefix('\'') {
                Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
                _ => text,
            };
            if !text.trim().is_empty() {
                values.push((target.clone(), text.trim().to_string()));
            }
        }
        Ok(SourceRow { line, values, blank: false })
    }
}

fn newlines(cell: &[u8]) -> u64 {
    cell.iter().filter(|b| **b == b'\n').count() as u64
}

fn csv_reason(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "not UTF-8 text".into(),
        csv::ErrorKind::UnequalLengths { .. } => "wrong number of cells".into(),
        csv::ErrorKind::Io(_) => "the file could not be read".into(),
        _ => "malformed".into(),
    }
}

/// Targets a header may name, by the words people use for them.
pub fn guess_target(header: &str, field_labels: &[String]) -> Option<Target> {
    let h: String = header.trim().to_lowercase().chars().filter(|c| c.is_alphanumeric()).collect();
    let target = match h.as_str() {
        "name" | "fullname" | "customername" | "customer" | "clientname" | "client" | "contactname" | "displayname" => {
            Target::Name
        }
        "firstname" | "givenname" | "first" => Target::FirstName,
        "lastname" | "surname" | "familyname" | "last" => Target::LastName,
        "phone" | "mobile" | "phonenumber" | "mobilenumber" | "contactnumber" | "cell" | "whatsapp" | "telephone"
        | "tel" => Target::Phone,
        "email" | "emailaddress" | "mail" => Target::Email,
        "address" | "streetaddress" | "fulladdress" => Target::Address,
        "dob" | "dateofbirth" | "birthday" | "birthdate" => Target::DateOfBirth,
        "tags" | "tag" | "labels" | "groups" => Target::Tags,
        "notes" | "note" | "comments" | "remarks" => Target::Note,
        "source" | "leadsource" => Target::Source,
        "preferredchannel" | "channel" => Target::PreferredChannel,
        _ => {
            return field_labels
                .iter()
                .find(|label| label.to_lowercase().chars().filter(|c| c.is_alphanumeric()).collect::<String>() == h)
                .map(|label| Target::Field(label.clone()));
        }
    };
    Some(target)
}

//! Bounded fuzzing of the two file readers, run with the tests (and so in CI): arbitrary
//! bytes, and inputs built from the pieces that break readers (quotes, delimiters, line
//! ends, BOMs, invalid UTF-8, folded vCard lines, very long cells). Every input must end
//! in a clear file error or a finite run of rows and rejections with line numbers that
//! never go back, and never a panic or an endless loop.
//!
//! `STEWARD_FUZZ_CASES` sets how many inputs each target tries (default 2,000, a few
//! seconds); a longer run is the same test with a larger number.

use super::csv_source::CsvSource;
use super::vcard::VcardSource;
use super::{Mapping, Target};
use proptest::prelude::*;

fn cases() -> u32 {
    std::env::var("STEWARD_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(2_000)
}

/// Pieces that make readers stumble, glued together at random.
fn hostile_text() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(b"\"".to_vec()),
        Just(b"\"\"".to_vec()),
        Just(b",".to_vec()),
        Just(b";".to_vec()),
        Just(b"\t".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"\r".to_vec()),
        Just(vec![0xEF, 0xBB, 0xBF]),
        Just(vec![0xFF, 0xFE]),
        Just(vec![0xC3]),
        Just(vec![0xFF]),
        Just(b"=cmd|' /C calc'!A0".to_vec()),
        Just(b"BEGIN:VCARD\r\n".to_vec()),
        Just(b"END:VCARD\r\n".to_vec()),
        Just(b"VERSION:4.0\r\n".to_vec()),
        Just(b"FN:Test Person\r\n".to_vec()),
        Just(b"N:Person;Test;;;\r\n".to_vec()),
        Just(b"TEL;TYPE=cell:+91 98450 12345\r\n".to_vec()),
        Just(b"EMAIL:test@example.test\r\n".to_vec()),
        Just(b" folded continuation\r\n".to_vec()),
        Just(b"BDAY:1990-13-45\r\n".to_vec()),
        Just(b"name,phone,email\n".to_vec()),
        Just(b"Asha,98450 11111,asha@example.test\n".to_vec()),
        Just("Zoë,९८४५०,".as_bytes().to_vec()),
        Just(vec![b'x'; 5_000]),
        proptest::collection::vec(any::<u8>(), 0..16),
    ];
    proptest::collection::vec(piece, 0..40).prop_map(|pieces| pieces.concat())
}

fn mapping(columns: usize) -> Mapping {
    let targets = [Target::Name, Target::Phone, Target::Email, Target::Tags, Target::Note, Target::DateOfBirth];
    Mapping { columns: (0..columns.min(targets.len())).map(|i| (i, targets[i].clone())).collect() }
}

/// Reads a whole CSV input; checks that it ends and that line numbers only go forward.
fn read_csv(bytes: &[u8]) -> Result<(), TestCaseError> {
    let Ok(mut source) = CsvSource::open(std::io::Cursor::new(bytes.to_vec())) else { return Ok(()) };
    let mapping = mapping(source.headers.len());
    let mut last_line = 0;
    let bound = bytes.len() + 2;
    for _ in 0..bound {
        match source.next_row(&mapping) {
            None => return Ok(()),
            Some(Ok(_)) => {}
            Some(Err((line, reason))) => {
                prop_assert!(line >= last_line, "line numbers went back: {line} after {last_line}");
                prop_assert!(!reason.is_empty());
                last_line = line;
            }
        }
    }
    prop_assert!(source.next_row(&mapping).is_none(), "more rows than the input has bytes: the reader loops");
    Ok(())
}

fn read_vcard(bytes: &[u8]) -> Result<(), TestCaseError> {
    let mut source = VcardSource::new(std::io::Cursor::new(bytes.to_vec()));
    let mut last_line = 0;
    for _ in 0..bytes.len() + 2 {
        match source.next_row() {
            None => return Ok(()),
            Some(Ok(_)) => {}
            Some(Err((line, reason))) => {
                prop_assert!(line >= last_line, "line numbers went back: {line} after {last_line}");
                prop_assert!(!reason.is_empty());
                last_line = line;
            }
        }
    }
    prop_assert!(source.next_row().is_none(), "more cards than the input has bytes: the reader loops");
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn the_csv_reader_survives_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        read_csv(&bytes)?;
    }

    #[test]
    fn the_csv_reader_survives_hostile_files(bytes in hostile_text()) {
        read_csv(&bytes)?;
    }

    #[test]
    fn the_vcard_reader_survives_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        read_vcard(&bytes)?;
    }

    #[test]
    fn the_vcard_reader_survives_hostile_files(bytes in hostile_text()) {
        read_vcard(&bytes)?;
    }
}

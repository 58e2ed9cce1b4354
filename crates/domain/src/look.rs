//! How a business's public pages look: its colour and its pictures (a logo, a cover photo).
//!
//! A colour is taken only when text stays readable on it and with it: white text on a
//! button of that colour, and the colour as link text on the light pages, both at least
//! 4.5:1 (WCAG AA). For dark pages a lighter shade of the same colour is worked out, readable
//! on the dark background. Pictures are recognised by their bytes, not their names: PNG,
//! JPEG or WebP within fixed limits of size and dimensions, read without decoding them;
//! SVG (which can carry scripts) and anything else is refused.

use crate::ValidationError;

/// The contrast every colour pair must reach (WCAG AA for body text).
pub const MIN_CONTRAST: f64 = 4.5;
/// The dark pages' background (`--bg` in the stylesheet).
const DARK_BACKGROUND: Colour = Colour { red: 0x12, green: 0x14, blue: 0x17 };
/// The light pages' tinted panels (`--soft`): the lightest background a link sits on.
const SOFT: Colour = Colour { red: 0xf3, green: 0xf5, blue: 0xf7 };

/// A colour as `#rrggbb`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Colour {
    pub red: u8,
    pub green: u8,
    pub blue: u8,
}

impl Colour {
    /// `#0b5cad` or `0B5CAD`; any other form is refused with what to write.
    pub fn parse(field: &str, raw: &str) -> Result<Colour, ValidationError> {
        let hex = raw.trim().trim_start_matches('#');
        let bad = || ValidationError::new(field, "must be a colour written as # and six hex digits, such as #0b5cad");
        if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        let channel = |at: usize| u8::from_str_radix(&hex[at..at + 2], 16).map_err(|_| bad());
        Ok(Colour { red: channel(0)?, green: channel(2)?, blue: channel(4)? })
    }

    /// A colour a business's pages can use: readable with white text on it and as text
    /// on the light pages' backgrounds (the tinted panels are the lightest of them but
    /// white, so reading on them means reading on white too).
    pub fn parse_readable(field: &str, raw: &str) -> Result<Colour, ValidationError> {
        let colour = Colour::parse(field, raw)?;
        let ratio = contrast(colour, SOFT);
        if ratio < MIN_CONTRAST {
            return Err(ValidationError::new(
                field,
                format!(
                    "is too light for white text on it (contrast {ratio:.1}:1, at least {MIN_CONTRAST}:1 is needed); choose a darker shade"
                ),
            ));
        }
        Ok(colour)
    }

    /// `#0b5cad`.
    pub fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.red, self.green, self.blue)
    }

    /// The shade of this colour for dark pages: mixed with white, a step at a time, until
    /// it reads on the dark background.
    pub fn for_dark_pages(self) -> Colour {
        let mut shade = self;
        for step in 1..=20u16 {
            if contrast(shade, DARK_BACKGROUND) >= MIN_CONTRAST {
                break;
            }
            let mix = |channel: u8| (u16::from(channel) + (255 - u16::from(channel)) * step / 20) as u8;
            shade = Colour { red: mix(self.red), green: mix(self.green), blue: mix(self.blue) };
        }
        shade
    }

    /// Relative luminance (WCAG 2).
    fn luminance(self) -> f64 {
        let linear = |channel: u8| {
            let c = f64::from(channel) / 255.0;
            if c <= 0.040_45 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) }
        };
        0.2126 * linear(self.red) + 0.7152 * linear(self.green) + 0.0722 * linear(self.blue)
    }
}

/// The contrast ratio of two colours (1 to 21).
pub fn contrast(a: Colour, b: Colour) -> f64 {
    let (la, lb) = (a.luminance(), b.luminance());
    let (light, dark) = if la > lb { (la, lb) } else { (lb, la) };
    (light + 0.05) / (dark + 0.05)
}

/// Which picture of the business.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Picture {
    /// Beside the business's name at the top of its pages.
    Logo,
    /// Across the top of its booking page.
    Cover,
}

impl Picture {
    pub const ALL: [Picture; 2] = [Picture::Logo, Picture::Cover];

    pub fn name(self) -> &'static str {
        match self {
            Picture::Logo => "logo",
            Picture::Cover => "cover",
        }
    }

    pub fn parse(field: &str, raw: &str) -> Result<Picture, ValidationError> {
        Picture::ALL
            .into_iter()
            .find(|p| p.name() == raw)
            .ok_or_else(|| ValidationError::new(field, "must be logo or cover"))
    }

    /// Largest file taken.
    pub fn max_bytes(self) -> usize {
        match self {
            Picture::Logo => 512 * 1024,
            Picture::Cover => 2 * 1024 * 1024,
        }
    }
}

/// Widest and tallest picture taken, in pixels.
pub const MAX_SIDE: u32 = 4000;

/// What a picture's bytes say it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PictureInfo {
    pub content_type: &'static str,
    pub width: u32,
    pub height: u32,
}

/// Recognises a PNG, JPEG or WebP by its bytes and reads its size from its header, within
/// the limits for `picture`; refuses anything else, naming `field`.
pub fn sniff(field: &str, picture: Picture, bytes: &[u8]) -> Result<PictureInfo, ValidationError> {
    let refuse = |why: &str| ValidationError::new(field, why.to_string());
    if bytes.is_empty() {
        return Err(refuse("choose a picture file"));
    }
    if bytes.len() > picture.max_bytes() {
        return Err(refuse(&format!("is larger than {} KB; make it smaller", picture.max_bytes() / 1024)));
    }
    let info = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        png_size(bytes).map(|(width, height)| PictureInfo { content_type: "image/png", width, height })
    } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        jpeg_size(bytes).map(|(width, height)| PictureInfo { content_type: "image/jpeg", width, height })
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        webp_size(bytes).map(|(width, height)| PictureInfo { content_type: "image/webp", width, height })
    } else {
        return Err(refuse("must be a PNG, JPEG or WebP picture"));
    };
    let info = info.ok_or_else(|| refuse("is damaged: its header could not be read"))?;
    if info.width == 0 || info.height == 0 || info.width > MAX_SIDE || info.height > MAX_SIDE {
        return Err(refuse(&format!("must be at most {MAX_SIDE} by {MAX_SIDE} pixels")));
    }
    Ok(info)
}

fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

fn be16(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from(u16::from_be_bytes(bytes.get(at..at + 2)?.try_into().ok()?)))
}

fn le16(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from(u16::from_le_bytes(bytes.get(at..at + 2)?.try_into().ok()?)))
}

fn le24(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at + 3)?;
    Some(u32::from(b[0]) | u32::from(b[1]) << 8 | u32::from(b[2]) << 16)
}

/// The IHDR chunk comes first: its width and height.
fn png_size(bytes: &[u8]) -> Option<(u32, u32)> {
    (bytes.get(12..16)? == b"IHDR").then_some(())?;
    Some((be32(bytes, 16)?, be32(bytes, 20)?))
}

/// Walks the markers to the first start-of-frame; each step moves forward, so a hostile
/// file ends the walk at its end.
fn jpeg_size(bytes: &[u8]) -> Option<(u32, u32)> {
    let mut at = 2;
    while at + 4 <= bytes.len() {
        if bytes[at] != 0xff {
            return None;
        }
        let marker = bytes[at + 1];
        if marker == 0xff {
            at += 1;
            continue;
        }
        let length = be16(bytes, at + 2)? as usize;
        let is_frame = matches!(marker, 0xc0..=0xcf) && !matches!(marker, 0xc4 | 0xc8 | 0xcc);
        if is_frame {
            return Some((be16(bytes, at + 7)?, be16(bytes, at + 5)?));
        }
        if length < 2 {
            return None;
        }
        at += 2 + length;
    }
    None
}

/// The first chunk says which WebP it is and where its size is.
fn webp_size(bytes: &[u8]) -> Option<(u32, u32)> {
    match bytes.get(12..16)? {
        b"VP8 " => {
            // A key frame's start code, then 14 bits each of width and height.
            (bytes.get(23..26)? == [0x9d, 0x01, 0x2a]).then_some(())?;
            Some((le16(bytes, 26)? & 0x3fff, le16(bytes, 28)? & 0x3fff))
        }
        b"VP8L" => {
            (*bytes.get(20)? == 0x2f).then_some(())?;
            let bits = u32::from_le_bytes(bytes.get(21..25)?.try_into().ok()?);
            Some(((bits & 0x3fff) + 1, ((bits >> 14) & 0x3fff) + 1))
        }
        b"VP8X" => Some((le24(bytes, 24)? + 1, le24(bytes, 27)? + 1)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WHITE: Colour = Colour { red: 0xff, green: 0xff, blue: 0xff };

    fn png(width: u32, height: u32) -> Vec<u8> {
        let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        bytes.extend(width.to_be_bytes());
        bytes.extend(height.to_be_bytes());
        bytes.extend([8, 6, 0, 0, 0, 0, 0, 0, 0]);
        bytes
    }

    #[test]
    fn colours_are_taken_only_when_text_stays_readable() {
        assert_eq!(Colour::parse("accent", "#0B5CAD").unwrap().hex(), "#0b5cad");
        assert_eq!(Colour::parse("accent", " 0b5cad ").unwrap().hex(), "#0b5cad");
        for bad in ["blue", "#0b5ca", "#0b5cadd", "#gg0000", ""] {
            assert_eq!(Colour::parse("accent", bad).unwrap_err().field, "accent", "{bad}");
        }
        assert!(Colour::parse_readable("accent", "#0b5cad").is_ok());
        let too_light = Colour::parse_readable("accent", "#ffd400").unwrap_err();
        assert!(too_light.message.contains("too light"), "{}", too_light.message);
        assert!((contrast(WHITE, Colour { red: 0, green: 0, blue: 0 }) - 21.0).abs() < 0.01);
    }

    #[test]
    fn a_dark_page_gets_a_lighter_shade_that_still_reads() {
        for raw in ["#0b5cad", "#6a1b9a", "#8b0000", "#000000", "#1e6b34"] {
            let colour = Colour::parse_readable("accent", raw).unwrap();
            let dark = colour.for_dark_pages();
            assert!(contrast(dark, DARK_BACKGROUND) >= MIN_CONTRAST, "{raw} -> {}", dark.hex());
        }
    }

    #[test]
    fn pictures_are_known_by_their_bytes_and_held_to_limits() {
        let logo = sniff("logo", Picture::Logo, &png(256, 128)).unwrap();
        assert_eq!((logo.content_type, logo.width, logo.height), ("image/png", 256, 128));
        let mut jpeg = vec![0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0x00, 0x00];
        jpeg.extend([0xff, 0xc0, 0x00, 0x11, 0x08, 0x01, 0x2c, 0x02, 0x58, 0x03]);
        let photo = sniff("cover", Picture::Cover, &jpeg).unwrap();
        assert_eq!((photo.content_type, photo.width, photo.height), ("image/jpeg", 600, 300));
        let mut webp = b"RIFF\0\0\0\0WEBPVP8X\x0a\0\0\0\0\0\0\0".to_vec();
        webp.extend([0x3f, 0x01, 0x00, 0x77, 0x00, 0x00]);
        let webp = sniff("cover", Picture::Cover, &webp).unwrap();
        assert_eq!((webp.content_type, webp.width, webp.height), ("image/webp", 320, 120));

        let refused = |bytes: &[u8]| sniff("logo", Picture::Logo, bytes).unwrap_err().message;
        assert!(refused(b"<svg xmlns='http://www.w3.org/2000/svg'><script/></svg>").contains("PNG, JPEG or WebP"));
        assert!(refused(b"GIF89a").contains("PNG, JPEG or WebP"));
        assert!(refused(b"").contains("choose"));
        assert!(refused(b"\x89PNG\r\n\x1a\n").contains("damaged"));
        assert!(refused(&png(5000, 10)).contains("4000"));
        assert!(
            refused(&[0xff, 0xd8, 0xff, 0xe0, 0x00, 0x00]).contains("damaged"),
            "a marker of no length ends the walk"
        );
        let mut huge = png(10, 10);
        huge.resize(Picture::Logo.max_bytes() + 1, 0);
        assert!(refused(&huge).contains("larger than 512 KB"));
    }
}

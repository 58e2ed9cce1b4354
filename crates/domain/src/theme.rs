//! How a member's pages are coloured: as their device asks (light by day, dark at night,
//! whatever its setting says), or always light, or always dark. A shared salon tablet set
//! to light can still give its manager dark pages on their own phone.

use crate::ValidationError;

/// A member's choice of colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Theme {
    #[default]
    Device,
    Light,
    Dark,
}

impl Theme {
    pub const ALL: [Theme; 3] = [Theme::Device, Theme::Light, Theme::Dark];

    /// As stored and sent in forms.
    pub fn name(self) -> &'static str {
        match self {
            Theme::Device => "device",
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }

    /// As the account page offers it.
    pub fn label(self) -> &'static str {
        match self {
            Theme::Device => "As my device is set",
            Theme::Light => "Light",
            Theme::Dark => "Dark",
        }
    }

    /// A theme from a form or the database.
    pub fn parse(field: &str, raw: &str) -> Result<Theme, ValidationError> {
        Theme::ALL
            .into_iter()
            .find(|theme| theme.name() == raw.trim())
            .ok_or_else(|| ValidationError::new(field, "must be one of: device, light, dark"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_theme_reads_back_from_its_name_and_nothing_else_is_one() {
        for theme in Theme::ALL {
            assert_eq!(Theme::parse("theme", theme.name()), Ok(theme));
        }
        assert_eq!(Theme::parse("theme", "blue").unwrap_err().field, "theme");
        assert_eq!(Theme::default(), Theme::Device);
    }
}

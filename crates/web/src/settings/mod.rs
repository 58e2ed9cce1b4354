//! Settings: one page that lists every page of the business's set-up under its heading
//! (business, team, reminders, data and privacy, developers, you), the ones the member may
//! open. The main menu keeps to the day's work.

pub mod settings_page;

use crate::routes::{Route, get};

/// Where the settings page lives; the main menu links to it.
pub const PATH: &str = "/app/settings";

/// The routes of this capability.
pub fn routes() -> Vec<Route> {
    vec![get(PATH, settings_page::show).member().about("Settings: every setting, grouped")]
}

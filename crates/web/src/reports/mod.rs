//! Reports: the Today page every member lands on after signing in, with the business's
//! figures for members who see the calendar, and the charts drawn for it.

pub mod today_page;
pub mod week_chart;

use crate::routes::{Route, get};

/// The routes of this capability.
pub fn routes() -> Vec<Route> {
    vec![
        get("/app", today_page::show)
            .member()
            .menu(10, "Today")
            .about("Today: appointments, figures, what needs attention"),
    ]
}

//! A customer chosen in a form by what a person remembers of them (part of a name, a few
//! digits of a phone, an email) instead of an id: a search field whose Find button asks
//! the same page again by GET, then the matches as radio buttons. The booking form, the
//! privacy inbox and legal holds share it; it works without JavaScript.

use crate::AppState;
use steward_app::AppError;
use steward_app::access::principal::Principal;
use steward_app::customers::records::{self, CustomerSummary, ListRequest};
use steward_domain::permissions::Permission;

/// Most matches offered; a person narrows the search rather than scrolls.
const MOST_MATCHES: i64 = 8;

/// What the picker shows: the search typed, its matches, and the customer already chosen.
pub struct CustomerPicker {
    /// What was typed in the search field (`find`).
    pub find: String,
    /// Matches of `find`, when something was searched.
    pub found: Option<Vec<CustomerSummary>>,
    /// The chosen customer's id (`customer_id`), and their name when it is known.
    pub chosen: String,
    pub chosen_name: Option<String>,
    /// Where the Find button asks (this page's own address).
    pub action: &'static str,
    /// Whether "someone new" is a choice (booking a new customer in the same form).
    pub allow_new: bool,
}

impl CustomerPicker {
    /// Searches what was typed the way the customer list does, and names the chosen one.
    pub async fn search(
        state: &AppState,
        who: &Principal,
        find: &str,
        chosen: &str,
        action: &'static str,
    ) -> Result<Self, AppError> {
        let readable = who.has(Permission::CustomersRead);
        let found = if find.trim().is_empty() || !readable {
            None
        } else {
            let request = ListRequest { q: Some(find.to_string()), limit: Some(MOST_MATCHES), ..Default::default() };
            Some(records::list(&state.app, who, &request).await?.customers)
        };
        let chosen_name = match chosen.trim().parse() {
            Ok(id) if readable => records::summary(&state.app, who, id).await.ok().map(|c| c.name),
            _ => None,
        };
        Ok(Self {
            find: find.to_string(),
            found,
            chosen: chosen.trim().to_string(),
            chosen_name,
            action,
            allow_new: false,
        })
    }

    /// Offers "someone new" beside the matches.
    pub fn or_someone_new(mut self) -> Self {
        self.allow_new = true;
        self
    }

    /// Whether a match is the one to show selected: the chosen one, else the first.
    pub fn selects(&self, customer: &CustomerSummary, first: &bool) -> bool {
        customer.id.to_string() == self.chosen || (*first && self.chosen.is_empty())
    }

    /// A customer is chosen and no search asks to choose again: the form names them.
    pub fn settled(&self) -> bool {
        self.found.is_none() && self.chosen_name.is_some()
    }
}

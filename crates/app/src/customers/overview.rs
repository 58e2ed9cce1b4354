//! A customer's page in one read: the record, the customer's appointments and messages,
//! and the business's name for the page's header.
//!
//! Read apart, these are four transactions one after the other; read here, they are one
//! snapshot. The exception is a reader who may see sensitive values: opening them is
//! audited, which takes the writing transaction, so the record comes from
//! [`records::get`] and only the other reads share a transaction. They stay off SQLite's
//! single writer, which every other write of every business waits for.

use super::records::{self, CustomerDetail};
use crate::access::principal::Principal;
use crate::booking::appointments::{self, AppointmentView};
use crate::messaging::log::{self, MessageView};
use crate::{App, AppError};
use steward_domain::ids::CustomerId;
use steward_domain::permissions::Permission;

/// Everything a customer's page shows.
#[derive(Debug, Clone)]
pub struct CustomerOverview {
    /// The business's name, for the header of the page.
    pub business: String,
    pub customer: CustomerDetail,
    /// The appointments, latest first, and how many times the customer did not come;
    /// `None` for a reader without `bookings.read`.
    pub appointments: Option<(Vec<AppointmentView>, i64)>,
    /// Reminders and notices sent (or not) to the customer, newest first.
    pub messages: Vec<MessageView>,
}

/// Reads what a customer's page shows; "not found" for a customer of another tenant.
pub async fn of_customer(app: &App, who: &Principal, id: CustomerId) -> Result<CustomerOverview, AppError> {
    who.require(Permission::CustomersRead)?;
    let revealed =
        if who.has(Permission::CustomersSensitiveRead) { Some(records::get(app, who, id).await?) } else { None };
    let mut tx = app.store.begin_tenant_read(who.tenant).await?;
    let customer = match revealed {
        Some(customer) => customer,
        None => records::load_detail(app, &mut tx, who, id, false).await?,
    };
    let business = steward_store::tenancy::tenants::current(&mut tx).await?.name;
    let appointments =
        if who.has(Permission::BookingsRead) { Some(appointments::of_customer_in(&mut tx, id).await?) } else { None };
    let messages = log::of_customer_in(&mut tx, id).await?;
    tx.commit().await?;
    Ok(CustomerOverview { business, customer, appointments, messages })
}

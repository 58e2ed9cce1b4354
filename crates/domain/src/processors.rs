//! The sub-processors Steward may share personal data with (EGR-1), what each may receive
//! and why. The outbound client refuses anything else, and the privacy notices list
//! exactly this table, so what a page promises and what the code allows cannot drift apart.

use serde::Serialize;

/// A declared sub-processor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Processor {
    /// How code and egress records name it.
    pub id: &'static str,
    pub name: &'static str,
    pub purpose: &'static str,
    /// The only fields a call to it may carry.
    pub fields: &'static [&'static str],
    /// Where it processes data, as its own terms state.
    pub location: &'static str,
}

/// What a reminder, a notice or a one-time code may carry (MSG-1): nothing else about a
/// customer.
const MESSAGE_FIELDS: &[&str] = &[
    "customer.phone",
    "customer.first_name",
    "appointment.time",
    "service.name",
    "staff.first_name",
    "business.name",
    "link",
    "one_time_code",
];

pub const TWILIO: Processor = Processor {
    id: "twilio",
    name: "Twilio (SMS)",
    purpose: "appointment reminders and notices by SMS",
    fields: MESSAGE_FIELDS,
    location: "United States",
};

pub const WHATSAPP: Processor = Processor {
    id: "whatsapp",
    name: "Meta WhatsApp Business Cloud API",
    purpose: "appointment reminders and notices on WhatsApp",
    fields: MESSAGE_FIELDS,
    location: "United States",
};

pub const RAZORPAY: Processor = Processor {
    id: "razorpay",
    name: "Razorpay",
    purpose: "payments for invoices and plans",
    fields: &["customer.name", "customer.phone", "customer.email", "invoice.amount", "invoice.number"],
    location: "India",
};

pub const SMTP_RELAY: Processor = Processor {
    id: "smtp",
    name: "the email relay the operator configures",
    purpose: "email to members (sign-in, invitations, alerts) and to customers (reminders)",
    fields: &[
        "member.email",
        "member.name",
        "customer.email",
        "customer.first_name",
        "appointment.time",
        "service.name",
        "staff.first_name",
        "business.name",
        "link",
        "one_time_code",
    ],
    location: "as the operator configures",
};

/// Every declared sub-processor.
pub const ALL: [Processor; 4] = [TWILIO, WHATSAPP, RAZORPAY, SMTP_RELAY];

/// The declared processor with this id.
pub fn find(id: &str) -> Option<&'static Processor> {
    ALL.iter().find(|p| p.id == id)
}

impl Processor {
    /// The first field this processor may not receive, if any.
    pub fn undeclared_field<'a>(&self, fields: &[&'a str]) -> Option<&'a str> {
        fields.iter().copied().find(|field| !self.fields.contains(field))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_processor_may_receive_sensitive_fields_or_notes() {
        for processor in ALL {
            for field in processor.fields {
                assert!(
                    !field.contains("note") && !field.contains("sensitive") && !field.contains("address"),
                    "{field}"
                );
            }
        }
        assert_eq!(TWILIO.undeclared_field(&["customer.phone", "customer.notes"]), Some("customer.notes"));
        assert_eq!(find("razorpay"), Some(&RAZORPAY));
        assert_eq!(find("adtech"), None);
    }
}

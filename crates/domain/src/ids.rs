//! Typed identifiers. Every id is a UUIDv7 (time-ordered, so inserts stay local in a
//! b-tree) wrapped in its own type, so a member id can never be passed where a tenant id
//! is expected.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh, time-ordered id.
            pub fn generate() -> Self {
                Self(Uuid::now_v7())
            }
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }

        impl From<Uuid> for $name {
            fn from(id: Uuid) -> Self {
                Self(id)
            }
        }

        /// On the wire every id is a bare UUID; inlined, so the API document does not
        /// grow a component per kind of id.
        impl schemars::JsonSchema for $name {
            fn inline_schema() -> bool {
                true
            }

            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({ "type": "string", "format": "uuid" })
            }
        }
    };
}

typed_id!(
    /// A tenant: one business or enterprise customer of Steward.
    TenantId
);
typed_id!(
    /// A member of a tenant: someone who logs in to work for the business.
    MemberId
);
typed_id!(
    /// A role inside a tenant, built in or custom.
    RoleId
);
typed_id!(
    /// A login session of a member.
    SessionId
);
typed_id!(
    /// An API token of a member.
    ApiTokenId
);
typed_id!(
    /// An invitation to join a tenant.
    InvitationId
);
typed_id!(
    /// A customer of a tenant: a person the business serves (a data subject).
    CustomerId
);
typed_id!(
    /// A note on a customer's timeline.
    NoteId
);
typed_id!(
    /// A field the tenant defined for its customers.
    FieldId
);
typed_id!(
    /// One recorded consent or withdrawal.
    ConsentId
);
typed_id!(
    /// A place where a tenant serves its customers, with its own time zone.
    LocationId
);
typed_id!(
    /// A service a tenant offers: a haircut, a consultation, a class.
    ServiceId
);
typed_id!(
    /// Someone whose time can be booked, with or without a login.
    StaffId
);
typed_id!(
    /// One booked appointment.
    AppointmentId
);
typed_id!(
    /// A recurring series of appointments.
    SeriesId
);
typed_id!(
    /// A stretch of time off of one staff member.
    TimeOffId
);
typed_id!(
    /// A slot held for a few minutes while someone fills in the public booking form.
    HoldId
);

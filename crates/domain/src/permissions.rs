//! Named permissions and the built-in roles (ACC-3).
//!
//! Every route declares the one permission it needs; a member's role grants a set of
//! them, and an API token may narrow that set further with its scopes. Sensitive fields
//! have their own permission, separate from reading the record.

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

macro_rules! permissions {
    ($($variant:ident => $name:literal, $about:literal;)*) => {
        /// One thing a member may be allowed to do.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub enum Permission { $($variant,)* }

        impl Permission {
            pub const ALL: &'static [Permission] = &[$(Permission::$variant,)*];

            pub fn name(self) -> &'static str {
                match self { $(Permission::$variant => $name,)* }
            }

            /// What the permission allows, for the roles page and the API document.
            pub fn about(self) -> &'static str {
                match self { $(Permission::$variant => $about,)* }
            }
        }

        impl FromStr for Permission {
            type Err = UnknownPermission;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s { $($name => Ok(Permission::$variant),)* other => Err(UnknownPermission(other.to_string())) }
            }
        }
    };
}

permissions! {
    TenantRead => "tenant.read", "See the business profile";
    TenantManage => "tenant.manage", "Change the business profile";
    MembersRead => "members.read", "See the members of the business";
    MembersManage => "members.manage", "Invite members, change their roles, remove them";
    RolesManage => "roles.manage", "Create and change custom roles";
    CustomersRead => "customers.read", "See customer records";
    CustomersWrite => "customers.write", "Create and change customer records";
    CustomersSensitiveRead => "customers.sensitive.read", "Read sensitive customer fields";
    BookingsRead => "bookings.read", "See the calendar and appointments";
    BookingsManage => "bookings.manage", "Book, move and cancel appointments";
    BillingManage => "billing.manage", "Manage plan, payments and invoices";
    AuditRead => "audit.read", "Read the audit log";
    PrivacyManage => "privacy.manage", "Handle privacy requests and retention";
}

/// A permission name that Steward does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown permission '{0}'")]
pub struct UnknownPermission(pub String);

impl TryFrom<String> for Permission {
    type Error = UnknownPermission;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<Permission> for String {
    fn from(p: Permission) -> Self {
        p.name().to_string()
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a route requires of the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not (sign-up, log-in, health checks).
    Public,
    /// Any signed-in member of the tenant, for their own account.
    Member,
    /// A signed-in member whose role (and token scopes) include this permission.
    Permission(Permission),
}

impl Access {
    pub fn describe(self) -> &'static str {
        match self {
            Access::Public => "public",
            Access::Member => "member",
            Access::Permission(p) => p.name(),
        }
    }
}

/// The roles every tenant starts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuiltinRole {
    Owner,
    Admin,
    Staff,
}

impl BuiltinRole {
    pub const ALL: [BuiltinRole; 3] = [BuiltinRole::Owner, BuiltinRole::Admin, BuiltinRole::Staff];

    pub fn name(self) -> &'static str {
        match self {
            BuiltinRole::Owner => "owner",
            BuiltinRole::Admin => "admin",
            BuiltinRole::Staff => "staff",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.name() == name)
    }

    pub fn permissions(self) -> BTreeSet<Permission> {
        use Permission::*;
        match self {
            BuiltinRole::Owner => Permission::ALL.iter().copied().collect(),
            // An admin runs the business day to day; the owner alone holds billing.
            BuiltinRole::Admin => Permission::ALL.iter().copied().filter(|p| *p != BillingManage).collect(),
            BuiltinRole::Staff => {
                [TenantRead, MembersRead, CustomersRead, CustomersWrite, BookingsRead, BookingsManage]
                    .into_iter()
                    .collect()
            }
        }
    }
}

/// Parses a list of permission names, naming the first unknown one.
pub fn parse_permissions<'a>(
    names: impl IntoIterator<Item = &'a str>,
) -> Result<BTreeSet<Permission>, UnknownPermission> {
    names.into_iter().map(str::parse).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for p in Permission::ALL {
            assert_eq!(p.name().parse::<Permission>(), Ok(*p));
        }
        assert!("customers.everything".parse::<Permission>().is_err());
    }

    #[test]
    fn staff_cannot_read_sensitive_fields_by_default() {
        // promise: ACC-3
        assert!(!BuiltinRole::Staff.permissions().contains(&Permission::CustomersSensitiveRead));
        assert!(BuiltinRole::Owner.permissions().contains(&Permission::CustomersSensitiveRead));
        assert!(!BuiltinRole::Admin.permissions().contains(&Permission::BillingManage));
    }
}

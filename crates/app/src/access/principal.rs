//! The caller of a request once authenticated: which member of which tenant, with which
//! effective permissions (the role's, narrowed by an API token's scopes).

use crate::AppError;
use serde::Serialize;
use std::collections::BTreeSet;
use steward_domain::ids::{ApiTokenId, MemberId, SessionId, TenantId};
use steward_domain::permissions::{Access, Permission};

/// How the caller proved who they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    Session { id: SessionId, csrf_token: String },
    ApiToken { id: ApiTokenId },
}

#[derive(Debug, Clone)]
pub struct Principal {
    pub tenant: TenantId,
    pub member: MemberId,
    pub name: String,
    pub email: String,
    pub role: String,
    pub email_verified: bool,
    pub permissions: BTreeSet<Permission>,
    /// The colours their pages take.
    pub theme: steward_domain::theme::Theme,
    pub credential: Credential,
    /// Where the current request came from, for the audit log; filled in by the web layer.
    pub origin: super::auth::ClientInfo,
}

impl Principal {
    pub fn has(&self, permission: Permission) -> bool {
        self.permissions.contains(&permission)
    }

    pub fn require(&self, permission: Permission) -> Result<(), AppError> {
        if self.has(permission) { Ok(()) } else { Err(AppError::Forbidden(permission.name().to_string())) }
    }

    pub fn allows(&self, access: Access) -> bool {
        match access {
            Access::Public | Access::Member => true,
            Access::Permission(p) => self.has(p),
        }
    }

    pub fn session_id(&self) -> Option<SessionId> {
        match &self.credential {
            Credential::Session { id, .. } => Some(*id),
            Credential::ApiToken { .. } => None,
        }
    }

    pub fn csrf_token(&self) -> Option<&str> {
        match &self.credential {
            Credential::Session { csrf_token, .. } => Some(csrf_token),
            Credential::ApiToken { .. } => None,
        }
    }
}

/// The member's own view of themselves (`GET /api/v1/me`).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[schemars(rename = "Me")]
pub struct MeView {
    pub tenant_id: TenantId,
    pub member_id: MemberId,
    pub name: String,
    #[schemars(extend("format" = "email"))]
    pub email: String,
    pub role: String,
    pub email_verified: bool,
    pub permissions: Vec<&'static str>,
}

impl From<&Principal> for MeView {
    fn from(p: &Principal) -> Self {
        Self {
            tenant_id: p.tenant,
            member_id: p.member,
            name: p.name.clone(),
            email: p.email.clone(),
            role: p.role.clone(),
            email_verified: p.email_verified,
            permissions: p.permissions.iter().map(|p| p.name()).collect(),
        }
    }
}

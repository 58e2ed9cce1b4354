//! Retention (RET-1 … RET-6): the rules each tenant keeps its data by, legal holds that
//! stop deletion, the tenant lifecycle from active to purged, and the sweep that applies
//! all of it on a schedule, from the CLI, or as a dry run.
//!
//! Who acts is an [`Actor`]: a member of the tenant, the operator (through the CLI, audited
//! as platform support), or the scheduled sweep (the system).

pub mod export;
pub mod holds;
pub mod lifecycle;
pub mod rules;
pub mod sweep;

use crate::access::auth::ClientInfo;
use crate::access::principal::Principal;
use crate::audit;
use serde_json::Value;
use steward_store::audit::NewAuditEvent;

/// Who takes a retention step.
#[derive(Debug, Clone, Copy)]
pub enum Actor<'a> {
    Member(&'a Principal),
    Operator,
    System,
}

impl Actor<'_> {
    /// How holds and runs name the actor: a member's id, `operator` or `system`.
    pub fn label(&self) -> String {
        match self {
            Actor::Member(who) => format!("member:{}", who.member),
            Actor::Operator => "operator".into(),
            Actor::System => "system".into(),
        }
    }

    pub(crate) fn event(
        &self,
        action: &'static str,
        target: Option<(&'static str, String)>,
        details: Value,
    ) -> NewAuditEvent {
        match self {
            Actor::Member(who) => audit::by(who, action, target, details),
            Actor::Operator => {
                let mut event = audit::by_system(&ClientInfo::default(), None, action, target, details);
                event.actor_type = "support";
                event
            }
            Actor::System => audit::by_system(&ClientInfo::default(), None, action, target, details),
        }
    }
}

/// An [`Actor`] that owns the member it names, so a write that runs on its own (which
/// cannot borrow from its caller) can still say who acted.
#[derive(Debug, Clone)]
pub(crate) enum OwnedActor {
    Member(Box<Principal>),
    Operator,
    System,
}

impl OwnedActor {
    pub(crate) fn of(by: Actor<'_>) -> Self {
        match by {
            Actor::Member(who) => OwnedActor::Member(Box::new(who.clone())),
            Actor::Operator => OwnedActor::Operator,
            Actor::System => OwnedActor::System,
        }
    }

    pub(crate) fn actor(&self) -> Actor<'_> {
        match self {
            OwnedActor::Member(who) => Actor::Member(who),
            OwnedActor::Operator => Actor::Operator,
            OwnedActor::System => Actor::System,
        }
    }
}

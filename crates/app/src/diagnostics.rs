//! A tenant's own recent problems, for its admins to trace by request id: requests that
//! failed inside Steward (5xx) and requests slower than the configured threshold. Kept in
//! memory, the last [`PER_TENANT`] per tenant, and never with a personal value: route,
//! status, latency, time and request id only (the internal error itself stays in the
//! operator's log, under the same request id).

use crate::access::principal::Principal;
use crate::clock::format_instant;
use crate::{App, AppError};
use serde::Serialize;
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use steward_domain::ids::TenantId;
use steward_domain::permissions::Permission;

/// Problems kept per tenant.
pub const PER_TENANT: usize = 200;
/// Tenants kept at most; past this the oldest records are dropped wholesale.
const TENANTS: usize = 10_000;

#[derive(Debug, Clone, Serialize, PartialEq, Eq, schemars::JsonSchema)]
pub struct Problem {
    #[schemars(extend("format" = "date-time"))]
    pub at: String,
    pub request_id: String,
    pub method: String,
    pub route: String,
    pub status: u16,
    pub latency_ms: u64,
    /// `error` for a failure inside Steward, `slow` for a slow answer.
    #[schemars(extend("enum" = ["error", "slow"]))]
    pub kind: &'static str,
}

/// A request as it ended, for [`Problems::observe`].
pub struct Observed<'a> {
    pub tenant: TenantId,
    /// When it ended.
    pub at: i64,
    pub request_id: &'a str,
    pub method: &'a str,
    pub route: &'a str,
    pub status: u16,
    pub latency_us: u64,
}

#[derive(Default)]
pub struct Problems {
    by_tenant: Mutex<HashMap<TenantId, VecDeque<Problem>>>,
}

impl Problems {
    /// Records a request if it failed inside Steward or was slower than `slow_ms`.
    pub fn observe(&self, request: &Observed<'_>, slow_ms: u64) {
        let Observed { tenant, at, request_id, method, route, status, latency_us } = *request;
        let latency_ms = latency_us / 1000;
        let kind = if status >= 500 {
            "error"
        } else if latency_ms >= slow_ms {
            "slow"
        } else {
            return;
        };
        let Ok(mut all) = self.by_tenant.lock() else { return };
        if all.len() >= TENANTS && !all.contains_key(&tenant) {
            all.clear();
        }
        let list = all.entry(tenant).or_default();
        if list.len() >= PER_TENANT {
            list.pop_front();
        }
        list.push_back(Problem {
            at: format_instant(at),
            request_id: request_id.to_string(),
            method: method.to_string(),
            route: route.to_string(),
            status,
            latency_ms,
            kind,
        });
    }

    fn recent(&self, tenant: TenantId) -> Vec<Problem> {
        self.by_tenant
            .lock()
            .map(|all| all.get(&tenant).map(|l| l.iter().rev().cloned().collect()).unwrap_or_default())
            .unwrap_or_default()
    }
}

/// The tenant's recent problems, newest first.
pub fn recent(app: &App, who: &Principal) -> Result<Vec<Problem>, AppError> {
    who.require(Permission::AuditRead)?;
    Ok(app.problems.recent(who.tenant))
}

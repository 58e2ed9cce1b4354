//! Retention: how long each data class is kept, the dates of a tenant's lifecycle, and the
//! limits within which a tenant may choose (RET-1 … RET-6).
//!
//! Pure rules: the clock, the database and the sweep that applies them live elsewhere.
//! Days are whole days of 24 hours counted from an instant, so a rule means the same
//! thing in every time zone.

use crate::classification::DataClass;
use serde::Serialize;

/// One day in microseconds, the unit instants are stored in.
pub const DAY_MICROS: i64 = crate::micros::MICROS_PER_DAY;

/// The promised ceiling for keeping account data after a cancellation (RET-3: 6 months).
pub const ACCOUNT_DATA_AFTER_CANCELLATION_MAX_DAYS: i64 = 180;
/// The promised ceiling for customer data after termination (RET-4: 90 days).
pub const CUSTOMER_DATA_AFTER_TERMINATION_MAX_DAYS: i64 = 90;

/// What the operator allows and defaults to; tenants choose within it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Limits {
    /// Usage records are kept this long unless the tenant chooses less (declared, WEB-2).
    pub usage_days: i64,
    /// The shortest a tenant may keep its security logs (they are kept while the account
    /// is active unless the tenant asks for less, RET-1).
    pub security_log_min_days: i64,
    /// The shortest inactivity after which a tenant may have customers removed.
    pub personal_min_days: i64,
    /// A cancelled tenant may come back for this long; then it is terminated.
    pub cancellation_grace_days: i64,
    /// After termination, customer and account data are purged after this long.
    pub purge_delay_days: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            usage_days: 395,
            security_log_min_days: 365,
            personal_min_days: 30,
            cancellation_grace_days: 90,
            purge_delay_days: 30,
        }
    }
}

/// Why a set of limits would break a promise.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitsError {
    #[error("{0} must be at least 1 day")]
    NotPositive(&'static str),
    #[error(
        "retention_purge_delay_days is {0}: customer data must be gone within {CUSTOMER_DATA_AFTER_TERMINATION_MAX_DAYS} days of termination (RET-4)"
    )]
    PurgeTooLate(i64),
    #[error(
        "retention_cancellation_grace_days + retention_purge_delay_days is {0}: account data must be gone within {ACCOUNT_DATA_AFTER_CANCELLATION_MAX_DAYS} days of cancellation (RET-3)"
    )]
    AccountDataTooLong(i64),
}

impl Limits {
    /// Refuses limits that would keep data longer than the promises allow.
    pub fn validate(&self) -> Result<(), LimitsError> {
        for (name, value) in [
            ("retention_usage_days", self.usage_days),
            ("retention_security_log_min_days", self.security_log_min_days),
            ("retention_personal_min_days", self.personal_min_days),
            ("retention_cancellation_grace_days", self.cancellation_grace_days),
            ("retention_purge_delay_days", self.purge_delay_days),
        ] {
            if value < 1 {
                return Err(LimitsError::NotPositive(name));
            }
        }
        if self.purge_delay_days > CUSTOMER_DATA_AFTER_TERMINATION_MAX_DAYS {
            return Err(LimitsError::PurgeTooLate(self.purge_delay_days));
        }
        let total = self.cancellation_grace_days + self.purge_delay_days;
        if total > ACCOUNT_DATA_AFTER_CANCELLATION_MAX_DAYS {
            return Err(LimitsError::AccountDataTooLong(total));
        }
        Ok(())
    }
}

/// The data classes a tenant sets a rule for; the others follow the lifecycle.
pub const RULED_CLASSES: [DataClass; 3] = [DataClass::Usage, DataClass::SecurityLog, DataClass::Personal];

/// A class's rule in force: keep for this many days, or `None` for as long as the account is
/// active (security logs) or until deleted on request (customer data).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Rule {
    pub class: DataClass,
    pub keep_days: Option<i64>,
    /// Whether the tenant chose it (false: the operator's default).
    pub chosen: bool,
}

impl Rule {
    /// Records of this class older than the returned instant are due for removal.
    pub fn cutoff(&self, now: i64) -> Option<i64> {
        self.keep_days.map(|days| now - days * DAY_MICROS)
    }

    /// What the rule means, in words a privacy notice can show.
    pub fn describe(&self) -> String {
        match (self.class, self.keep_days) {
            (DataClass::Usage, Some(days)) => format!("usage records are kept for {days} days"),
            (DataClass::SecurityLog, None) => "security logs are kept while the account is active".to_string(),
            (DataClass::SecurityLog, Some(days)) => format!("security logs are kept for {days} days"),
            (DataClass::Personal, None) => {
                "customer data is kept until the business or the customer deletes it".to_string()
            }
            (DataClass::Personal, Some(days)) => {
                format!("customers with no visit or change for {days} days are deleted")
            }
            (class, Some(days)) => format!("{} data is kept for {days} days", class.name()),
            (class, None) => format!("{} data is kept while the account is active", class.name()),
        }
    }
}

/// Why a tenant's choice of rule is refused; each names the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error("data_class: {0} has no retention rule a business can choose (choose usage, security_log or personal)")]
    NotRuled(String),
    #[error("keep_days: usage records are kept at most {max} days; {asked} asked")]
    UsageTooLong { max: i64, asked: i64 },
    #[error("keep_days: {class} must be kept at least {min} days; {asked} asked")]
    TooShort { class: &'static str, min: i64, asked: i64 },
    #[error("keep_days: usage records always have a limit; give a number of days")]
    UsageNeedsDays,
}

/// Checks a tenant's choice against the operator's limits.
pub fn check_choice(limits: &Limits, class: DataClass, keep_days: Option<i64>) -> Result<Rule, RuleError> {
    match (class, keep_days) {
        (DataClass::Usage, None) => return Err(RuleError::UsageNeedsDays),
        (DataClass::Usage, Some(days)) if days > limits.usage_days => {
            return Err(RuleError::UsageTooLong { max: limits.usage_days, asked: days });
        }
        (DataClass::Usage, Some(days)) if days < 1 => {
            return Err(RuleError::TooShort { class: "usage", min: 1, asked: days });
        }
        (DataClass::SecurityLog, Some(days)) if days < limits.security_log_min_days => {
            return Err(RuleError::TooShort { class: "security_log", min: limits.security_log_min_days, asked: days });
        }
        (DataClass::Personal, Some(days)) if days < limits.personal_min_days => {
            return Err(RuleError::TooShort { class: "personal", min: limits.personal_min_days, asked: days });
        }
        (DataClass::Usage | DataClass::SecurityLog | DataClass::Personal, _) => {}
        (other, _) => return Err(RuleError::NotRuled(other.name().to_string())),
    }
    Ok(Rule { class, keep_days, chosen: true })
}

/// The operator's default rule for a class.
pub fn default_rule(limits: &Limits, class: DataClass) -> Rule {
    let keep_days = match class {
        DataClass::Usage => Some(limits.usage_days),
        _ => None,
    };
    Rule { class, keep_days, chosen: false }
}

/// The rules in force: the tenant's choices where it made one, the defaults elsewhere.
pub fn rules_in_force(limits: &Limits, chosen: &[(DataClass, Option<i64>)]) -> Vec<Rule> {
    RULED_CLASSES
        .iter()
        .map(|&class| match chosen.iter().find(|(c, _)| *c == class) {
            Some(&(_, keep_days)) => Rule { class, keep_days, chosen: true },
            None => default_rule(limits, class),
        })
        .collect()
}

/// Parses a class name as stored and typed.
pub fn parse_class(name: &str) -> Option<DataClass> {
    use DataClass::*;
    [Account, Personal, Sensitive, Billing, Usage, SecurityLog, Config, Secret, Operational, Aggregate]
        .into_iter()
        .find(|class| class.name() == name)
}

/// Where a tenant is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Active,
    Cancelled,
    Terminated,
    Purged,
}

impl Stage {
    pub fn name(self) -> &'static str {
        match self {
            Stage::Active => "active",
            Stage::Cancelled => "cancelled",
            Stage::Terminated => "terminated",
            Stage::Purged => "purged",
        }
    }

    pub fn parse(name: &str) -> Option<Stage> {
        [Stage::Active, Stage::Cancelled, Stage::Terminated, Stage::Purged].into_iter().find(|s| s.name() == name)
    }

    /// Whether a business at this stage still has an account: people can sign in, ask it
    /// about their data, and be mailed for it (active, or cancelled within the grace
    /// period).
    pub fn is_open(self) -> bool {
        matches!(self, Stage::Active | Stage::Cancelled)
    }
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A tenant's lifecycle dates, in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Dates {
    pub cancelled_at: Option<i64>,
    pub terminates_at: Option<i64>,
    pub terminated_at: Option<i64>,
    pub purge_at: Option<i64>,
    pub purged_at: Option<i64>,
    pub purge_finished_at: Option<i64>,
}

/// Why a lifecycle step cannot be taken now.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StepError {
    #[error("the business is {0}; only an active business can be cancelled")]
    CannotCancel(&'static str),
    #[error("the business is {0}; only a cancelled business can be reactivated")]
    CannotReactivate(&'static str),
    #[error("the business is already {0}")]
    CannotTerminate(&'static str),
    #[error("the business is {0}; only a terminated business can be purged")]
    CannotPurge(&'static str),
}

/// Cancelling at `now`: terminated after the grace period, purged after the delay.
pub fn cancel(stage: Stage, limits: &Limits, now: i64) -> Result<Dates, StepError> {
    if stage != Stage::Active {
        return Err(StepError::CannotCancel(stage.name()));
    }
    let terminates_at = now + limits.cancellation_grace_days * DAY_MICROS;
    Ok(Dates {
        cancelled_at: Some(now),
        terminates_at: Some(terminates_at),
        purge_at: Some(terminates_at + limits.purge_delay_days * DAY_MICROS),
        ..Dates::default()
    })
}

/// Coming back during the grace period clears every date ahead.
pub fn reactivate(stage: Stage) -> Result<Dates, StepError> {
    if stage != Stage::Cancelled {
        return Err(StepError::CannotReactivate(stage.name()));
    }
    Ok(Dates::default())
}

/// Terminating at `now` (the operator, or the end of the grace period): the purge date is
/// the earlier of the one already promised and `now` plus the delay.
pub fn terminate(stage: Stage, dates: Dates, limits: &Limits, now: i64) -> Result<Dates, StepError> {
    if matches!(stage, Stage::Terminated | Stage::Purged) {
        return Err(StepError::CannotTerminate(stage.name()));
    }
    let by_delay = now + limits.purge_delay_days * DAY_MICROS;
    let purge_at = dates.purge_at.map_or(by_delay, |promised| promised.min(by_delay));
    Ok(Dates {
        terminated_at: Some(now),
        terminates_at: dates.terminates_at.or(Some(now)),
        purge_at: Some(purge_at),
        ..dates
    })
}

/// What the sweep should do about a tenant's lifecycle at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    Nothing,
    Terminate,
    Purge,
    /// The key is gone; rows are still being removed (a purge was interrupted).
    FinishPurge,
}

pub fn due(stage: Stage, dates: &Dates, now: i64) -> Due {
    match stage {
        Stage::Cancelled if dates.terminates_at.is_some_and(|at| at <= now) => Due::Terminate,
        Stage::Terminated if dates.purge_at.is_some_and(|at| at <= now) => Due::Purge,
        Stage::Purged if dates.purge_finished_at.is_none() => Due::FinishPurge,
        _ => Due::Nothing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000_000_000;

    #[test]
    fn the_defaults_keep_the_promises() {
        assert_eq!(Limits::default().validate(), Ok(()));
        let late = Limits { purge_delay_days: 91, ..Limits::default() };
        assert_eq!(late.validate(), Err(LimitsError::PurgeTooLate(91)));
        let long = Limits { cancellation_grace_days: 160, purge_delay_days: 30, ..Limits::default() };
        assert_eq!(long.validate(), Err(LimitsError::AccountDataTooLong(190)));
    }

    #[test]
    fn cancelled_account_data_is_gone_within_six_months_and_customer_data_within_ninety_days_of_termination() {
        // promise: RET-3
        // promise: RET-4
        let limits = Limits::default();
        let dates = cancel(Stage::Active, &limits, NOW).unwrap();
        assert!(dates.purge_at.unwrap() - NOW <= ACCOUNT_DATA_AFTER_CANCELLATION_MAX_DAYS * DAY_MICROS);
        let terminates = dates.terminates_at.unwrap();
        assert_eq!(due(Stage::Cancelled, &dates, terminates - 1), Due::Nothing);
        assert_eq!(due(Stage::Cancelled, &dates, terminates), Due::Terminate);
        let terminated = terminate(Stage::Cancelled, dates, &limits, terminates).unwrap();
        assert!(terminated.purge_at.unwrap() - terminates <= CUSTOMER_DATA_AFTER_TERMINATION_MAX_DAYS * DAY_MICROS);
        assert_eq!(due(Stage::Terminated, &terminated, terminated.purge_at.unwrap()), Due::Purge);
        // An operator's early termination never moves the purge later than promised.
        let early = terminate(Stage::Cancelled, dates, &limits, NOW + DAY_MICROS).unwrap();
        assert!(early.purge_at.unwrap() <= dates.purge_at.unwrap());
    }

    #[test]
    fn steps_out_of_order_are_refused_by_name() {
        let limits = Limits::default();
        assert_eq!(cancel(Stage::Cancelled, &limits, NOW), Err(StepError::CannotCancel("cancelled")));
        assert_eq!(reactivate(Stage::Active), Err(StepError::CannotReactivate("active")));
        assert_eq!(terminate(Stage::Purged, Dates::default(), &limits, NOW), Err(StepError::CannotTerminate("purged")));
    }

    #[test]
    fn choices_outside_the_operators_limits_are_refused_naming_the_field() {
        let limits = Limits::default();
        assert!(matches!(check_choice(&limits, DataClass::Usage, Some(400)), Err(RuleError::UsageTooLong { .. })));
        assert!(matches!(check_choice(&limits, DataClass::Usage, None), Err(RuleError::UsageNeedsDays)));
        assert!(matches!(check_choice(&limits, DataClass::SecurityLog, Some(10)), Err(RuleError::TooShort { .. })));
        assert!(matches!(check_choice(&limits, DataClass::Secret, Some(10)), Err(RuleError::NotRuled(_))));
        assert!(check_choice(&limits, DataClass::Personal, Some(730)).is_ok());
        assert!(check_choice(&limits, DataClass::SecurityLog, None).is_ok());
        for error in [RuleError::UsageNeedsDays, RuleError::NotRuled("x".into())] {
            assert!(error.to_string().starts_with("keep_days") || error.to_string().starts_with("data_class"));
        }
    }

    #[test]
    fn rules_in_force_fill_in_the_defaults() {
        let limits = Limits::default();
        let rules = rules_in_force(&limits, &[(DataClass::Personal, Some(1000))]);
        assert_eq!(rules.len(), 3);
        assert_eq!(rules[0], Rule { class: DataClass::Usage, keep_days: Some(395), chosen: false });
        assert_eq!(rules[1].keep_days, None);
        assert_eq!(rules[2], Rule { class: DataClass::Personal, keep_days: Some(1000), chosen: true });
        assert_eq!(rules[2].cutoff(NOW), Some(NOW - 1000 * DAY_MICROS));
    }
}

//! The request budget: what one person and one client address may spend per window
//! (`RATE_LIMIT_WINDOW_SECS`, a minute), counted in the shared store so that every server
//! process counts together. Every operation spends its complexity (as `document::measure`
//! counts it, at least 1) from the person's budget (when signed in) and the address's
//! (always); sign-ins, password changes and submissions also take one from a much smaller
//! count of their own. Spending and checking is one atomic step (`Kv::spend_within`), so a
//! burst cannot all see an empty counter. Same reasoning as `auth::rate_limit`: in-process
//! limiters cannot share state between processes.
use uuid::Uuid;

use crate::{
    error::{AppError, AppResult},
    kv::Spent,
    state::State,
};

/// Root fields that take a turn of the stricter count: they hash passwords or create
/// records other people have to read.
pub const SENSITIVE: &[&str] =
    &["login", "changePassword", "submitProposal", "resubmitProposal", "submitSuggestion", "submitVisitReport"];

/// Where the tightest budget stands after a request, for the `RateLimit` headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meter {
    pub limit: u64,
    pub remaining: u64,
    pub reset_secs: u64,
    pub window_secs: u64,
}

impl Meter {
    /// The counter with the least left of those given (`(limit, used, secs left)`).
    fn tightest(spent: &Spent, limits: &[u64], window_secs: u64) -> Option<Self> {
        spent
            .counters
            .iter()
            .zip(limits)
            .map(|(&(used, left), &limit)| Self {
                limit,
                remaining: limit.saturating_sub(used),
                reset_secs: left,
                window_secs,
            })
            .min_by_key(|m| (m.remaining, std::cmp::Reverse(m.reset_secs)))
    }

    pub fn headers(&self) -> Vec<(&'static str, String)> {
        vec![
            ("RateLimit-Policy", format!("{};w={}", self.limit, self.window_secs)),
            ("RateLimit-Limit", self.limit.to_string()),
            ("RateLimit-Remaining", self.remaining.to_string()),
            ("RateLimit-Reset", self.reset_secs.to_string()),
        ]
    }
}

/// A refused request: the error and the meter that refused it.
pub struct Refused {
    pub error: AppError,
    pub meter: Option<Meter>,
}

/// Spends `cost` for the person and the address, and a turn of the stricter count when the
/// operation is sensitive. `Ok` carries the meter of the cost budget.
pub async fn spend(
    state: &State,
    user: Option<Uuid>,
    ip: &str,
    cost: u64,
    sensitive: bool,
) -> AppResult<Result<Option<Meter>, Refused>> {
    let s = &state.settings;
    let window = s.rate_limit_window();
    let prefix = &s.redis_key_prefix;
    let with_user = |kind: &str, per_user: u64, per_ip: u64| {
        let mut counters = vec![(format!("{prefix}budget:{kind}:ip:{ip}"), per_ip)];
        if let Some(user) = user {
            counters.push((format!("{prefix}budget:{kind}:user:{user}"), per_user));
        }
        counters
    };
    if sensitive {
        let counters = with_user("sensitive", s.rate_limit_sensitive_per_user, s.rate_limit_sensitive_per_ip);
        let spent = state.kv.spend_within(&counters, 1, window).await?;
        if !spent.granted {
            let limits: Vec<u64> = counters.iter().map(|c| c.1).collect();
            let meter = Meter::tightest(&spent, &limits, s.rate_limit_window_secs);
            let wait = meter.as_ref().map_or(s.rate_limit_window_secs, |m| m.reset_secs);
            return Ok(Err(Refused { error: AppError::retry_later("操作过于频繁", wait), meter }));
        }
    }
    let counters = with_user("cost", s.rate_limit_cost_per_user, s.rate_limit_cost_per_ip);
    let limits: Vec<u64> = counters.iter().map(|c| c.1).collect();
    // A request may cost more than a whole budget only when the budget is set below
    // GRAPHQL_MAX_COMPLEXITY; it then takes the whole budget rather than never passing.
    let amount = cost.max(1).min(limits.iter().copied().min().unwrap_or(1).max(1));
    let spent = state.kv.spend_within(&counters, amount, window).await?;
    let meter = Meter::tightest(&spent, &limits, s.rate_limit_window_secs);
    if spent.granted {
        return Ok(Ok(meter));
    }
    let wait = meter.as_ref().map_or(s.rate_limit_window_secs, |m| m.reset_secs);
    Ok(Err(Refused { error: AppError::retry_later("请求过于频繁", wait), meter }))
}

//! The one error type of the API. Every GraphQL error carries `extensions.code` from a
//! fixed set the mobile app codes against; messages are for the person reading them.
//!
//! async-graphql's blanket `From<impl Display>` would turn an `AppError` into an error
//! without a code when `?` is used in a resolver. The workspace enables its
//! `custom-error-conversion` feature, which removes that blanket impl, so the only way
//! from an `AppError` to a GraphQL error is the `From` impl below.
use std::fmt;

use async_graphql::ErrorExtensions;
use sea_orm::{DbErr, SqlErr};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    Unauthenticated,
    Forbidden,
    NotFound,
    BadUserInput,
    Conflict,
    RateLimited,
    /// Busy or a dependency is down: retry later (`retryAfter` seconds).
    ServiceUnavailable,
    /// Apollo's automatic persisted queries: the server does not know the hash yet; the
    /// client sends the query with it once.
    PersistedQueryNotFound,
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::Forbidden => "FORBIDDEN",
            Self::NotFound => "NOT_FOUND",
            Self::BadUserInput => "BAD_USER_INPUT",
            Self::Conflict => "CONFLICT",
            Self::RateLimited => "RATE_LIMITED",
            Self::ServiceUnavailable => "SERVICE_UNAVAILABLE",
            Self::PersistedQueryNotFound => "PERSISTED_QUERY_NOT_FOUND",
            Self::Internal => "INTERNAL",
        }
    }
}

#[derive(Debug)]
pub enum AppError {
    Unauthenticated(String),
    Forbidden(String),
    NotFound(String),
    /// `field` names the input field (as the client spelled it) that is wrong.
    BadInput {
        field: String,
        message: String,
    },
    /// Content refused by a screen (e.g. spam): a `BAD_USER_INPUT` that quotes the span.
    Rejected {
        field: String,
        message: String,
        span: String,
    },
    Conflict {
        field: Option<String>,
        message: String,
    },
    RateLimited {
        message: String,
        retry_after_secs: u64,
    },
    /// The server is too busy for the request right now, or a dependency is down; nothing
    /// was done, and the client may try again after `retry_after_secs`.
    Unavailable {
        message: String,
        retry_after_secs: u64,
    },
    /// A persisted-query hash this server does not hold (see `persisted_queries`).
    PersistedQueryNotFound,
    /// The cause goes to the log, never to the client.
    Internal(String),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn unauthenticated(msg: impl Into<String>) -> Self {
        Self::Unauthenticated(msg.into())
    }
    pub fn forbidden(msg: impl Into<String>) -> Self {
        Self::Forbidden(msg.into())
    }
    pub fn not_found(msg: impl Into<String>) -> Self {
        Self::NotFound(msg.into())
    }
    pub fn bad_input(field: impl Into<String>, msg: impl Into<String>) -> Self {
        Self::BadInput { field: field.into(), message: msg.into() }
    }
    pub fn conflict(field: impl Into<String>, msg: impl Into<String>) -> Self {
        Self::Conflict { field: Some(field.into()), message: msg.into() }
    }
    pub fn internal(cause: impl fmt::Display) -> Self {
        Self::Internal(cause.to_string())
    }
    /// `RATE_LIMITED`: `what` (e.g. “登录尝试过多”), then when to try again.
    pub fn retry_later(what: &str, secs: u64) -> Self {
        let minutes = secs.div_ceil(60).max(1);
        Self::RateLimited { message: format!("{what}，请{minutes}分钟后再试"), retry_after_secs: secs.max(1) }
    }

    /// `SERVICE_UNAVAILABLE`: busy, try again in `secs` seconds.
    pub fn unavailable(message: impl Into<String>, secs: u64) -> Self {
        Self::Unavailable { message: message.into(), retry_after_secs: secs.max(1) }
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Unauthenticated(_) => ErrorCode::Unauthenticated,
            Self::Forbidden(_) => ErrorCode::Forbidden,
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::BadInput { .. } | Self::Rejected { .. } => ErrorCode::BadUserInput,
            Self::Conflict { .. } => ErrorCode::Conflict,
            Self::RateLimited { .. } => ErrorCode::RateLimited,
            Self::Unavailable { .. } => ErrorCode::ServiceUnavailable,
            Self::PersistedQueryNotFound => ErrorCode::PersistedQueryNotFound,
            Self::Internal(_) => ErrorCode::Internal,
        }
    }

    /// What the client is shown.
    pub fn public_message(&self) -> &str {
        match self {
            Self::Unauthenticated(m) | Self::Forbidden(m) | Self::NotFound(m) => m,
            Self::BadInput { message, .. }
            | Self::Rejected { message, .. }
            | Self::Conflict { message, .. }
            | Self::RateLimited { message, .. }
            | Self::Unavailable { message, .. } => message,
            // The protocol's own word: Apollo's and urql's links look for it to resend the
            // query with its hash. Nobody reads it on a screen.
            Self::PersistedQueryNotFound => "PersistedQueryNotFound",
            Self::Internal(_) => "服务器内部错误，请稍后再试",
        }
    }

    /// The GraphQL error, logging internal causes on the way.
    pub fn to_graphql(&self) -> async_graphql::Error {
        if let Self::Internal(cause) = self {
            tracing::error!(%cause, "internal error");
        }
        async_graphql::Error::new(self.public_message()).extend_with(|_, ext| {
            ext.set("code", self.code().as_str());
            match self {
                Self::BadInput { field, .. } => ext.set("field", field.as_str()),
                Self::Rejected { field, span, .. } => {
                    ext.set("field", field.as_str());
                    ext.set("span", span.as_str());
                }
                Self::Conflict { field: Some(field), .. } => ext.set("field", field.as_str()),
                Self::RateLimited { retry_after_secs, .. } | Self::Unavailable { retry_after_secs, .. } => {
                    ext.set("retryAfter", *retry_after_secs)
                }
                _ => {}
            }
        })
    }

    /// Whether a database error is a unique-constraint violation.
    pub fn is_unique_violation(err: &DbErr) -> bool {
        matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Internal(cause) => write!(f, "internal: {cause}"),
            other => write!(f, "{}: {}", other.code().as_str(), other.public_message()),
        }
    }
}

impl std::error::Error for AppError {}

impl From<AppError> for async_graphql::Error {
    fn from(err: AppError) -> Self {
        err.to_graphql()
    }
}

/// How long a client is asked to wait when a backing service is out (issue 16: an outage
/// is not a bug of ours; monitoring and clients see 503 with `Retry-After`).
pub const OUTAGE_RETRY_AFTER_SECS: u64 = 5;

impl From<DbErr> for AppError {
    fn from(err: DbErr) -> Self {
        if Self::is_unique_violation(&err) {
            return Self::Conflict { field: None, message: "记录已存在".into() };
        }
        if is_outage(&err) {
            tracing::warn!(error = %err, "database unavailable");
            return Self::unavailable("数据库暂时不可用，请稍后重试", OUTAGE_RETRY_AFTER_SECS);
        }
        Self::Internal(format!("database: {err}"))
    }
}

/// Whether the database could not be reached — down, restarting, no connection free within
/// `DATABASE_ACQUIRE_TIMEOUT_SECS` — rather than a statement that failed.
fn is_outage(err: &DbErr) -> bool {
    use sea_orm::{RuntimeErr, sqlx::Error};
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => match &**e {
            Error::Io(_) | Error::PoolTimedOut | Error::PoolClosed | Error::WorkerCrashed | Error::Tls(_) => true,
            // 08…: connection exception; 57P…: the server shutting down or starting up.
            Error::Database(d) => d.code().is_some_and(|c| c.starts_with("08") || c.starts_with("57P")),
            _ => false,
        },
        _ => false,
    }
}

impl From<crate::kv::KvError> for AppError {
    fn from(err: crate::kv::KvError) -> Self {
        tracing::warn!(error = %err.0, "session store unavailable");
        Self::unavailable("会话服务暂时不可用，请稍后重试", OUTAGE_RETRY_AFTER_SECS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn question_mark_keeps_the_code() {
        fn resolver() -> async_graphql::Result<()> {
            Err(AppError::bad_input("phone", "手机号格式不正确"))?;
            Ok(())
        }
        let err = resolver().err().map(|e| e.extensions);
        let ext = err.flatten().map(|e| format!("{e:?}")).unwrap_or_default();
        assert!(ext.contains("BAD_USER_INPUT"), "{ext}");
        assert!(ext.contains("phone"), "{ext}");
    }

    #[test]
    fn internal_errors_hide_their_cause() {
        let err = AppError::internal("relation \"app_user\" does not exist");
        assert_eq!(err.to_graphql().message, "服务器内部错误，请稍后再试");
    }
}

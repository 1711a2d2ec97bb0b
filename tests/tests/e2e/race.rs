//! Races on purpose: several people (or one person's retrying phone) sending at the same
//! instant. Each request gets a client of its own whose keep-alive connection is opened
//! (and used once) beforehand; then every request waits on one barrier and all are sent the
//! moment the last one is ready, so they reach the server together instead of queueing
//! behind a TCP handshake.
//!
//! `Findings` collects what went wrong — per round in a race, per step in a sequential
//! story — so that a failing test tells how many of its rounds broke and how, and ends with
//! the database-wide invariants (`invariants::violations`).
use std::sync::Arc;

use serde_json::{Value, json};
use tokio::sync::Barrier;

use crate::{
    helpers::{Answer, TestApp, send},
    invariants,
};

/// One request of a race: the bearer token (if any), the GraphQL document, its variables.
pub type Request = (Option<String>, String, Value);

pub fn request(token: &str, query: &str, variables: Value) -> Request {
    (Some(token.to_owned()), query.to_owned(), variables)
}

/// Sends every request at the same instant, each on its own warmed connection, and returns
/// the answers in the order of the requests.
pub async fn together(app: &TestApp, requests: Vec<Request>) -> Vec<Answer> {
    staggered(app, requests.into_iter().map(|r| (r, std::time::Duration::ZERO)).collect()).await
}

/// As `together`, but each request leaves its delay after the barrier: a request that
/// arrives while the others are still being worked on.
pub async fn staggered(app: &TestApp, requests: Vec<(Request, std::time::Duration)>) -> Vec<Answer> {
    let url = format!("{}/graphql", app.base);
    let clients: Vec<reqwest::Client> = futures_util::future::join_all(requests.iter().map(|_| {
        let url = url.clone();
        async move {
            let client = reqwest::Client::builder().pool_max_idle_per_host(1).build().expect("http client");
            let warm = send(
                client
                    .post(&url)
                    .header("content-type", "application/json")
                    .body(json!({ "query": "{ __typename }" }).to_string()),
            )
            .await;
            assert_eq!(warm.status, 200, "warming a connection: {}", warm.body);
            client
        }
    }))
    .await;
    let barrier = Arc::new(Barrier::new(requests.len()));
    let tasks: Vec<_> = requests
        .into_iter()
        .zip(clients)
        .map(|(((token, query, variables), delay), client)| {
            let barrier = barrier.clone();
            let body = json!({ "query": query, "variables": variables }).to_string();
            let mut req = client.post(&url).header("content-type", "application/json").body(body);
            if let Some(token) = token {
                req = req.header("authorization", format!("Bearer {token}"));
            }
            tokio::spawn(async move {
                barrier.wait().await;
                if !delay.is_zero() {
                    tokio::time::sleep(delay).await;
                }
                send(req).await
            })
        })
        .collect();
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.expect("racing request"));
    }
    answers
}

/// `ok`, or the error code (with the message) an answer carries.
pub fn outcome(a: &Answer) -> String {
    match a.body.get("errors") {
        None => "ok".into(),
        Some(_) => {
            let code = a.body["errors"][0]["extensions"]["code"].as_str().unwrap_or("no code");
            format!("{code} ({})", a.message())
        }
    }
}

pub fn succeeded(a: &Answer) -> bool {
    a.body.get("errors").is_none() && a.status == 200
}

/// The error code of a refusal, `None` when the request succeeded.
pub fn code(a: &Answer) -> Option<String> {
    a.body.get("errors").map(|_| a.body["errors"][0]["extensions"]["code"].as_str().unwrap_or("no code").to_owned())
}

/// What went wrong in a test, gathered to the end.
pub struct Findings {
    title: String,
    rounds: usize,
    broken: Vec<(usize, Vec<String>)>,
    problems: Vec<String>,
}

impl Findings {
    pub fn new(title: &str) -> Self {
        Self { title: title.to_owned(), rounds: 0, broken: Vec::new(), problems: Vec::new() }
    }

    /// Records one round of a race and what broke in it (nothing: a good round).
    pub fn round(&mut self, n: usize, problems: Vec<String>) {
        self.rounds += 1;
        if !problems.is_empty() {
            self.broken.push((n, problems));
        }
    }

    /// A step of a sequential story: `ok`, or the problem is recorded.
    pub fn check(&mut self, ok: bool, problem: impl FnOnce() -> String) -> bool {
        if !ok {
            self.problems.push(problem());
        }
        ok
    }

    /// The answer is a refusal with `code` (and, when given, `extensions.field`).
    pub fn refused(&mut self, what: &str, a: &Answer, code: &str, field: Option<&str>) -> bool {
        let got = self::code(a);
        let field_ok = field.is_none_or(|f| a.field() == f);
        self.check(got.as_deref() == Some(code) && field_ok, || {
            format!(
                "{what}: expected {code}{} but got {}: {}",
                field.map(|f| format!(" on `{f}`")).unwrap_or_default(),
                outcome(a),
                a.body
            )
        })
    }

    /// The answer is a success.
    pub fn ok(&mut self, what: &str, a: &Answer) -> bool {
        self.check(succeeded(a), || format!("{what}: expected success but got {}", outcome(a)))
    }

    /// Records the invariants that do not hold at this point of a story (the end of the
    /// test checks them again, but a story may have put things right by then).
    pub async fn invariants_now(&mut self, app: &TestApp, when: &str) {
        for v in invariants::violations(app).await {
            self.problems.push(format!("{when}: {v}"));
        }
    }

    /// Ends the test: prints how many rounds broke, checks the invariants of the whole
    /// database, and fails listing everything found.
    pub async fn finish(self, app: &TestApp) {
        let backend = format!("{:?}", sea_orm::ConnectionTrait::get_database_backend(&app.state.db));
        let violations = invariants::violations(app).await;
        if self.rounds > 0 {
            eprintln!(
                "[race] {} on {backend}: {} of {} rounds broke; {} invariant violations",
                self.title,
                self.broken.len(),
                self.rounds,
                violations.len()
            );
        } else {
            eprintln!(
                "[story] {} on {backend}: {} problems; {} invariant violations",
                self.title,
                self.problems.len(),
                violations.len()
            );
        }
        if self.broken.is_empty() && self.problems.is_empty() && violations.is_empty() {
            return;
        }
        let mut report = format!("{} on {backend}:\n", self.title);
        if self.rounds > 0 {
            report.push_str(&format!("{} of {} rounds broke\n", self.broken.len(), self.rounds));
        }
        for (n, problems) in &self.broken {
            for p in problems {
                report.push_str(&format!("  round {n}: {p}\n"));
            }
        }
        for p in &self.problems {
            report.push_str(&format!("  {p}\n"));
        }
        if !violations.is_empty() {
            report.push_str(&format!("{} invariant violations:\n", violations.len()));
            for v in &violations {
                report.push_str(&format!("  {v}\n"));
            }
        }
        panic!("{report}");
    }
}

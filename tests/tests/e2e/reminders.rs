//! Reminders: a visit tomorrow, a deadline near, an assignment overdue — each reaches
//! exactly its people, once, with two processes racing and across a restart. The clock is
//! the test's: `reminders::run_due(db, now)` runs at the instants chosen here, from the
//! China dates of today.
use std::sync::Arc;

use api::{reminders, state::State};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use tokio::{sync::Barrier, task::JoinHandle};

use crate::{
    both,
    helpers::{Backend, TestApp, test_settings},
    notifications::{dispatched, inbox},
    proposals::{self, Setup},
};

const KINDS: [&str; 3] = [reminders::VISIT_TOMORROW, reminders::DEADLINE_NEAR, reminders::OVERDUE];

/// `hour:minute` China time on a China day.
fn cst(day: NaiveDate, hour: i64, minute: i64) -> DateTime<Utc> {
    reminders::due::start_of(day) + Duration::hours(hour) + Duration::minutes(minute)
}

/// An office with three units (operator each) and four members, and:
/// - a visit at 09:00 in three days: member 0 has a place, member 1 asked for leave
///   (keeps it), member 2 cancelled, member 3 is on leave;
/// - a visit the same day, cancelled after member 0 signed up;
/// - a proposal assigned to unit 0 (lead) and unit 1 (separate, already replied), deadline
///   17:00 in twenty days;
/// - a proposal assigned to unit 2, replied (so REPLIED).
struct World {
    s: Setup,
    today: NaiveDate,
    visit: String,
    proposal: String,
}

async fn world(backend: Backend) -> World {
    let s = proposals::setup(backend, 4).await;
    let today = api::calendar::today();
    let starts = cst(today + Duration::days(3), 9, 0).to_rfc3339();
    let create = |title: &str| json!({ "i": { "kind": "INSPECTION", "title": title, "place": "市人民医院", "startsAt": starts } });
    let mut visits = Vec::new();
    for title in ["基层医疗服务视察", "另一场视察"] {
        let a = s.as_office("mutation($i: CreateVisitInput!) { createVisit(input: $i) { id } }", create(title)).await;
        let id = a.data()["createVisit"]["id"].as_str().unwrap().to_owned();
        s.as_office("mutation($id: ID!) { openVisitSignup(id: $id) { status } }", json!({ "id": id })).await.data();
        visits.push(id);
    }
    let step = |who: usize, q: &'static str, vars: serde_json::Value| {
        let s = &s;
        async move { s.as_member(who, q, vars).await.data().clone() }
    };
    let (visit, other) = (visits[0].clone(), visits[1].clone());
    for who in 0..4 {
        step(who, "mutation($id: ID!) { signUpForVisit(id: $id) { status } }", json!({ "id": visit })).await;
    }
    step(0, "mutation($id: ID!) { signUpForVisit(id: $id) { status } }", json!({ "id": other })).await;
    for who in [1, 3] {
        step(who, "mutation($id: ID!) { requestLeave(id: $id, reason: \"出差\") { status } }", json!({ "id": visit }))
            .await;
    }
    step(2, "mutation($id: ID!) { cancelSignup(id: $id) { status } }", json!({ "id": visit })).await;
    s.as_office(
        "mutation($v: ID!, $u: ID!) { approveLeave(visitId: $v, userId: $u, approve: true) { status } }",
        json!({ "v": visit, "u": s.member_ids[3] }),
    )
    .await
    .data();
    s.as_office("mutation($id: ID!) { cancelVisit(id: $id, reason: \"改期\") { status } }", json!({ "id": other }))
        .await
        .data();

    let deadline = cst(today + Duration::days(20), 17, 0).to_rfc3339();
    let assign = "mutation($id: ID!, $a: [AssignmentInput!]!) { assignProposal(id: $id, assignments: $a) { status } }";
    let reply = "mutation($id: ID!) { replyToProposal(id: $id, input: { outcome: A, content: \"已办理\", contact: \"王科长\" }) { status } }";
    let mut proposals = Vec::new();
    for (i, units) in [vec![(0, "LEAD"), (1, "SEPARATE")], vec![(2, "LEAD")]].into_iter().enumerate() {
        let id = s.submitted(i, &format!("关于加强基层医疗的提案{i}")).await;
        s.as_office("mutation($id: ID!) { registerProposal(id: $id) { id } }", json!({ "id": id })).await.data();
        let list: Vec<_> = units
            .iter()
            .map(|(u, role)| json!({ "unitId": s.units[*u], "role": role, "deadline": deadline }))
            .collect();
        s.as_office(assign, json!({ "id": id, "a": list })).await.data();
        proposals.push(id);
    }
    s.app.gql(Some(&s.unit_tokens[1]), reply, json!({ "id": proposals[0] })).await.data();
    let done = s.app.gql(Some(&s.unit_tokens[2]), reply, json!({ "id": proposals[1] })).await;
    assert_eq!(done.data()["replyToProposal"]["status"], "REPLIED");
    // The steps' own notifications out of the way: what follows counts reminders only.
    dispatched(&s.app).await;
    World { s, today, visit, proposal: proposals[0].clone() }
}

impl World {
    /// The day before the visit, 10:00: the visit is due.
    fn visit_due(&self) -> DateTime<Utc> {
        cst(self.today + Duration::days(2), 10, 0)
    }
    /// Seven days before the deadline's day, 08:00.
    fn deadline_near(&self) -> DateTime<Utc> {
        cst(self.today + Duration::days(13), 8, 0)
    }
    /// The morning after the deadline's day.
    fn overdue(&self) -> DateTime<Utc> {
        cst(self.today + Duration::days(21), 8, 0)
    }

    /// The reminder kinds in someone's inbox, oldest first.
    async fn reminders(&self, token: &str) -> Vec<String> {
        let mut got: Vec<String> = inbox(&self.s.app, token)
            .await
            .iter()
            .map(|n| n["kind"].as_str().unwrap().to_owned())
            .filter(|k| KINDS.contains(&k.as_str()))
            .collect();
        got.reverse();
        got
    }

    /// Everybody's reminders once all three have fired: the two members holding a place
    /// hear of the visit, unit 0's operator of its deadline twice, nobody else of anything.
    async fn assert_everyone_reminded_once(&self) {
        let s = &self.s;
        for (who, token) in s.members.iter().enumerate() {
            let want: &[&str] = if who < 2 { &["VISIT_TOMORROW"] } else { &[] };
            assert_eq!(self.reminders(token).await, want, "member {who}");
        }
        assert_eq!(self.reminders(&s.unit_tokens[0]).await, ["DEADLINE_NEAR", "OVERDUE"]);
        for token in [&s.unit_tokens[1], &s.unit_tokens[2], &s.office] {
            assert!(self.reminders(token).await.is_empty());
        }
        assert_eq!(s.app.count_rows("reminder").await, 3);
        assert_eq!(reminder_notifications(&s.app).await, 4);
    }
}

async fn reminder_notifications(app: &TestApp) -> usize {
    entity::notification::Entity::find()
        .filter(entity::notification::Column::Kind.is_in(KINDS))
        .all(&app.state.db)
        .await
        .unwrap()
        .len()
}

/// Another server process on the same database and Redis prefix.
async fn another_process(app: &TestApp) -> (State, JoinHandle<std::io::Result<()>>) {
    let mut settings = test_settings(&app.state.settings.database_url, &app.redis_prefix);
    settings.storage_dir = app.files_dir.display().to_string();
    let (_, state, server) = api::app::spawn(settings).await.expect("another process starts");
    (state, tokio::spawn(server))
}

/// Each kind at its time reaches exactly its people, says what it is about, and fires
/// once; a deadline moved later is reminded again.
async fn each_reminder_reaches_its_people(backend: Backend) {
    let w = world(backend).await;
    let (s, db) = (&w.s, &w.s.app.state.db);
    // Too early: the day before the day before, and the night before.
    assert_eq!(reminders::run_due(db, cst(w.today + Duration::days(1), 12, 0)).await.unwrap(), 0);
    assert_eq!(reminders::run_due(db, cst(w.today + Duration::days(2), 7, 0)).await.unwrap(), 0);

    assert_eq!(reminders::run_due(db, w.visit_due()).await.unwrap(), 1, "the cancelled visit is not due");
    assert_eq!(reminders::run_due(db, w.visit_due() + Duration::hours(3)).await.unwrap(), 0);
    dispatched(&s.app).await;
    for who in 0..2 {
        let got = inbox(&s.app, &s.members[who]).await;
        assert_eq!(got[0]["kind"], "VISIT_TOMORROW", "member {who}: {got:?}");
        assert_eq!(got[0]["title"], "活动提醒：明天09:00开始");
        assert_eq!(got[0]["subjectType"], "VISIT");
        assert_eq!(got[0]["subjectId"], w.visit);
        assert!(got[0]["body"].as_str().unwrap().starts_with("《基层医疗服务视察》\n"), "{got:?}");
    }

    assert_eq!(reminders::run_due(db, w.deadline_near() - Duration::minutes(1)).await.unwrap(), 0);
    assert_eq!(reminders::run_due(db, w.deadline_near()).await.unwrap(), 1, "unit 0 only: unit 1 replied");
    dispatched(&s.app).await;
    let got = inbox(&s.app, &s.unit_tokens[0]).await;
    assert_eq!(got[0]["kind"], "DEADLINE_NEAR");
    let day = w.today + Duration::days(20);
    assert_eq!(got[0]["title"], format!("提案办理期限将至：{}", day.format("%-m月%-d日")));
    assert_eq!(got[0]["subjectType"], "PROPOSAL");
    assert_eq!(got[0]["subjectId"], w.proposal);

    // The evening of the deadline's day: not yet (nobody is told at night).
    assert_eq!(reminders::run_due(db, cst(day, 20, 0)).await.unwrap(), 0);
    assert_eq!(reminders::run_due(db, w.overdue()).await.unwrap(), 1);
    assert_eq!(reminders::run_due(db, w.overdue() + Duration::days(30)).await.unwrap(), 0, "once, not daily");
    dispatched(&s.app).await;
    assert_eq!(inbox(&s.app, &s.unit_tokens[0]).await[0]["title"], "提案已超过办理期限，请尽快答复");
    w.assert_everyone_reminded_once().await;

    // The deadline moved a month later (as a new handling round does): reminded again
    // for the new day, once.
    use entity::proposal_assignment as pa;
    let later = cst(w.today + Duration::days(50), 17, 0);
    pa::Entity::update_many()
        .col_expr(pa::Column::Deadline, sea_orm::sea_query::Expr::value(later))
        .filter(pa::Column::UnitId.eq(s.units[0].parse::<uuid::Uuid>().unwrap()))
        .exec(db)
        .await
        .unwrap();
    let near_again = cst(w.today + Duration::days(43), 9, 0);
    assert_eq!(reminders::run_due(db, near_again).await.unwrap(), 1);
    assert_eq!(reminders::run_due(db, near_again).await.unwrap(), 0);
    dispatched(&s.app).await;
    assert_eq!(w.reminders(&s.unit_tokens[0]).await, ["DEADLINE_NEAR", "OVERDUE", "DEADLINE_NEAR"]);
}
both!(each_reminder_reaches_its_people);

/// Two processes on one database run passes at the same instants, released together by a
/// barrier, many rounds over three weeks: each reminder fires once, each person hears once.
async fn two_processes_fire_each_reminder_once(backend: Backend) {
    let w = world(backend).await;
    let (other, server) = another_process(&w.s.app).await;
    let mut times = Vec::new();
    let (from, to) = (w.visit_due() - Duration::hours(4), w.overdue() + Duration::days(1));
    let mut t = from;
    while t <= to {
        times.push(t);
        t += Duration::hours(11);
    }
    let barrier = Arc::new(Barrier::new(2));
    let mut fired = 0;
    for t in times {
        for _ in 0..2 {
            let run = |db: sea_orm::DatabaseConnection| {
                let barrier = barrier.clone();
                tokio::spawn(async move {
                    barrier.wait().await;
                    reminders::run_due(&db, t).await.unwrap()
                })
            };
            let (a, b) = tokio::join!(run(w.s.app.state.db.clone()), run(other.db.clone()));
            fired += a.unwrap() + b.unwrap();
        }
    }
    assert_eq!(fired, 3, "three reminders, each fired by one process");
    let (a, b) = tokio::join!(
        api::notifications::dispatcher::run_until_idle(&w.s.app.state.db),
        api::notifications::dispatcher::run_until_idle(&other.db),
    );
    a.unwrap();
    b.unwrap();
    w.assert_everyone_reminded_once().await;
    server.abort();
}
both!(two_processes_fire_each_reminder_once);

/// A process fires, stops; a new one on the same database, at the same and later
/// instants, fires nothing it already fired, and what falls due later still fires.
async fn a_restart_fires_nothing_twice(backend: Backend) {
    let w = world(backend).await;
    let (first, server) = another_process(&w.s.app).await;
    assert_eq!(reminders::run_due(&first.db, w.visit_due()).await.unwrap(), 1);
    api::notifications::dispatcher::run_until_idle(&first.db).await.unwrap();
    server.abort();
    drop(first);

    let (second, server) = another_process(&w.s.app).await;
    for t in [w.visit_due(), w.visit_due() + Duration::hours(2), w.visit_due() + Duration::hours(20)] {
        assert_eq!(reminders::run_due(&second.db, t).await.unwrap(), 0, "{t}");
    }
    for t in [w.deadline_near(), w.overdue()] {
        assert_eq!(reminders::run_due(&second.db, t).await.unwrap(), 1, "{t}");
        assert_eq!(reminders::run_due(&second.db, t).await.unwrap(), 0, "{t}");
    }
    api::notifications::dispatcher::run_until_idle(&second.db).await.unwrap();
    w.assert_everyone_reminded_once().await;
    server.abort();
}
both!(a_restart_fires_nothing_twice);

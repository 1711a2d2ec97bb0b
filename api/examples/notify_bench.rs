//! Publish latency of a briefing with 5 and with 500 recipients on PostgreSQL (issue 14:
//! "the larger may cost at most a few milliseconds more"):
//! `cargo run --release -p api --example notify_bench` (env: `PGURL`, default
//! `postgres://postgres@127.0.0.1:5432`; `REPS`, default 100). The figures are in
//! bench/README.md.
//!
//! It makes a database `cppcc_notify_bench` (dropped first), one organization with an admin
//! and 505 members (5 in one sector, 500 in another), then, alternating the sizes so both
//! see the same machine, drafts a briefing to one sector and times the two things a
//! publication costs: `publishBriefing`'s service (the step, the recipient rows, the outbox
//! event, one transaction) and the dispatcher pass that turns the event into notifications
//! (one `INSERT … SELECT`). Every pass is checked to have notified exactly the sector.
mod common;

use common::{BenchDb, Res, count, percentile};
use std::time::Instant;

use api::{
    audience::Audience,
    auth::{Viewer, principal::Principal},
    briefings::service::{BriefingFields, create, publish},
    notifications::dispatcher,
    organizations::service::{NewOrganization, insert_organization},
};
use entity::{OrganizationLevel, Role};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use uuid::Uuid;

const DB: &str = "cppcc_notify_bench";
const WARM_UP: usize = 5;

/// 5 members in one sector, 500 in another, and the admin who publishes.
async fn seed(db: &DatabaseConnection) -> Res<(Viewer, [Uuid; 2])> {
    let org = insert_organization(
        db,
        NewOrganization {
            name: "基准测试市政协".into(),
            short_name: None,
            level: OrganizationLevel::Municipal,
            parent_id: None,
            region: None,
        },
    )
    .await?;
    let (admin, small, large) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let o = org.id;
    db.execute_unprepared(&format!(
        "INSERT INTO sector (id, organization_id, name, created_at, updated_at) VALUES
           ('{small}', '{o}', '小界别', now(), now()), ('{large}', '{o}', '大界别', now(), now());
         INSERT INTO app_user (id, phone, name, password_hash, status, must_change_password, password_changed_at, created_at, updated_at)
           VALUES ('{admin}', '13800000000', '管理员', '-', 'ACTIVE', false, now(), now(), now());
         INSERT INTO membership (id, user_id, organization_id, role, sector_id, party, standing_committee, office, term, handling_unit_id, created_at, updated_at)
           VALUES (gen_random_uuid(), '{admin}', '{o}', 'ADMIN', NULL, NULL, false, NULL, NULL, NULL, now(), now());
         INSERT INTO app_user (id, phone, name, password_hash, status, must_change_password, password_changed_at, created_at, updated_at)
           SELECT gen_random_uuid(), '139' || lpad(g::text, 8, '0'), '委员' || g, '-', 'ACTIVE', false, now(), now(), now()
           FROM generate_series(1, 505) g;
         INSERT INTO membership (id, user_id, organization_id, role, sector_id, party, standing_committee, office, term, handling_unit_id, created_at, updated_at)
           SELECT gen_random_uuid(), u.id, '{o}', 'MEMBER',
                  CASE WHEN u.phone <= '13900000005' THEN '{small}'::uuid ELSE '{large}'::uuid END,
                  'CPC', false, NULL, 14, NULL, now(), now()
           FROM app_user u WHERE u.phone LIKE '139%';
         ANALYZE;"
    ))
    .await?;
    let viewer = Viewer { user_id: admin, session_id: "bench".into(), organization_id: o, role: Role::Admin };
    Ok((viewer, [small, large]))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Res<()> {
    let reps = common::reps(100);
    let bench = BenchDb::fresh(DB).await?;
    let db = bench.db.clone();
    let (viewer, sectors) = seed(&db).await?;
    let who = Principal::load(&db, &viewer).await?;

    // [publish, dispatch, both] per size, in milliseconds.
    let mut times = [[vec![], vec![], vec![]], [vec![], vec![], vec![]]];
    for rep in 0..WARM_UP + reps {
        for (i, (size, sector)) in [(5_i64, sectors[0]), (500, sectors[1])].into_iter().enumerate() {
            let fields = BriefingFields {
                title: Some(format!("通报{rep}-{size}")),
                summary: Some("通报摘要".into()),
                body: Some("正文".into()),
                source: Some("市政府".into()),
                audience: Some(Audience { sector_ids: vec![sector], ..Audience::default() }),
                ..BriefingFields::default()
            };
            let draft = create(&db, &who, fields, None).await?;
            // The draft's own event (nobody is told of it) out of the way first.
            dispatcher::run_until_idle(&db).await?;
            let start = Instant::now();
            publish(&db, &who, draft.id).await?;
            let published = start.elapsed();
            let (handled, _signals) = dispatcher::pass(&db).await?;
            let both = start.elapsed();
            let notified =
                count(&db, &format!("SELECT COUNT(*) AS n FROM notification WHERE subject_id = '{}'", draft.id))
                    .await?;
            if handled != 1 || notified != size {
                return Err(format!("{size}: {handled} events, {notified} notified").into());
            }
            if rep >= WARM_UP {
                let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
                times[i][0].push(ms(published));
                times[i][1].push(ms(both - published));
                times[i][2].push(ms(both));
            }
        }
    }
    println!("{reps} publications per size after {WARM_UP} to warm up; milliseconds");
    println!("| recipients | publish p50 | publish p95 | dispatch p50 | dispatch p95 | both p50 | both p95 |");
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    for (size, mut t) in [5, 500].into_iter().zip(times) {
        for v in &mut t {
            v.sort_by(f64::total_cmp);
        }
        println!(
            "| {size} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} |",
            percentile(&t[0], 0.5),
            percentile(&t[0], 0.95),
            percentile(&t[1], 0.5),
            percentile(&t[1], 0.95),
            percentile(&t[2], 0.5),
            percentile(&t[2], 0.95),
        );
    }
    bench.finish().await
}

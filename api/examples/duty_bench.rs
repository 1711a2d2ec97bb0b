//! The duty ranking of a year with 500 members, 2,000 proposals, 5,000 pieces of
//! information and 300 visits on PostgreSQL (issue 15, "Performance": under one second):
//! `cargo run --release -p api --example duty_bench` (env: `PGURL`, default
//! `postgres://postgres@127.0.0.1:5432`; `REPS`, default 20). The figures are in
//! bench/README.md.
//!
//! It makes a database `cppcc_duty_bench` (dropped first and at the end) and fills one
//! organization in SQL: 500 members in 10 sectors; 2,000 proposals of this year (half joint,
//! each with two co-signers, registered, every 40th key); 5,000 pieces with their authors,
//! a fifth adopted (some at two levels); 300 visits with 20 participants each (18 present,
//! 2 on leave, every 30th visit cancelled); 100 briefings to everyone (50,000 receipts, about
//! half read); 50 commendations. Then it times what `dutyRecords(year, first: 20)` runs
//! (`duty::service::page`, every figure of every member and the ranking) and the whole
//! export, and checks the totals against the rows.
mod common;

use common::{BenchDb, Res, count, percentile};
use std::time::Instant;

use api::{
    auth::{Viewer, principal::Principal},
    calendar,
    duty::service,
    organizations::service::{NewOrganization, insert_organization},
};
use entity::{OrganizationLevel, Role};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use uuid::Uuid;

const DB: &str = "cppcc_duty_bench";
const WARM_UP: usize = 3;

async fn seed(db: &DatabaseConnection, year: i32) -> Res<Viewer> {
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
    let (admin, o) = (Uuid::now_v7(), org.id);
    // Noon in China on day `d` of the year (0-based), as SQL.
    let day = |d: &str| format!("(TIMESTAMPTZ '{year}-01-01 12:00:00+08' + ({d}) * INTERVAL '1 day')");
    db.execute_unprepared(&format!(
        "INSERT INTO app_user (id, phone, name, password_hash, status, must_change_password, password_changed_at, created_at, updated_at)
           VALUES ('{admin}', '13800000000', '管理员', '-', 'ACTIVE', false, now(), now(), now());
         INSERT INTO membership (id, user_id, organization_id, role, standing_committee, created_at, updated_at)
           VALUES (gen_random_uuid(), '{admin}', '{o}', 'ADMIN', false, now(), now());
         INSERT INTO sector (id, organization_id, name, created_at, updated_at)
           SELECT gen_random_uuid(), '{o}', '界别' || g, now(), now() FROM generate_series(1, 10) g;
         CREATE TEMP TABLE m AS
           SELECT g AS n, gen_random_uuid() AS id FROM generate_series(0, 499) g;
         INSERT INTO app_user (id, phone, name, password_hash, status, must_change_password, password_changed_at, created_at, updated_at)
           SELECT id, '139' || lpad(n::text, 8, '0'), '委员' || n, '-', 'ACTIVE', false, now(), now(), now() FROM m;
         INSERT INTO membership (id, user_id, organization_id, role, sector_id, standing_committee, created_at, updated_at)
           SELECT gen_random_uuid(), m.id, '{o}', 'MEMBER',
                  (SELECT id FROM sector ORDER BY name OFFSET m.n % 10 LIMIT 1), false, now(), now() FROM m;

         CREATE TEMP TABLE p AS SELECT g AS n, gen_random_uuid() AS id FROM generate_series(0, 1999) g;
         INSERT INTO proposal (id, organization_id, title, background, suggestions, category, kind, submitted_during,
                               author_id, status, version, round, is_key, submitted_at, registered_at, created_at, updated_at)
           SELECT p.id, '{o}', '提案' || p.n, '情况', '建议', '经济', CASE WHEN p.n % 2 = 0 THEN 'JOINT' ELSE 'INDIVIDUAL' END,
                  'RECESS', m.id, 'REGISTERED', 1, 1, p.n % 40 = 0, {s}, {r}, now(), now()
           FROM p JOIN m ON m.n = p.n % 500;
         INSERT INTO proposal_cosigner (proposal_id, user_id, status, version, invited_at)
           SELECT p.id, m.id, 'ACCEPTED', 1, now() FROM p JOIN m ON m.n IN ((p.n + 7) % 500, (p.n + 13) % 500)
           WHERE p.n % 2 = 0;

         CREATE TEMP TABLE s AS SELECT g AS n, gen_random_uuid() AS id FROM generate_series(0, 4999) g;
         INSERT INTO suggestion (id, organization_id, title, content, category, status, version, submitted_by,
                                 anonymous_to_public, submitted_at, created_at, updated_at)
           SELECT s.id, '{o}', '信息' || s.n, '内容', '城市管理', CASE WHEN s.n % 5 = 0 THEN 'ADOPTED' ELSE 'SUBMITTED' END,
                  1, m.id, false, {ss}, now(), now()
           FROM s JOIN m ON m.n = s.n % 500;
         INSERT INTO suggestion_author (suggestion_id, user_id, position)
           SELECT s.id, m.id, 0 FROM s JOIN m ON m.n = s.n % 500;
         INSERT INTO suggestion_adoption (id, suggestion_id, level, form, adopted_by, adopted_at, recorded_by, recorded_at)
           SELECT gen_random_uuid(), s.id, l.level, 'SINGLE', '采用单位', DATE '{year}-06-30', '{admin}', now()
           FROM s JOIN (VALUES ('MUNICIPAL'), ('PROVINCIAL')) l(level) ON l.level = 'MUNICIPAL' OR s.n % 15 = 0
           WHERE s.n % 5 = 0;

         CREATE TEMP TABLE v AS SELECT g AS n, gen_random_uuid() AS id FROM generate_series(0, 299) g;
         INSERT INTO visit (id, organization_id, kind, title, topic, place, starts_at, ends_at, confirmed_count, audience,
                            guest_count, status, version, created_by, created_at, updated_at)
           SELECT v.id, '{o}', 'INSPECTION', '视察' || v.n, '专题', '开发区', {vs}, {vs} + INTERVAL '4 hours', 20, '{{}}',
                  0, CASE WHEN v.n % 30 = 0 THEN 'CANCELLED' ELSE 'COMPLETED' END, 1, '{admin}', now(), now()
           FROM v;
         INSERT INTO visit_participant (visit_id, user_id, organization_id, status, version, attended, signed_up_at, updated_at)
           SELECT v.id, m.id, '{o}', CASE WHEN k < 2 THEN 'ON_LEAVE' ELSE 'CONFIRMED' END, 1, k >= 2, now(), now()
           FROM v CROSS JOIN generate_series(0, 19) k JOIN m ON m.n = (v.n * 20 + k) % 500;

         CREATE TEMP TABLE b AS SELECT g AS n, gen_random_uuid() AS id FROM generate_series(0, 99) g;
         INSERT INTO briefing (id, organization_id, title, summary, body, source, category, pinned, confidential, status,
                               version, audience, attachment_count, created_by, created_at, updated_by, updated_at, published_at)
           SELECT b.id, '{o}', '通报' || b.n, '摘要', '正文', '市政府', '经济', false, false, 'PUBLISHED', 1,
                  '{{\"everyone\": true}}', 0, '{admin}', now(), '{admin}', now(), {bs} FROM b;
         INSERT INTO briefing_recipient (briefing_id, user_id, organization_id, active, pinned, published_at, read_at)
           SELECT b.id, m.id, '{o}', true, false, {bs}, CASE WHEN (b.n + m.n) % 2 = 0 THEN {bs} END FROM b CROSS JOIN m;

         INSERT INTO commendation (id, organization_id, year, awarded_by, level, title, subject_kind, subject_id,
                                   subject_name, recorded_by, created_at)
           SELECT gen_random_uuid(), '{o}', {year}, '市政协', 'MUNICIPAL', '优秀政协委员', 'USER', m.id, '委员' || m.n,
                  '{admin}', now() FROM m WHERE m.n % 10 = 0;
         ANALYZE;",
        s = day("p.n % 300"),
        r = day("p.n % 300 + 20"),
        ss = day("s.n % 330"),
        vs = day("v.n % 360"),
        bs = day("b.n * 3"),
    ))
    .await?;
    Ok(Viewer { user_id: admin, session_id: "bench".into(), organization_id: o, role: Role::Admin })
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Res<()> {
    let reps = common::reps(20);
    let year = calendar::this_year();
    let bench = BenchDb::fresh(DB).await?;
    let db = bench.db.clone();
    let viewer = seed(&db, year).await?;
    let who = Principal::load(&db, &viewer).await?;
    for (what, sql) in [
        ("proposals", "SELECT COUNT(*) AS n FROM proposal"),
        ("pieces", "SELECT COUNT(*) AS n FROM suggestion"),
        ("visits", "SELECT COUNT(*) AS n FROM visit"),
        ("briefing receipts", "SELECT COUNT(*) AS n FROM briefing_recipient"),
    ] {
        println!("{what}: {}", count(&db, sql).await?);
    }

    let mut page_ms = Vec::new();
    let mut export_ms = Vec::new();
    for rep in 0..WARM_UP + reps {
        let start = Instant::now();
        let page = service::page(&db, &who, year, None, None, 20).await?;
        let paged = start.elapsed();
        let start = Instant::now();
        let all = service::export(&db, &who, year).await?;
        let exported = start.elapsed();
        let led: i64 = all.iter().map(|r| r.figures.proposals_led).sum();
        let attended: i64 = all.iter().map(|r| r.figures.visits_attended).sum();
        if page.total != 500 || page.records.len() != 20 || led != 2000 || attended != 290 * 18 {
            return Err(format!(
                "{} members, {} on the page, {led} led, {attended} attended",
                page.total,
                page.records.len()
            )
            .into());
        }
        if rep >= WARM_UP {
            page_ms.push(paged.as_secs_f64() * 1000.0);
            export_ms.push(exported.as_secs_f64() * 1000.0);
        }
    }
    page_ms.sort_by(f64::total_cmp);
    export_ms.sort_by(f64::total_cmp);
    println!("{reps} runs after {WARM_UP} to warm up; milliseconds");
    println!("| what | p50 | p95 | max |");
    println!("|---|---:|---:|---:|");
    for (what, t) in [("dutyRecords(first: 20)", &page_ms), ("export (all 500)", &export_ms)] {
        println!("| {what} | {:.1} | {:.1} | {:.1} |", percentile(t, 0.5), percentile(t, 0.95), percentile(t, 1.0));
    }
    bench.finish().await
}

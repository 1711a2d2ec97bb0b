//! Time of the annual report for a busy year on PostgreSQL (issue 15: "2,000 proposals,
//! 5,000 pieces, 300 visits and 500 members answer in under one second"):
//! `cargo run --release -p api --example report_bench` (env: `PGURL`, default
//! `postgres://postgres@127.0.0.1:5432`; `REPS`, default 20). The figures are in
//! bench/README.md.
//!
//! It makes a database `cppcc_report_bench` (dropped first) with a province and a city below
//! it, 500 city members (100 of them also provincial members), and for last year: 2,000
//! city proposals (registered, rejected, merged, withdrawn; lead-unit replies, evaluations,
//! key ones, published results), a provincial session with 300 proposals of our members,
//! 5,000 pieces of information (accepted, reported, adopted at one or two levels, some twice
//! at one), 24 bulletin issues, 300 visits (30 cancelled) with 10 attendees each, 100
//! briefings to all 500 members (half read) and 60 commendations — then times
//! `reports::service::read`, the whole `annualReport`, and checks its figures.
mod common;

use common::{BenchDb, Res, percentile};
use std::time::Instant;

use api::{
    auth::{Viewer, principal::Principal},
    organizations::service::{NewOrganization, insert_organization},
    reports::service,
};
use entity::{OrganizationLevel, Role};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use uuid::Uuid;

const DB: &str = "cppcc_report_bench";
const WARM_UP: usize = 3;

async fn seed(db: &DatabaseConnection, year: i32) -> Res<Viewer> {
    let new = |name: &str, level, parent_id| NewOrganization {
        name: name.into(),
        short_name: None,
        level,
        parent_id,
        region: None,
    };
    let province = insert_organization(db, new("基准测试省政协", OrganizationLevel::Provincial, None)).await?;
    let city = insert_organization(db, new("基准测试市政协", OrganizationLevel::Municipal, Some(province.id))).await?;
    let (o, p, admin, unit) = (city.id, province.id, Uuid::now_v7(), Uuid::now_v7());
    // Business dates spread over the year: day `g % 365` at 10:00 China time.
    let day = |g: &str| format!("(timestamptz '{year}-01-01 10:00+08' + (({g}) % 365) * interval '1 day')");
    let sql = format!(
        "INSERT INTO app_user (id, phone, name, password_hash, status, must_change_password, password_changed_at, created_at, updated_at)
           VALUES ('{admin}', '13800000000', '管理员', '-', 'ACTIVE', false, now(), now(), now());
         INSERT INTO membership (id, user_id, organization_id, role, standing_committee, created_at, updated_at)
           VALUES (gen_random_uuid(), '{admin}', '{o}', 'ADMIN', false, now(), now());
         INSERT INTO app_user (id, phone, name, password_hash, status, must_change_password, password_changed_at, created_at, updated_at)
           SELECT gen_random_uuid(), '139' || lpad(g::text, 8, '0'), '委员' || g, '-', 'ACTIVE', false, now(), now(), now()
           FROM generate_series(1, 500) g;
         CREATE TEMP TABLE m AS SELECT id, row_number() OVER (ORDER BY phone) - 1 AS i FROM app_user WHERE phone LIKE '139%';
         INSERT INTO membership (id, user_id, organization_id, role, standing_committee, created_at, updated_at)
           SELECT gen_random_uuid(), id, '{o}', 'MEMBER', false, now(), now() FROM m;
         INSERT INTO membership (id, user_id, organization_id, role, standing_committee, created_at, updated_at)
           SELECT gen_random_uuid(), id, '{p}', 'MEMBER', false, now(), now() FROM m WHERE i < 100;
         INSERT INTO handling_unit (id, organization_id, name, created_at, updated_at)
           VALUES ('{unit}', '{o}', '市住建局', now(), now());

         INSERT INTO proposal (id, organization_id, title, background, suggestions, category, kind, submitted_during,
                               author_id, status, round, is_key, lead_official, submitted_at, registered_at,
                               result_published_at, created_at, updated_at)
           SELECT gen_random_uuid(), '{o}', '提案' || g, '背景', '建议', '类别' || (g % 7),
                  CASE WHEN g % 4 = 0 THEN 'JOINT' ELSE 'INDIVIDUAL' END, CASE WHEN g % 3 = 0 THEN 'SESSION' ELSE 'RECESS' END,
                  (SELECT id FROM m WHERE i = g % 500),
                  CASE g % 10 WHEN 0 THEN 'REJECTED' WHEN 1 THEN 'MERGED' WHEN 2 THEN 'WITHDRAWN' ELSE 'CONCLUDED' END,
                  1, g % 250 = 3, CASE WHEN g % 250 = 3 THEN '分管副市长' END, {submitted},
                  CASE WHEN g % 10 >= 3 THEN {submitted} + interval '5 days' END,
                  CASE WHEN g % 10 >= 3 AND g % 3 = 0 THEN {submitted} + interval '90 days' END, now(), now()
           FROM generate_series(1, 2000) g;
         INSERT INTO proposal_assignment (id, proposal_id, unit_id, role, deadline, status, round, created_at)
           SELECT gen_random_uuid(), id, '{unit}', 'LEAD', now(), 'REPLIED', 1, now() FROM proposal WHERE status = 'CONCLUDED';
         INSERT INTO proposal_reply (id, proposal_id, assignment_id, unit_id, round, outcome, content, contact, replied_by, replied_at)
           SELECT gen_random_uuid(), a.proposal_id, a.id, '{unit}', 1,
                  (ARRAY['A','B','C'])[1 + abs(hashtext(a.id::text)) % 3], '答复', '联系人', '{admin}', now()
           FROM proposal_assignment a;
         INSERT INTO proposal_evaluation (id, proposal_id, round, satisfaction, communication, attitude, implementation, evaluated_by, evaluated_at)
           SELECT gen_random_uuid(), id, 1,
                  (ARRAY['SATISFIED','BASICALLY_SATISFIED','UNSATISFIED'])[1 + abs(hashtext(id::text)) % 3],
                  'SATISFIED', 'SATISFIED', 'SATISFIED', author_id, now()
           FROM proposal WHERE status = 'CONCLUDED';

         INSERT INTO plenary_session (id, organization_id, term, number, name, starts_on, ends_on, created_at, updated_at)
           VALUES (gen_random_uuid(), '{p}', 12, 3, '十二届三次会议', date '{year}-01-20', date '{year}-01-24', now(), now());
         INSERT INTO proposal (id, organization_id, session_id, title, background, suggestions, category, kind, submitted_during,
                               author_id, status, round, is_key, submitted_at, registered_at, created_at, updated_at)
           SELECT gen_random_uuid(), '{p}', (SELECT id FROM plenary_session), '省提案' || g, '背景', '建议', '类别', 'INDIVIDUAL', 'SESSION',
                  (SELECT id FROM m WHERE i = g % 100), CASE WHEN g % 20 = 0 THEN 'REJECTED' ELSE 'REGISTERED' END, 1, false,
                  timestamptz '{year}-01-21 10:00+08', CASE WHEN g % 20 <> 0 THEN timestamptz '{year}-02-01 10:00+08' END, now(), now()
           FROM generate_series(1, 300) g;

         INSERT INTO suggestion (id, organization_id, title, content, category, status, submitted_by, submitted_at,
                                 accepted_at, created_at, updated_at)
           SELECT gen_random_uuid(), '{o}', '信息' || g, '内容', '城市管理',
                  CASE WHEN g % 5 = 0 THEN 'DECLINED' WHEN g % 5 = 1 THEN 'ACCEPTED' ELSE 'REPORTED' END,
                  (SELECT id FROM m WHERE i = g % 500), {submitted_s}, CASE WHEN g % 5 <> 0 THEN {submitted_s} + interval '2 days' END,
                  now(), now()
           FROM generate_series(1, 5000) g;
         CREATE TEMP TABLE s AS SELECT id, submitted_at, row_number() OVER (ORDER BY id) AS i FROM suggestion WHERE status = 'REPORTED';
         INSERT INTO suggestion_report (id, suggestion_id, recipient_name, reported_by, reported_at)
           SELECT gen_random_uuid(), id, '市委', '{admin}', submitted_at + interval '5 days' FROM s;
         INSERT INTO suggestion_adoption (id, suggestion_id, level, form, adopted_by, adopted_at, instruction, recorded_by, recorded_at)
           SELECT gen_random_uuid(), id, (ARRAY['NATIONAL','PROVINCIAL','MUNICIPAL'])[1 + i % 3], 'SINGLE', '采用单位',
                  (submitted_at + interval '20 days')::date, CASE WHEN i % 7 = 0 THEN '批示' END, '{admin}', now()
           FROM s WHERE i % 3 = 0;
         INSERT INTO suggestion_adoption (id, suggestion_id, level, form, adopted_by, adopted_at, recorded_by, recorded_at)
           SELECT gen_random_uuid(), id, 'PROVINCIAL', 'COMBINED', '采用单位', (submitted_at + interval '40 days')::date, '{admin}', now()
           FROM s WHERE i % 6 = 0;
         INSERT INTO bulletin_issue (id, organization_id, year, number, title, status, created_by, created_at, published_at)
           SELECT gen_random_uuid(), '{o}', {year}, g, '社情民意', 'PUBLISHED', '{admin}', now(), {bulletin}
           FROM generate_series(1, 24) g;

         INSERT INTO visit (id, organization_id, kind, title, topic, place, counterpart_region, starts_at, ends_at, audience,
                            guest_count, status, created_by, created_at, updated_at)
           SELECT gen_random_uuid(), '{o}',
                  (ARRAY['INSPECTION','RESEARCH','OUTBOUND_STUDY','INBOUND_RECEPTION','UPPER_LEVEL_VISIT','TRAINING','JOINT_INSPECTION'])[1 + g % 7],
                  '活动' || g, '', '某地', CASE WHEN g % 7 = 3 THEN '省份' || (g % 5) END, {held}, {held} + interval '3 hours',
                  '{{}}', g % 9, CASE WHEN g % 10 = 0 THEN 'CANCELLED' ELSE 'COMPLETED' END, '{admin}', now(), now()
           FROM generate_series(1, 300) g;
         INSERT INTO visit_participant (visit_id, user_id, organization_id, status, attended, signed_up_at, updated_at)
           SELECT v.id, m.id, '{o}', 'CONFIRMED', true, now(), now()
           FROM (SELECT id, row_number() OVER (ORDER BY id) AS j FROM visit) v
           JOIN m ON m.i >= (v.j * 10) % 500 AND m.i < (v.j * 10) % 500 + 10;

         INSERT INTO briefing (id, organization_id, title, summary, body, source, category, status, audience,
                               created_by, created_at, updated_by, updated_at, published_at)
           SELECT gen_random_uuid(), '{o}', '通报' || g, '摘要', '正文', (ARRAY['市政府','市纪委监委','市法院'])[1 + g % 3], '类别',
                  'PUBLISHED', '{{\"everyone\": true}}', '{admin}', now(), '{admin}', now(), {briefed}
           FROM generate_series(1, 100) g;
         INSERT INTO briefing_recipient (briefing_id, user_id, organization_id, active, pinned, published_at, read_at)
           SELECT b.id, m.id, '{o}', true, false, b.published_at, CASE WHEN m.i % 2 = 0 THEN b.published_at + interval '1 hour' END
           FROM briefing b CROSS JOIN m;

         INSERT INTO commendation (id, organization_id, year, awarded_by, level, title, subject_kind, subject_id, subject_name, recorded_by, created_at)
           SELECT gen_random_uuid(), '{o}', {year}, '省政协', 'PROVINCIAL', '优秀' || g, CASE WHEN g % 2 = 0 THEN 'USER' ELSE 'PROPOSAL' END,
                  gen_random_uuid(), '对象', '{admin}', now()
           FROM generate_series(1, 60) g;
         ANALYZE;",
        submitted = day("g"),
        submitted_s = day("g * 7"),
        bulletin = day("g * 15"),
        held = day("g * 11"),
        briefed = day("g * 3"),
    );
    db.execute_unprepared(&sql).await?;
    Ok(Viewer { user_id: admin, session_id: "bench".into(), organization_id: o, role: Role::Admin })
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Res<()> {
    let reps = common::reps(20);
    let bench = BenchDb::fresh(DB).await?;
    let db = bench.db.clone();
    let year = api::calendar::this_year() - 1;
    let started = Instant::now();
    let viewer = seed(&db, year).await?;
    println!("seeded in {:.1} s", started.elapsed().as_secs_f64());
    let who = Principal::load(&db, &viewer).await?;

    let mut times = Vec::new();
    let mut last = None;
    for rep in 0..WARM_UP + reps {
        let start = Instant::now();
        let report = service::read(&db, &who, year, None).await?;
        if rep >= WARM_UP {
            times.push(start.elapsed().as_secs_f64() * 1000.0);
        }
        last = Some(report);
    }
    let report = last.ok_or("no report")?;
    let f = &report.figures;
    let visits: u64 = f.visits.by_kind.iter().map(|(_, c)| c.batches).sum();
    let checks = [
        ("proposals submitted", f.proposals.submitted, 2000),
        ("upper-session proposals", f.upper_sessions.first().map_or(0, |s| s.submitted), 300),
        ("upper-session members", f.upper_sessions.first().map_or(0, |s| s.members), 100),
        ("pieces received", f.suggestions.received, 5000),
        ("visits held", visits, 270),
        ("briefings", f.briefings.published, 100),
    ];
    for (what, got, want) in checks {
        if got != want {
            return Err(format!("{what}: {got}, expected {want}").into());
        }
    }
    times.sort_by(f64::total_cmp);
    println!("annualReport({year}) over {reps} runs after {WARM_UP} to warm up; milliseconds");
    println!("| p50 | p95 | max |");
    println!("|---:|---:|---:|");
    println!("| {:.1} | {:.1} | {:.1} |", percentile(&times, 0.5), percentile(&times, 0.95), percentile(&times, 1.0));
    bench.finish().await
}

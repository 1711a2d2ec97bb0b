//! Sign-in as a hostile client probes it (issue 12, items 1–6): bursts of logins against the
//! failed-login limit, timing, memory under a burst of hashes, sessions of a disabled
//! user, `X-Forwarded-For`, and the mobile app's refresh habits.
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::{
    both,
    helpers::{ADMIN_PASSWORD, ADMIN_PHONE, Answer, Backend, JWT_SECRET, PASSWORD, TestApp, spawn_app_with},
    race::{self, Findings, Request},
};

const LOGIN: &str = "mutation($input: LoginInput!) { login(input: $input) { accessToken refreshToken } }";
const REFRESH: &str = "mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken refreshToken } }";
const ME: &str = "{ me { id } }";

fn login_request(phone: &str, password: &str) -> Request {
    (None, LOGIN.to_owned(), json!({ "input": { "phone": phone, "password": password, "device": "突发" } }))
}

/// How many answers carry each outcome code (`ok` for successes).
fn tally(answers: &[Answer]) -> std::collections::BTreeMap<String, usize> {
    let mut counts = std::collections::BTreeMap::new();
    for a in answers {
        *counts.entry(race::code(a).unwrap_or_else(|| "ok".into())).or_insert(0) += 1;
    }
    counts
}

fn count(answers: &[Answer], code: &str) -> usize {
    tally(answers).get(code).copied().unwrap_or(0)
}

fn retry_after(a: &Answer) -> u64 {
    a.body["errors"][0]["extensions"]["retryAfter"].as_u64().unwrap_or(0)
}

// ---------------------------------------------------------------------------------------
// 1. The failed-login limit holds under a burst.

async fn a_burst_of_wrong_passwords_is_held_to_the_limit(backend: Backend) {
    // The address limit out of the way: this is about the phone's.
    let app = spawn_app_with(backend, |s| s.login_max_failures_per_ip = 10_000).await;
    let admin = app.admin().await;
    let org = app.current_org(&admin).await;
    app.person(&admin, "13900000101", "突发委员", &org, "MEMBER").await;
    let mut findings = Findings::new("40 wrong passwords for one phone at once");

    let burst: Vec<Request> = (0..40).map(|_| login_request("13900000101", "Wrong-pass-1")).collect();
    let answers = race::together(&app, burst).await;
    let checked = count(&answers, "UNAUTHENTICATED");
    let limited = count(&answers, "RATE_LIMITED");
    findings.check(checked <= 5 && checked + limited == 40, || {
        format!("at most 5 passwords checked, the rest RATE_LIMITED; got {:?}", tally(&answers))
    });
    findings.check(
        answers.iter().filter(|a| race::code(a).as_deref() == Some("RATE_LIMITED")).all(|a| retry_after(a) > 0),
        || "every RATE_LIMITED carries retryAfter".into(),
    );

    // The right password inside a burst: sent while the wrong ones are still being checked.
    let other = "13900000102";
    app.person(&admin, other, "第二位委员", &org, "MEMBER").await;
    let mut burst: Vec<(Request, Duration)> =
        (0..40).map(|_| (login_request(other, "Wrong-pass-1"), Duration::ZERO)).collect();
    burst.push((login_request(other, PASSWORD), Duration::from_millis(100)));
    let answers = race::staggered(&app, burst).await;
    let right = answers.last().map(race::outcome).unwrap_or_default();
    findings.check(right.starts_with("RATE_LIMITED"), || {
        format!("the right password inside the burst must not log in once the limit is reached: {right}")
    });
    findings.check(count(&answers, "UNAUTHENTICATED") <= 5, || format!("second burst: {:?}", tally(&answers)));
    findings.refused("the right password after the burst", &app.try_login(other, PASSWORD).await, "RATE_LIMITED", None);

    // A success still forgives the phone's mistakes.
    let third = "13900000103";
    app.person(&admin, third, "第三位委员", &org, "MEMBER").await;
    for _ in 0..4 {
        app.try_login(third, "Wrong-pass-1").await.refused("UNAUTHENTICATED");
    }
    findings.ok("the right password within the limit", &app.try_login(third, PASSWORD).await);
    for i in 0..5 {
        findings.refused(
            &format!("mistake {i} after a success"),
            &app.try_login(third, "Wrong-pass-1").await,
            "UNAUTHENTICATED",
            None,
        );
    }
    findings.refused("the sixth mistake", &app.try_login(third, "Wrong-pass-1").await, "RATE_LIMITED", None);
    findings.finish(&app).await;
}
both!(a_burst_of_wrong_passwords_is_held_to_the_limit);

async fn a_burst_from_one_address_is_held_to_its_limit(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.login_max_failures_per_ip = 10).await;
    let burst: Vec<Request> = (0..40).map(|i| login_request(&format!("1390000{i:04}"), "Wrong-pass-1")).collect();
    let answers = race::together(&app, burst).await;
    let checked = count(&answers, "UNAUTHENTICATED");
    assert!(checked <= 10 && checked + count(&answers, "RATE_LIMITED") == 40, "{:?}", tally(&answers));
}
both!(a_burst_from_one_address_is_held_to_its_limit);

// ---------------------------------------------------------------------------------------
// 2. A wrong password and an unknown phone cost the same.

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

async fn an_unknown_phone_costs_a_hash_too(backend: Backend) {
    let app = spawn_app_with(backend, |s| {
        s.login_max_failures_per_phone = 1000;
        s.login_max_failures_per_ip = 1000;
    })
    .await;
    // Warm the connection and the server.
    app.try_login(ADMIN_PHONE, "Wrong-pass-1").await.refused("UNAUTHENTICATED");
    app.try_login("13999999990", "Wrong-pass-1").await.refused("UNAUTHENTICATED");
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for i in 0..9 {
        let started = Instant::now();
        app.try_login(ADMIN_PHONE, "Wrong-pass-1").await.refused("UNAUTHENTICATED");
        known.push(started.elapsed());
        let started = Instant::now();
        app.try_login(&format!("1399999{i:04}"), "Wrong-pass-1").await.refused("UNAUTHENTICATED");
        unknown.push(started.elapsed());
    }
    let (known, unknown) = (median(known), median(unknown));
    eprintln!("[timing] {backend:?}: wrong password {known:?}, unknown phone {unknown:?} (medians of 9)");
    let ratio = unknown.as_secs_f64() / known.as_secs_f64();
    assert!(
        (0.5..=2.0).contains(&ratio),
        "an unknown phone must cost what a wrong password costs: {unknown:?} against {known:?}"
    );
}
both!(an_unknown_phone_costs_a_hash_too);

// ---------------------------------------------------------------------------------------
// 3. Hashing is bounded: memory stays flat under a burst; a full bound refuses politely.

/// `VmRSS` or `VmHWM` of this process (the server runs inside the test), in MiB.
fn status_mib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<u64>().ok())
        .map_or(0, |kb| kb / 1024)
}

const MEMORY_PROBE: &str = "CPPCC_MEMORY_PROBE";

/// Runs `memory_probe` in a process of its own (this test binary again, that one test
/// only), so that VmRSS and VmHWM are the figures of one server taking a burst, not of
/// whatever the tests running beside it in this process allocated.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_logins_keeps_memory_flat() {
    let exe = std::env::current_exe().expect("the test binary");
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(exe)
            .args(["signin::memory_probe", "--exact", "--include-ignored", "--nocapture", "--test-threads=1"])
            .env(MEMORY_PROBE, "1")
            .output()
    })
    .await
    .expect("the probe's thread")
    .expect("the probe runs");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    for line in text.lines().filter(|l| {
        l.starts_with("[memory]") || l.contains("panicked") || l.starts_with("resident") || l.starts_with("the burst")
    }) {
        eprintln!("{line}");
    }
    assert!(out.status.success() && text.contains("1 passed"), "the memory probe failed:\n{text}");
}

/// 80 logins at once against one server (on PostgreSQL: memory is the hasher's, whatever
/// the database); run by `a_burst_of_logins_keeps_memory_flat` in a fresh process.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "run in a process of its own by a_burst_of_logins_keeps_memory_flat"]
async fn memory_probe() {
    if std::env::var(MEMORY_PROBE).is_err() {
        eprintln!("memory_probe measures its whole process: run through a_burst_of_logins_keeps_memory_flat");
        return;
    }
    let app = spawn_app_with(Backend::Postgres, |s| {
        s.login_max_failures_per_phone = 1000;
        s.login_max_failures_per_ip = 1000;
    })
    .await;
    let before = status_mib("VmRSS:");
    let sampling = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let sampler = {
        let sampling = sampling.clone();
        tokio::spawn(async move {
            let mut peak = 0;
            while sampling.load(std::sync::atomic::Ordering::Relaxed) {
                peak = peak.max(status_mib("VmRSS:"));
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            peak
        })
    };
    // 80 logins at once: half right, half wrong passwords of unknown phones.
    let burst: Vec<Request> = (0..80)
        .map(|i| {
            if i % 2 == 0 {
                login_request(ADMIN_PHONE, ADMIN_PASSWORD)
            } else {
                login_request(&format!("1398888{i:04}"), "Wrong-pass-1")
            }
        })
        .collect();
    let started = Instant::now();
    let answers = race::together(&app, burst).await;
    let took = started.elapsed();
    sampling.store(false, std::sync::atomic::Ordering::Relaxed);
    let peak = sampler.await.unwrap_or(0);
    let after = status_mib("VmRSS:");
    let hwm = status_mib("VmHWM:");
    eprintln!(
        "[memory] 80 logins at once in {took:?}: VmRSS {before} MiB before, peak {peak} MiB, {after} MiB after; VmHWM {hwm} MiB; {:?}",
        tally(&answers)
    );
    let unexpected: Vec<String> = answers
        .iter()
        .filter(|a| !matches!(race::code(a).as_deref(), None | Some("UNAUTHENTICATED" | "SERVICE_UNAVAILABLE")))
        .map(race::outcome)
        .collect();
    assert!(unexpected.is_empty(), "{unexpected:?}");
    assert!(peak < 400 && hwm < 400, "resident memory during the burst: peak {peak} MiB, high-water mark {hwm} MiB");
    assert!(peak.saturating_sub(before) < 150, "the burst grew the process from {before} to {peak} MiB");
}

async fn a_full_hashing_bound_refuses_with_retry_after(backend: Backend) {
    // One hash at a time, no waiting: a burst finds the bound full.
    let app = spawn_app_with(backend, |s| {
        s.password_hash_concurrency = 1;
        s.password_hash_max_wait_secs = 0;
        s.login_max_failures_per_phone = 3;
        s.login_max_failures_per_ip = 1000;
    })
    .await;
    let admin = app.admin().await;
    let mut findings = Findings::new("a full hashing bound");

    let burst: Vec<Request> =
        (0..10).map(|i| login_request(&format!("1390000{:04}", 400 + i), "Wrong-pass-1")).collect();
    let answers = race::together(&app, burst).await;
    let (served, busy) = (count(&answers, "UNAUTHENTICATED"), count(&answers, "SERVICE_UNAVAILABLE"));
    findings.check(served > 0 && busy > 0 && served + busy == 10, || {
        format!("some logins served, the rest SERVICE_UNAVAILABLE: {:?}", tally(&answers))
    });
    for a in answers.iter().filter(|a| race::code(a).as_deref() == Some("SERVICE_UNAVAILABLE")) {
        findings.check(retry_after(a) > 0, || format!("retryAfter on {}", a.body));
    }

    // A login refused for want of a turn had its password never checked: it is no failed
    // attempt. After a burst against a limit of 3, exactly 3 minus the passwords the burst
    // checked are left.
    let phone = "13900000150";
    let burst: Vec<Request> = (0..10).map(|_| login_request(phone, "Wrong-pass-1")).collect();
    let answers = race::together(&app, burst).await;
    let checked = count(&answers, "UNAUTHENTICATED");
    findings.check(count(&answers, "SERVICE_UNAVAILABLE") > 0 && checked <= 3, || format!("{:?}", tally(&answers)));
    for i in checked..3 {
        let a = app.try_login(phone, "Wrong-pass-1").await;
        findings.refused(&format!("attempt {} after the burst", i + 1), &a, "UNAUTHENTICATED", None);
    }
    findings.refused("past the limit", &app.try_login(phone, "Wrong-pass-1").await, "RATE_LIMITED", None);

    // createUser hashes too, under the same bound.
    let creates: Vec<Request> = (0..6)
        .map(|i| {
            race::request(
                &admin,
                "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }",
                json!({ "i": { "phone": format!("1390000{:04}", 200 + i), "name": "新用户", "password": PASSWORD } }),
            )
        })
        .collect();
    let answers = race::together(&app, creates).await;
    findings.check(count(&answers, "SERVICE_UNAVAILABLE") > 0 && count(&answers, "ok") > 0, || {
        format!("createUser under the bound: {:?}", tally(&answers))
    });
    findings.finish(&app).await;
}
both!(a_full_hashing_bound_refuses_with_retry_after);

// ---------------------------------------------------------------------------------------
// 4. No session of a disabled user survives.

const DISABLE: &str = "mutation($id: ID!) { disableUser(id: $id) { status } }";
const ENABLE: &str = "mutation($id: ID!) { enableUser(id: $id) { status } }";

async fn a_login_racing_a_disable_leaves_no_session(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.login_max_failures_per_phone = 1000).await;
    let admin = app.admin().await;
    let org = app.current_org(&admin).await;
    let phone = "13900000111";
    let user = app.person(&admin, phone, "被停用的委员", &org, "MEMBER").await;
    let mut findings = Findings::new("login fired together with disableUser");
    let mut survivors = Vec::new();
    for round in 0..20 {
        app.gql(Some(&admin), ENABLE, json!({ "id": user })).await.data();
        let answers = race::together(
            &app,
            vec![login_request(phone, PASSWORD), race::request(&admin, DISABLE, json!({ "id": user }))],
        )
        .await;
        let mut problems = Vec::new();
        if !race::succeeded(&answers[1]) {
            problems.push(format!("disableUser: {}", race::outcome(&answers[1])));
        }
        match race::code(&answers[0]).as_deref() {
            None => {
                let login = &answers[0].body["data"]["login"];
                let access = login["accessToken"].as_str().unwrap_or_default().to_owned();
                let refresh = login["refreshToken"].as_str().unwrap_or_default().to_owned();
                let me = app.gql(Some(&access), ME, json!({})).await;
                if me.status != 401 {
                    problems.push(format!("the login's access token still works: {}", race::outcome(&me)));
                }
                let refreshed = app.gql(None, REFRESH, json!({ "t": refresh })).await;
                if race::succeeded(&refreshed) {
                    problems.push("the login's refresh token still refreshes".into());
                }
                survivors.push((access, refresh));
            }
            Some("FORBIDDEN") => {}
            Some(_) => problems.push(format!("login: {}", race::outcome(&answers[0]))),
        }
        findings.round(round, problems);
    }
    // Enabled again, the sessions made around the disables stay ended.
    app.gql(Some(&admin), ENABLE, json!({ "id": user })).await.data();
    for (access, refresh) in &survivors {
        let me = app.gql(Some(access), ME, json!({})).await;
        findings
            .check(me.status == 401, || format!("after enableUser an old session works again: {}", race::outcome(&me)));
        let refreshed = app.gql(None, REFRESH, json!({ "t": refresh })).await;
        findings.check(!race::succeeded(&refreshed), || "after enableUser an old refresh token works again".into());
    }
    findings.ok("a new login after enableUser", &app.try_login(phone, PASSWORD).await);
    findings.finish(&app).await;
}
both!(a_login_racing_a_disable_leaves_no_session);

const SWITCH: &str =
    "mutation($o: ID!) { switchOrganization(organizationId: $o) { accessToken refreshToken membership { role } } }";
const SESSIONS: &str = "{ mySessions { id current } }";

/// A session moved by `switchOrganization` lives a full session lifetime from the switch;
/// the per-user index must too, or a later `disableUser`/`logoutAll` misses it.
async fn a_switched_session_is_still_found(backend: Backend) {
    // Short lifetimes, so the index written at login expires within the test.
    let app = spawn_app_with(backend, |s| {
        s.access_token_ttl_secs = 1;
        s.refresh_token_ttl_secs = 6;
        s.refresh_reuse_grace_secs = 1;
    })
    .await;
    let admin = app.admin().await;
    let city = app.current_org(&admin).await;
    let county = app.create_org(&admin, "切换测试区政协", "COUNTY", &city).await;
    let mut people = Vec::new();
    for (phone, name) in [("13900000121", "甲委员"), ("13900000122", "乙委员")] {
        let user = app.person(&admin, phone, name, &city, "MEMBER").await;
        app.join(&admin, &user, &county, "MEMBER", json!({})).await;
        people.push((phone, user, app.login(phone, PASSWORD).await));
    }
    let mut findings = Findings::new("a session after switchOrganization");
    tokio::time::sleep(Duration::from_millis(3500)).await;
    // The access tokens are expired by now but within the 5 s leeway of the token check.
    let mut switched = Vec::new();
    for (_, _, tokens) in &people {
        let a = app.gql(Some(&tokens.access), SWITCH, json!({ "o": county })).await;
        switched.push(a.data()["switchOrganization"]["accessToken"].as_str().unwrap_or_default().to_owned());
    }
    // Past the lifetime of the index as the login wrote it, within the switched session's.
    tokio::time::sleep(Duration::from_millis(3000)).await;
    let admin = app.admin().await;

    let listed = app.gql(Some(&switched[0]), SESSIONS, json!({})).await;
    let current =
        listed.body["data"]["mySessions"].as_array().map_or(0, |l| l.iter().filter(|s| s["current"] == true).count());
    findings.check(current == 1, || format!("mySessions lists the switched session: {}", listed.body));

    // logoutAll from another device ends the switched session.
    let other = app.login(people[0].0, PASSWORD).await;
    findings
        .ok("logoutAll", &app.gql(Some(&other.access), "mutation { logoutAll { endedSessions } }", json!({})).await);
    let me = app.gql(Some(&switched[0]), ME, json!({})).await;
    findings.check(me.status == 401, || format!("after logoutAll the switched session works: {}", race::outcome(&me)));

    // disableUser ends the other person's switched session.
    findings.ok("disableUser", &app.gql(Some(&admin), DISABLE, json!({ "id": people[1].1 })).await);
    let me = app.gql(Some(&switched[1]), ME, json!({})).await;
    findings
        .check(me.status == 401, || format!("after disableUser the switched session works: {}", race::outcome(&me)));
    findings.finish(&app).await;
}
both!(a_switched_session_is_still_found);

// ---------------------------------------------------------------------------------------
// 5. X-Forwarded-For: the entry the trusted proxy added.

async fn failed_login_from(app: &TestApp, forwarded_for: &str, phone: &str) -> Answer {
    let body = json!({ "query": LOGIN, "variables": { "input": { "phone": phone, "password": "Wrong-pass-1" } } });
    crate::helpers::send(
        app.http
            .post(format!("{}/graphql", app.base))
            .header("content-type", "application/json")
            .header("x-forwarded-for", forwarded_for)
            .body(body.to_string()),
    )
    .await
}

async fn the_address_is_the_one_the_proxy_added(backend: Backend) {
    let app = spawn_app_with(backend, |s| {
        s.trust_forwarded_for = true;
        s.login_max_failures_per_ip = 3;
    })
    .await;
    let mut findings = Findings::new("X-Forwarded-For behind one proxy");
    // The client writes a new first entry each time; the proxy appends the real address.
    for i in 0..3 {
        let a = failed_login_from(&app, &format!("10.9.{i}.1, 203.0.113.7"), &format!("1390000{:04}", 300 + i)).await;
        findings.refused(&format!("failure {i}"), &a, "UNAUTHENTICATED", None);
    }
    let a = failed_login_from(&app, "10.9.99.1, 203.0.113.7", "13900000399").await;
    findings.refused("a forged first entry does not reset the address's count", &a, "RATE_LIMITED", None);
    let a = failed_login_from(&app, "10.9.99.1, 203.0.113.8", "13900000398").await;
    findings.refused("another client behind the proxy", &a, "UNAUTHENTICATED", None);

    // Garbage where the proxy's entry should be: the socket's address (all such requests
    // share it, so forging garbage gains nothing).
    for i in 0..3 {
        let a =
            failed_login_from(&app, &format!("198.51.100.{i}, not-an-ip-{i}"), &format!("1390000{:04}", 310 + i)).await;
        findings.refused(&format!("garbage {i}"), &a, "UNAUTHENTICATED", None);
    }
    let a = failed_login_from(&app, "198.51.100.9, still-not-an-ip", "13900000319").await;
    findings.refused("garbage falls back to the socket's address", &a, "RATE_LIMITED", None);
    findings.finish(&app).await;

    // Two proxies: the second entry from the right.
    let app = spawn_app_with(backend, |s| {
        s.trust_forwarded_for = true;
        s.trusted_proxy_hops = 2;
        s.login_max_failures_per_ip = 3;
    })
    .await;
    let mut findings = Findings::new("X-Forwarded-For behind two proxies");
    for i in 0..3 {
        let a =
            failed_login_from(&app, &format!("10.9.{i}.1, 198.51.100.9, 10.0.0.1"), &format!("1390000{:04}", 320 + i))
                .await;
        findings.refused(&format!("failure {i}"), &a, "UNAUTHENTICATED", None);
    }
    let a = failed_login_from(&app, "10.9.99.1, 198.51.100.9, 10.0.0.1", "13900000329").await;
    findings.refused("the client's entry two from the right", &a, "RATE_LIMITED", None);
    let a = failed_login_from(&app, "198.51.100.10, 10.0.0.1", "13900000328").await;
    findings.refused("another client", &a, "UNAUTHENTICATED", None);
    findings.finish(&app).await;
}
both!(the_address_is_the_one_the_proxy_added);

// ---------------------------------------------------------------------------------------
// 6. The mobile app's refresh habits.

fn refreshed(a: &Answer) -> Option<(String, String)> {
    let r = &a.body["data"]["refreshSession"];
    Some((r["accessToken"].as_str()?.to_owned(), r["refreshToken"].as_str()?.to_owned()))
}

async fn two_refreshes_at_once_keep_the_session(backend: Backend) {
    let app = spawn_app_with(backend, |_| {}).await;
    let mut findings = Findings::new("two refreshes with one token at once");
    for round in 0..10 {
        let tokens = app.login(ADMIN_PHONE, ADMIN_PASSWORD).await;
        let same = || (None, REFRESH.to_owned(), json!({ "t": tokens.refresh }));
        let answers = race::together(&app, vec![same(), same()]).await;
        let mut problems = Vec::new();
        let pairs: Vec<_> = answers.iter().map(refreshed).collect();
        for (a, pair) in answers.iter().zip(&pairs) {
            if pair.is_none() {
                problems.push(format!("a refresh was refused: {}", race::outcome(a)));
            }
        }
        if let [Some((access, next)), Some((_, other))] = pairs.as_slice() {
            if next != other {
                problems.push("the two answers carry different refresh tokens".into());
            }
            if app.gql(Some(access), ME, json!({})).await.status != 200 {
                problems.push("the session did not survive".into());
            }
            if refreshed(&app.gql(None, REFRESH, json!({ "t": next })).await).is_none() {
                problems.push("the new refresh token does not refresh".into());
            }
        }
        findings.round(round, problems);
    }
    findings.finish(&app).await;
}
both!(two_refreshes_at_once_keep_the_session);

async fn a_retried_refresh_gets_the_same_token_and_late_reuse_still_revokes(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.refresh_reuse_grace_secs = 2).await;
    let mut findings = Findings::new("refresh retried within and after the grace window");

    // The answer to the first refresh was lost; the app retries with the same token.
    let first = app.login(ADMIN_PHONE, ADMIN_PASSWORD).await;
    let lost = refreshed(&app.gql(None, REFRESH, json!({ "t": first.refresh })).await);
    let retried = refreshed(&app.gql(None, REFRESH, json!({ "t": first.refresh })).await);
    findings.check(lost.is_some() && lost.as_ref().map(|p| &p.1) == retried.as_ref().map(|p| &p.1), || {
        format!("the retry gets the same refresh token: {lost:?} then {retried:?}")
    });
    if let Some((access, next)) = &retried {
        findings.check(app.gql(Some(access), ME, json!({})).await.status == 200, || "the retried pair works".into());
        findings.check(refreshed(&app.gql(None, REFRESH, json!({ "t": next })).await).is_some(), || {
            "the retried refresh token rotates".into()
        });
    }

    // After the window, an old token is theft: the whole session ends.
    let second = app.login(ADMIN_PHONE, ADMIN_PASSWORD).await;
    let next = refreshed(&app.gql(None, REFRESH, json!({ "t": second.refresh })).await).unwrap_or_default();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let late = app.gql(None, REFRESH, json!({ "t": second.refresh })).await;
    findings.refused("reuse after the window", &late, "UNAUTHENTICATED", None);
    findings.refused(
        "the session's newest token after the reuse",
        &app.gql(None, REFRESH, json!({ "t": next.1 })).await,
        "UNAUTHENTICATED",
        None,
    );
    findings.check(app.gql(Some(&next.0), ME, json!({})).await.status == 401, || {
        "the session's access token after the reuse".into()
    });
    findings.finish(&app).await;
}
both!(a_retried_refresh_gets_the_same_token_and_late_reuse_still_revokes);

/// An access token like `access`, expired an hour ago (signed with the test key).
fn expired(access: &str) -> String {
    use base64::Engine;
    let payload = access.split('.').nth(1).unwrap_or_default();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap_or_default();
    let mut claims: Value = serde_json::from_slice(&bytes).unwrap_or_default();
    let iat = claims["iat"].as_i64().unwrap_or_default();
    claims["iat"] = json!(iat - 7200);
    claims["exp"] = json!(iat - 3600);
    jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(JWT_SECRET.as_bytes()),
    )
    .unwrap_or_default()
}

async fn refresh_and_login_work_with_an_expired_access_token_attached(backend: Backend) {
    let app = spawn_app_with(backend, |_| {}).await;
    let mut findings = Findings::new("an expired access token on every request");
    let tokens = app.login(ADMIN_PHONE, ADMIN_PASSWORD).await;
    let stale = expired(&tokens.access);

    let a = app.gql(Some(&stale), REFRESH, json!({ "t": tokens.refresh })).await;
    findings.check(refreshed(&a).is_some(), || format!("refreshSession with an expired token attached: {}", a.body));
    let a =
        app.gql(Some(&stale), LOGIN, json!({ "input": { "phone": ADMIN_PHONE, "password": ADMIN_PASSWORD } })).await;
    findings.ok("login with an expired token attached", &a);
    // A logged-out session's token, attached to the next login.
    let revoked = app.login(ADMIN_PHONE, ADMIN_PASSWORD).await;
    app.gql(Some(&revoked.access), "mutation { logout { endedSessions } }", json!({})).await.data();
    let a = app
        .gql(Some(&revoked.access), LOGIN, json!({ "input": { "phone": ADMIN_PHONE, "password": ADMIN_PASSWORD } }))
        .await;
    findings.ok("login with a revoked session's token attached", &a);

    // Everything else is still refused whole.
    for (what, query) in [
        ("a query", ME.to_owned()),
        ("logout", "mutation { logout { endedSessions } }".to_owned()),
        (
            "refreshSession beside another field",
            format!(
                "mutation {{ a: refreshSession(refreshToken: \"{}\") {{ accessToken }} logout {{ endedSessions }} }}",
                tokens.refresh
            ),
        ),
        ("a fragment at the root", "mutation { ...F } fragment F on Mutation { logout { endedSessions } }".to_owned()),
    ] {
        let a = app.gql(Some(&stale), &query, json!({})).await;
        findings.check(a.status == 401 && a.body.get("data").is_none(), || {
            format!("{what} with an expired token: {} {}", a.status, a.body)
        });
    }
    findings.finish(&app).await;
}
both!(refresh_and_login_work_with_an_expired_access_token_attached);

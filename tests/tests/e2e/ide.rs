//! The admin's GraphQL IDE, in a real browser (issue 13): Debian's headless Chromium opens
//! `/graphql` with every request that would leave this machine blocked, signs in through the
//! Headers tab, runs `{ me { name } }` and sees the answer, runs a subscription over the
//! WebSocket (signed in by the same header), and sees the schema in the
//! documentation explorer. The browser is driven by `tests/browser/ide.mjs` (playwright-core
//! from npm, pinned in `tests/browser/package-lock.json`); `.ci/run` installs Chromium.
use std::process::Command;

use crate::helpers::{Backend, node_scripts, spawn_app};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ide_opens_offline_signs_in_and_shows_the_schema() {
    let app = spawn_app(Backend::Sqlite).await;
    let token = app.admin().await;
    let base = app.base.clone();
    let run = tokio::task::spawn_blocking(move || {
        let dir = node_scripts("browser", "playwright-core");
        Command::new("node")
            .arg(dir.join("ide.mjs"))
            .args([&base, &token, "系统管理员"])
            .output()
            .expect("node runs the browser script")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    let seen: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap_or_default())
        .unwrap_or_else(|_| panic!("browser script said: {stdout}\n{stderr}"));
    assert_eq!(seen["blocked"], serde_json::json!([]), "the page reached outside this machine: {seen}");
    assert!(seen["answer"].as_str().unwrap_or_default().contains("系统管理员"), "{seen}");
    assert!(seen["live"].as_str().unwrap_or_default().contains("\"notifications\": 0"), "a subscription: {seen}");
    assert!(seen["docs"].as_str().unwrap_or_default().contains("Mutation"), "{seen}");
    assert_eq!(seen["schemaError"], false, "{seen}");
    assert!(run.status.success(), "{seen}\n{stderr}");
}

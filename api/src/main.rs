//! `api` — serve (default), `api seed-demo`, `api sweep-attachments`, `api dispatch-events`,
//! `api run-reminders`, `api healthcheck`, `api export-schema`.
use std::process::ExitCode;

use api::{app, config::Settings, demo, graphql};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(about = "政协委员履职平台 API server")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (the default).
    Serve,
    /// Load the demo data set (a province, a city, a county, sectors, members…) once.
    SeedDemo,
    /// Remove uploads no record took and files no record uses, once (the server also does
    /// it every ATTACHMENT_CLEANUP_INTERVAL_SECS).
    SweepAttachments,
    /// Turn pending domain events into notifications now, until none is left (the server
    /// also does it every NOTIFICATION_DISPATCH_INTERVAL_MS).
    DispatchEvents,
    /// Fire the reminders due now that no process fired yet (the server also does it every
    /// REMINDER_INTERVAL_SECS); `dispatch-events` then turns them into notifications.
    RunReminders,
    /// Exit 0 when the server on BIND_ADDR answers `/healthz` (a container's health check:
    /// the runtime image has no curl).
    Healthcheck,
    /// Write the GraphQL schema (SDL) to a file.
    ExportSchema {
        #[arg(long, default_value = "schema.graphql")]
        output: String,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Command::ExportSchema { output }) = &cli.command {
        return match std::fs::write(output, graphql::sdl()) {
            Ok(()) => {
                println!("wrote {output}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{output}: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let telemetry = api::telemetry::init();
    let settings = match Settings::load() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            telemetry.shutdown();
            return ExitCode::FAILURE;
        }
    };
    let result = match cli.command {
        Some(Command::SeedDemo) => seed_demo(settings).await,
        Some(Command::SweepAttachments) => sweep_attachments(settings).await,
        Some(Command::DispatchEvents) => dispatch_events(settings).await,
        Some(Command::RunReminders) => run_reminders(settings).await,
        Some(Command::Healthcheck) => healthcheck(&settings),
        _ => serve(settings).await,
    };
    telemetry.shutdown();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            for line in e.lines() {
                eprintln!("error: {line}");
            }
            ExitCode::FAILURE
        }
    }
}

async fn serve(settings: Settings) -> Result<(), String> {
    let (addr, _state, server) = app::spawn(settings).await?;
    tracing::info!("listening on http://{addr} (GraphQL IDE at http://{addr}/graphql)");
    server.await.map_err(|e| format!("server: {e}"))
}

async fn seed_demo(settings: Settings) -> Result<(), String> {
    let state = app::build_state(settings).await?;
    api::bootstrap::first_start(&state).await.map_err(|e| e.to_string())?;
    match demo::seed(&state).await.map_err(|e| e.to_string())? {
        None => println!("演示数据已存在（{}），未重复导入。", demo::DEMO_CITY),
        Some(summary) => {
            println!("已导入演示数据：示例省政协 → {} → 示例区政协。", demo::DEMO_CITY);
            println!("演示账号（密码均为 {}）：", summary.password);
            for (phone, label) in summary.logins {
                println!("  {phone}  {label}");
            }
            println!("  13900000002 … 13900000024  其他委员");
        }
    }
    Ok(())
}

async fn sweep_attachments(settings: Settings) -> Result<(), String> {
    let orphan_after = std::time::Duration::from_secs(settings.attachment_orphan_after_secs);
    let state = app::build_state(settings).await?;
    let swept = api::attachments::service::sweep(&state.db, &state.files, orphan_after)
        .await
        .map_err(|e| format!("sweep: {e:?}"))?;
    println!("未关联的上传：{} 个已放弃；已清除 {} 个附件记录及其不再使用的文件。", swept.orphaned, swept.purged);
    Ok(())
}

async fn dispatch_events(settings: Settings) -> Result<(), String> {
    let state = app::build_state(settings).await?;
    let n = api::notifications::dispatcher::deliver(&state).await.map_err(|e| e.to_string())?;
    println!("dispatched {n} events");
    Ok(())
}

async fn run_reminders(settings: Settings) -> Result<(), String> {
    let state = app::build_state(settings).await?;
    let n = api::reminders::run_due(&state.db, chrono::Utc::now()).await.map_err(|e| e.to_string())?;
    println!("fired {n} reminders");
    Ok(())
}

fn healthcheck(settings: &Settings) -> Result<(), String> {
    use std::io::{Read, Write};
    // A server listening on every address answers on the loopback one.
    let addr = settings.bind_addr.replace("0.0.0.0", "127.0.0.1").replace("[::]", "[::1]");
    let timeout = std::time::Duration::from_secs(2);
    let target = std::net::ToSocketAddrs::to_socket_addrs(&addr)
        .map_err(|e| format!("BIND_ADDR {addr}: {e}"))?
        .next()
        .ok_or_else(|| format!("BIND_ADDR {addr}: no address"))?;
    let mut stream = std::net::TcpStream::connect_timeout(&target, timeout).map_err(|e| format!("{addr}: {e}"))?;
    stream.set_read_timeout(Some(timeout)).map_err(|e| e.to_string())?;
    stream
        .write_all(format!("GET /healthz HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n\r\n").as_bytes())
        .map_err(|e| format!("{addr}: {e}"))?;
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    if answer.starts_with("HTTP/1.1 200") {
        Ok(())
    } else {
        Err(format!("{addr}/healthz: {}", answer.lines().next().unwrap_or("no answer")))
    }
}

//! Logs, and optionally traces (issue 16 items 8 and 9).
//!
//! Logs: `LOG_FORMAT=json` (the default with `APP_ENV=production`), one JSON object per line
//! for a log collector; `text` otherwise, readable, without colour codes when the output is
//! not a terminal (a file, journald, a pipe). Read from the environment, not the settings:
//! the settings' own problems must be logged.
//!
//! Traces: off unless `OTEL_EXPORTER_OTLP_ENDPOINT` (or `…_TRACES_ENDPOINT`) is set, the
//! OpenTelemetry standard variables. Then every request's span — its id, method, path,
//! status, GraphQL operation, outcome code, user id, and the events logged inside it — goes
//! over OTLP/HTTP (protobuf) to a collector (the OpenTelemetry Collector, Jaeger, Tempo…), in
//! batches from a background thread so a slow collector never holds a request; a request that
//! arrives with a W3C `traceparent` header continues the caller's trace. The standard
//! variables apply as usual (`OTEL_SERVICE_NAME`, default `cppcc-api`;
//! `OTEL_EXPORTER_OTLP_HEADERS`; `OTEL_BSP_SCHEDULE_DELAY`; `OTEL_TRACES_SAMPLER`…).
use opentelemetry::{propagation::Extractor, trace::TracerProvider as _};
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::{EnvFilter, Layer, layer::SubscriberExt, util::SubscriberInitExt};

/// Keeps the trace exporter alive; `shutdown` sends what is still queued.
pub struct Telemetry(Option<SdkTracerProvider>);

impl Telemetry {
    /// Flushes the spans still in the batch (at the end of the process: a stop must not lose
    /// the last requests' traces).
    pub fn shutdown(self) {
        if let Some(provider) = self.0
            && let Err(e) = provider.shutdown()
        {
            eprintln!("trace export: {e}");
        }
    }
}

fn env_set(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| !v.trim().is_empty())
}

/// Installs the global subscriber: the log layer, and the trace layer when configured.
pub fn init() -> Telemetry {
    use std::io::IsTerminal;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let production = std::env::var("APP_ENV").is_ok_and(|e| e.eq_ignore_ascii_case("production"));
    let json = match std::env::var("LOG_FORMAT") {
        Ok(format) => format.eq_ignore_ascii_case("json"),
        Err(_) => production,
    };
    let logs = if json {
        tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .boxed()
    } else {
        tracing_subscriber::fmt::layer().with_ansi(std::io::stdout().is_terminal()).boxed()
    };
    let (traces, provider, problem) = match tracer() {
        Ok(Some((tracer, provider))) => {
            (Some(tracing_opentelemetry::layer().with_tracer(tracer)), Some(provider), None)
        }
        Ok(None) => (None, None, None),
        Err(e) => (None, None, Some(e)),
    };
    tracing_subscriber::registry().with(filter).with(logs).with(traces).init();
    match (&provider, problem) {
        (Some(_), _) => tracing::info!("exporting traces over OTLP"),
        (None, Some(e)) => tracing::warn!(error = %e, "trace export is configured but could not start; traces are off"),
        (None, None) => {}
    }
    Telemetry(provider)
}

fn tracer() -> Result<Option<(opentelemetry_sdk::trace::Tracer, SdkTracerProvider)>, String> {
    if !env_set("OTEL_EXPORTER_OTLP_ENDPOINT") && !env_set("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") {
        return Ok(None);
    }
    let exporter = opentelemetry_otlp::SpanExporter::builder().with_http().build().map_err(|e| e.to_string())?;
    let name = std::env::var("OTEL_SERVICE_NAME").ok().filter(|n| !n.trim().is_empty());
    let resource =
        opentelemetry_sdk::Resource::builder().with_service_name(name.unwrap_or_else(|| "cppcc-api".into())).build();
    let provider = SdkTracerProvider::builder().with_batch_exporter(exporter).with_resource(resource).build();
    opentelemetry::global::set_text_map_propagator(opentelemetry_sdk::propagation::TraceContextPropagator::new());
    Ok(Some((provider.tracer("cppcc-api"), provider)))
}

/// The caller's trace context (`traceparent`, `tracestate`) as the request span's parent; a
/// no-op when traces are off (the default propagator extracts nothing).
pub fn continue_trace(span: &tracing::Span, headers: &poem::http::HeaderMap) {
    use tracing_opentelemetry::OpenTelemetrySpanExt;
    let parent = opentelemetry::global::get_text_map_propagator(|p| p.extract(&Headers(headers)));
    // Only an error when no trace layer is installed: nothing to continue then.
    let _ = span.set_parent(parent);
}

struct Headers<'a>(&'a poem::http::HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(poem::http::HeaderName::as_str).collect()
    }
}

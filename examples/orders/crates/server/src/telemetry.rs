//! Logs, traces and metrics. Logs go to stdout (pretty or JSON, filtered by `RUST_LOG`)
//! through a writer thread that writes them in batches, so that no request waits for the
//! terminal or the log pipe, and no line is ever dropped (see `log_writer`); traces and metrics are exported over OTLP
//! when a collector is configured, with the standard `OTEL_*` variables honoured.
//!
//! Exporting never slows a request down: spans wait in a bounded queue
//! (`OTEL_BSP_MAX_QUEUE_SIZE`, 2048) that a background thread sends in batches, and when the
//! collector cannot keep up or cannot be reached, new spans are dropped and counted (the count
//! is logged at exit). Metrics are aggregated in memory and sent every
//! `OTEL_METRIC_EXPORT_INTERVAL` (60 s). At exit, what is left is flushed for at most
//! `telemetry.flush_timeout`.

mod export;
mod json_format;
mod log_writer;
mod pool_metrics;

use std::time::Duration;

use anyhow::Context;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::metrics::SdkMeterProvider;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing::Subscriber;
use tracing::subscriber::Interest;
use tracing_subscriber::filter::{FilterExt as _, LevelFilter, dynamic_filter_fn, filter_fn};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

pub use pool_metrics::{PoolMetrics, observe_database_pool};

use crate::settings::{LogFormat, TelemetrySettings};

/// Keeps the export pipelines alive; call [`Telemetry::shutdown`] before exit to flush them.
#[derive(Debug)]
pub struct Telemetry {
    tracer_provider: Option<SdkTracerProvider>,
    meter_provider: Option<SdkMeterProvider>,
    flush_timeout: Duration,
    /// Dropped last, at exit: the lines still queued are written first.
    log_writer: log_writer::LogWriterGuard,
}

/// Installs the global subscriber, and the global meter provider when exporting. Must run
/// inside the tokio runtime (the gRPC exporter spawns onto it), and before the API is built
/// (its instruments come from the global meter provider).
pub fn init(settings: &TelemetrySettings, environment: &str) -> anyhow::Result<Telemetry> {
    // `RUST_LOG` (or `telemetry.log_filter`) filters both the log and the traces: each layer
    // gets its own copy, joined with what that layer keeps, so that a callsite neither layer
    // keeps is turned off where it is and its spans are never built (a span built for nothing
    // cost a read by id about 550 instructions to create, and more to enter, leave and close:
    // `docs/profiles.md`, stop 27).
    let log_filter = env_filter(settings)?;
    let log_level = log_filter.max_level_hint().unwrap_or(LevelFilter::TRACE);
    let (writer, log_writer) = log_writer::start(settings.log_buffer_lines)
        .context("cannot start the log writer thread")?;
    // Every line inside a request carries its request id, and the spans beneath it (use
    // cases, database calls) are for traces: formatting their fields for the log on every
    // request cost more than the access line. The JSON lines read the request from the task
    // (`api::with_logged_request`) and keep no span, so that in production the request span
    // is never built (4 000 instructions a request, `docs/profiles.md`, stop 29); the pretty
    // lines list the request span, as tracing's own format does.
    let log_keeps_span = log_keeps_span(settings.log_format);
    let log_filter = log_filter.and(filter_fn(move |metadata| {
        !metadata.is_span() || log_keeps_span(metadata)
    }));
    let fmt_layer = match settings.log_format {
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .with_writer(writer)
            .event_format(json_format::JsonLines)
            .fmt_fields(json_format::JsonFields)
            .with_filter(log_filter)
            .boxed(),
        LogFormat::Pretty => tracing_subscriber::fmt::layer()
            .with_writer(writer)
            .compact()
            .with_filter(log_filter)
            .boxed(),
    };

    let pipelines = export::Pipelines::build_below_requests(settings, environment)?;
    let (tracer_provider, meter_provider) = match pipelines {
        Some(export::Pipelines {
            tracer_provider,
            meter_provider,
        }) => {
            opentelemetry::global::set_meter_provider(meter_provider.clone());
            // The API starts each request's span through the global tracer.
            opentelemetry::global::set_tracer_provider(tracer_provider.clone());
            (Some(tracer_provider), Some(meter_provider))
        }
        None => (None, None),
    };
    let subscriber = tracing_subscriber::registry().with(fmt_layer);
    let installed = match &tracer_provider {
        // Not `.with(None::<Layer>)`: an absent layer counts as one that wants every span, and
        // every span the log leaves out would still be built.
        None => subscriber.try_init(),
        Some(provider) => subscriber
            .with(trace_layer(provider, settings)?)
            .with(spans_some_layer_keeps(log_level, log_keeps_span))
            .try_init(),
    };
    installed.context("a global tracing subscriber is already installed")?;
    Ok(Telemetry {
        tracer_provider,
        meter_provider,
        flush_timeout: settings.flush_timeout,
        log_writer,
    })
}

/// The layer that turns spans into OpenTelemetry spans, and events into their events.
fn trace_layer<S>(
    provider: &SdkTracerProvider,
    settings: &TelemetrySettings,
) -> anyhow::Result<impl Layer<S> + use<S>>
where
    S: Subscriber + for<'span> LookupSpan<'span>,
{
    Ok(tracing_opentelemetry::layer()
        .with_tracer(provider.tracer(settings.service_name.clone()))
        // Every exported span would pay for these: the thread's name copied into a new
        // `String` (always a tokio worker's), and a clock read on every poll for busy/idle
        // times.
        .with_threads(false)
        .with_tracked_inactivity(false)
        // Nor the callsite's module, file and line as four attributes of every span: the span
        // names say where (`get_order`, `db.orders.find`), and converting and encoding the
        // four cost a sampled read by id 9 000 instructions (`docs/profiles.md`, stop 29).
        // Turn `with_location` back on where a trace viewer links spans to source.
        .with_target(false)
        .with_location(false)
        // Nor is the span's OpenTelemetry context made the thread's current one on every
        // poll of every instrumented future (a thread-local stack push and pop, 8 800
        // instructions per read by id with export on: `docs/profiles.md`, stop 26). Spans
        // still nest through tracing's own tree, under the request span's exported half,
        // which the API makes the handler's current context in a sampled request. Code that
        // injects the trace into an outgoing call inside a use case takes it from the tracing
        // span (`tracing::Span::current().context()`, from
        // `tracing_opentelemetry::OpenTelemetrySpanExt`).
        .with_context_activation(false)
        // Events pass: inside a span they become its events. Inside a request whose trace is
        // not sampled nothing passes: its spans and events would never be exported
        // (`api::trace_is_sampled`).
        // The sampling decision first: a task-local read that turns away most events (those
        // of unsampled requests, the access line) before `RUST_LOG`'s directives are matched.
        .with_filter(
            dynamic_filter_fn(|metadata, _| reaches_traces(metadata) && api::trace_is_sampled())
                .with_callsite_filter(|metadata| {
                    if reaches_traces(metadata) {
                        Interest::sometimes()
                    } else {
                        Interest::never()
                    }
                })
                .and(env_filter(settings)?),
        ))
}

/// Which spans the log lists: none in JSON (a line inside a request reads the request from
/// the task), the request span in the pretty format.
fn log_keeps_span(format: LogFormat) -> fn(&tracing::Metadata<'_>) -> bool {
    match format {
        LogFormat::Json => |_| false,
        LogFormat::Pretty => |metadata| metadata.name() == api::REQUEST_SPAN_NAME,
    }
}

/// In front of both layers, when exporting: a span is built only when a layer keeps it, the
/// log (`log_keeps_span`) or the traces (inside a sampled request, or outside any request).
/// The layers' own filters cannot stop the registry from building a span: a per-layer filter
/// that decides per request (`trace_is_sampled`), not per callsite, left the use-case and
/// database spans of every unsampled request built, entered, left and closed, 6 000
/// instructions of a read by id (`docs/profiles.md`, stop 27), and this filter in front,
/// saying yes to the request span for the log, had the JSON log's (which lists no span) built
/// anyway, 2 400 more (stop 29). A "no" here does stop it. Events always pass, for the log.
fn spans_some_layer_keeps<S>(
    log_level: LevelFilter,
    log_keeps_span: fn(&tracing::Metadata<'_>) -> bool,
) -> impl Layer<S>
where
    S: Subscriber,
{
    dynamic_filter_fn(move |metadata, _| {
        !metadata.is_span()
            || log_keeps_span(metadata)
            || (reaches_traces(metadata) && api::trace_is_sampled())
    })
    .with_callsite_filter(move |metadata| {
        if !metadata.is_span() || log_keeps_span(metadata) {
            Interest::always()
        } else if reaches_traces(metadata) {
            Interest::sometimes()
        } else {
            Interest::never()
        }
    })
    // It only takes away: nothing finer than the layers' own filters ask for gets through,
    // which keeps `log` records and disabled levels cheap.
    .with_max_level_hint(log_level)
}

/// `RUST_LOG`, else `telemetry.log_filter`: which targets and levels the log and the traces
/// see.
fn env_filter(settings: &TelemetrySettings) -> anyhow::Result<EnvFilter> {
    EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&settings.log_filter))
        .with_context(|| {
            format!(
                "telemetry.log_filter `{}` is not a valid filter",
                settings.log_filter
            )
        })
}

/// Whether spans and events of this callsite reach the OpenTelemetry layer at all (inside a
/// sampled request): every event, the spans of [`is_exported`] targets. Not the request span:
/// the API starts its exported half itself (`api::REQUEST_SPAN_NAME`).
fn reaches_traces(metadata: &tracing::Metadata<'_>) -> bool {
    !metadata.is_span()
        || (is_exported(metadata.target()) && metadata.name() != api::REQUEST_SPAN_NAME)
}

/// Which spans become OpenTelemetry spans. Not poem's request-id span: it is an unnamed
/// span around each request, for log lines; exported, it would be a nameless root above the
/// request span (the request span carries the id instead). Not the exporter's own HTTP/2
/// and gRPC client either, whose spans (at debug level) would report on every export.
fn is_exported(target: &str) -> bool {
    const NOT_EXPORTED: [&str; 7] = [
        "poem::",
        "h2",
        "hyper",
        "tonic",
        "tower",
        "reqwest",
        "opentelemetry",
    ];
    !NOT_EXPORTED.iter().any(|prefix| target.starts_with(prefix))
}

impl Telemetry {
    /// Flushes and stops the exporters, waiting at most `telemetry.flush_timeout`: an
    /// unreachable collector delays the exit by that much, never more. Flushing blocks, so it
    /// runs off the async workers. Then the log lines still queued are written.
    pub async fn shutdown(self) {
        let Self {
            tracer_provider,
            meter_provider,
            flush_timeout,
            log_writer,
        } = self;
        if tracer_provider.is_some() || meter_provider.is_some() {
            flush_exports(tracer_provider, meter_provider, flush_timeout).await;
        }
        log_writer.flush().await;
    }
}

async fn flush_exports(
    tracer_provider: Option<SdkTracerProvider>,
    meter_provider: Option<SdkMeterProvider>,
    flush_timeout: Duration,
) {
    let flush = tokio::task::spawn_blocking(move || {
        let mut failures = Vec::new();
        if let Some(provider) = tracer_provider
            && let Err(err) = provider.shutdown_with_timeout(flush_timeout)
        {
            failures.push(format!("traces: {err}"));
        }
        if let Some(provider) = meter_provider
            && let Err(err) = provider.shutdown_with_timeout(flush_timeout)
        {
            failures.push(format!("metrics: {err}"));
        }
        failures
    });
    match tokio::time::timeout(flush_timeout, flush).await {
        Ok(Ok(failures)) if failures.is_empty() => {}
        Ok(Ok(failures)) => tracing::warn!(
            failures = failures.join("; "),
            "telemetry: the last traces or metrics could not be sent"
        ),
        Ok(Err(err)) => tracing::warn!(error = %err, "telemetry: flushing failed"),
        Err(_elapsed) => tracing::warn!(
            timeout = ?flush_timeout,
            "telemetry: the collector did not take the last traces and metrics in time; they are lost"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inside_an_unsampled_request_the_spans_of_use_cases_are_not_built() {
        use tracing_subscriber::registry::Registry;

        let settings = TelemetrySettings::default();
        let provider = SdkTracerProvider::builder().build();
        for format in [LogFormat::Json, LogFormat::Pretty] {
            let subscriber = tracing_subscriber::registry()
                .with(trace_layer::<Registry>(&provider, &settings).unwrap())
                .with(spans_some_layer_keeps(
                    LevelFilter::TRACE,
                    log_keeps_span(format),
                ));
            tracing::subscriber::with_default(subscriber, || {
                let built = |sampled| {
                    api::with_trace_sampled(sampled, || {
                        !tracing::info_span!("get_order").is_disabled()
                    })
                };
                assert!(built(true), "sampled: the use case's span is built");
                assert!(!built(false), "unsampled: it is not");
                assert!(
                    !tracing::info_span!("start_up").is_disabled(),
                    "outside a request, spans are built"
                );
                assert_eq!(
                    !tracing::info_span!(api::REQUEST_SPAN_NAME).is_disabled(),
                    format == LogFormat::Pretty,
                    "the request span is built only for the log that lists it ({format:?})"
                );
            });
        }
    }

    #[test]
    fn the_exporters_own_spans_and_the_request_id_span_stay_out_of_traces() {
        for target in [
            "poem::middleware::request_id",
            "h2::proto",
            "tonic::transport",
            "hyper_util::client",
        ] {
            assert!(!is_exported(target), "{target}");
        }
        for target in [
            "api::health",
            "domain::order::service",
            "persistence::order::repository",
        ] {
            assert!(is_exported(target), "{target}");
        }
    }
}

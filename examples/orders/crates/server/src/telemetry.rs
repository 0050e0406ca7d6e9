//! Logs and traces. Logs go to stdout (pretty or JSON, filtered by `RUST_LOG`); traces are
//! exported over OTLP/gRPC when a collector is configured, with the standard `OTEL_*`
//! variables honoured by the exporter.

use anyhow::Context;
use opentelemetry::KeyValue;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{SpanExporter, WithExportConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::settings::{LogFormat, TelemetrySettings};

/// Keeps the trace pipeline alive; call [`Telemetry::shutdown`] before exit to flush it.
#[derive(Debug)]
pub struct Telemetry {
    tracer_provider: Option<SdkTracerProvider>,
}

/// Installs the global subscriber. Must run inside the tokio runtime (the OTLP exporter
/// spawns onto it).
pub fn init(settings: &TelemetrySettings, environment: &str) -> anyhow::Result<Telemetry> {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&settings.log_filter))
        .with_context(|| {
            format!(
                "telemetry.log_filter `{}` is not a valid filter",
                settings.log_filter
            )
        })?;
    let fmt_layer = match settings.log_format {
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .boxed(),
        LogFormat::Pretty => tracing_subscriber::fmt::layer().compact().boxed(),
    };

    let endpoint = settings
        .otlp_endpoint
        .clone()
        .or_else(|| std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT").ok());
    let tracer_provider = endpoint
        .map(|endpoint| tracer_provider(&endpoint, settings, environment))
        .transpose()?;
    let otel_layer = tracer_provider.as_ref().map(|provider| {
        tracing_opentelemetry::layer().with_tracer(provider.tracer(settings.service_name.clone()))
    });

    tracing_subscriber::registry()
        .with(filter)
        .with(fmt_layer)
        .with(otel_layer)
        .try_init()
        .context("a global tracing subscriber is already installed")?;
    Ok(Telemetry { tracer_provider })
}

fn tracer_provider(
    endpoint: &str,
    settings: &TelemetrySettings,
    environment: &str,
) -> anyhow::Result<SdkTracerProvider> {
    let exporter = SpanExporter::builder()
        .with_tonic()
        .with_endpoint(endpoint)
        .build()
        .with_context(|| format!("cannot build the OTLP exporter for `{endpoint}`"))?;
    let mut resource = Resource::builder().with_attributes([
        KeyValue::new("service.version", env!("CARGO_PKG_VERSION")),
        KeyValue::new("deployment.environment", environment.to_owned()),
    ]);
    // OTEL_SERVICE_NAME, when set, wins over the configured name.
    if std::env::var_os("OTEL_SERVICE_NAME").is_none() {
        resource = resource.with_service_name(settings.service_name.clone());
    }
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource.build())
        .build())
}

impl Telemetry {
    /// Flushes and stops the trace exporter. Blocking, so it runs off the async workers.
    pub async fn shutdown(self) {
        if let Some(provider) = self.tracer_provider {
            let flushed = tokio::task::spawn_blocking(move || provider.shutdown()).await;
            if let Ok(Err(err)) = flushed {
                eprintln!("telemetry: flushing traces failed: {err}");
            }
        }
    }
}

//! The OTLP pipelines: where to send (`telemetry.otlp_endpoint` or
//! `OTEL_EXPORTER_OTLP_ENDPOINT`), how (`grpc` or `http/protobuf`), which traces (the sampler),
//! and the resource that says who is sending.

use anyhow::{Context, bail};
use opentelemetry::KeyValue;
use opentelemetry_otlp::{MetricExporter, SpanExporter, WithExportConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::metrics::SdkMeterProvider;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider};

use crate::settings::{OtlpProtocol, TelemetrySettings};

/// The two export pipelines, present only when a collector is configured.
pub(super) struct Pipelines {
    pub tracer_provider: SdkTracerProvider,
    pub meter_provider: SdkMeterProvider,
}

impl Pipelines {
    /// Builds the pipelines on a short-lived thread of their own at the lowest CPU priority
    /// (nice 19), which the threads they start inherit: the batch span processor, the metric
    /// reader and the OTLP/HTTP client's runtime. Their work comes in bursts (a batch of 512
    /// spans converted and encoded at once, about a millisecond of one core at 50 000
    /// requests a second and one in ten sampled), and at normal priority each burst took a
    /// core from the request workers: the slowest requests were those that met one. Below
    /// them, the exporters run when a core is free, and a queue that fills while they wait
    /// drops spans and counts them, as it does for a slow collector. Measured on readiness
    /// with one trace in ten, four rounds alternating the builds (the template repository's
    /// `docs/benchmarks.md`, stop 30): p99 1.18× export off at normal priority, 1.08× below.
    /// The tokio workers keep their priority (with gRPC, the exporter's own I/O runs on them).
    pub fn build_below_requests(
        settings: &TelemetrySettings,
        environment: &str,
    ) -> anyhow::Result<Option<Self>> {
        let runtime = tokio::runtime::Handle::try_current()
            .context("the OTLP pipelines are built inside the tokio runtime")?;
        std::thread::scope(|scope| {
            std::thread::Builder::new()
                .name("otlp-setup".to_owned())
                .spawn_scoped(scope, || {
                    let _runtime = runtime.enter();
                    lower_this_threads_priority();
                    Self::build(settings, environment)
                })
                .context("cannot start the thread that builds the OTLP pipelines")?
                .join()
                .map_err(|_| anyhow::anyhow!("building the OTLP pipelines panicked"))?
        })
    }

    fn build(settings: &TelemetrySettings, environment: &str) -> anyhow::Result<Option<Self>> {
        let Some(endpoint) = settings
            .otlp_endpoint
            .clone()
            .or_else(|| std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT").ok())
        else {
            return Ok(None);
        };
        let protocol = protocol(
            settings.otlp_protocol,
            std::env::var("OTEL_EXPORTER_OTLP_PROTOCOL").ok(),
        )?;
        let resource = resource(settings, environment);

        let span_exporter = match protocol {
            OtlpProtocol::Grpc => SpanExporter::builder()
                .with_tonic()
                .with_endpoint(&endpoint)
                .build(),
            OtlpProtocol::HttpProtobuf => SpanExporter::builder()
                .with_http()
                .with_endpoint(signal_url(&endpoint, "traces"))
                .build(),
        }
        .with_context(|| format!("cannot build the OTLP trace exporter for `{endpoint}`"))?;
        let mut tracer_provider = SdkTracerProvider::builder()
            .with_batch_exporter(span_exporter)
            .with_resource(resource.clone());
        // OTEL_TRACES_SAMPLER, when set, is read by the SDK and wins over the setting.
        if std::env::var_os("OTEL_TRACES_SAMPLER").is_none() {
            tracer_provider = tracer_provider.with_sampler(sampler(settings));
        }

        let metric_exporter = match protocol {
            OtlpProtocol::Grpc => MetricExporter::builder()
                .with_tonic()
                .with_endpoint(&endpoint)
                .build(),
            OtlpProtocol::HttpProtobuf => MetricExporter::builder()
                .with_http()
                .with_endpoint(signal_url(&endpoint, "metrics"))
                .build(),
        }
        .with_context(|| format!("cannot build the OTLP metric exporter for `{endpoint}`"))?;
        let meter_provider = SdkMeterProvider::builder()
            .with_periodic_exporter(metric_exporter)
            .with_resource(resource)
            .build();

        opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
        Ok(Some(Self {
            tracer_provider: tracer_provider.build(),
            meter_provider,
        }))
    }
}

/// The calling thread, and the threads it starts from now on, run at the lowest priority. On
/// Linux the nice value is a thread's own and new threads inherit it. Where it cannot be set
/// (another system, or a sandbox that forbids it), export runs at normal priority.
fn lower_this_threads_priority() {
    #[cfg(target_os = "linux")]
    if let Err(err) = rustix::process::setpriority_process(None, LOWEST_PRIORITY) {
        tracing::debug!(error = %err, "telemetry: the export threads keep normal priority");
    }
}

/// The highest nice value: the least CPU when the cores are contended.
#[cfg(target_os = "linux")]
const LOWEST_PRIORITY: i32 = 19;

/// `telemetry.trace_sample_ratio` decides from the trace id, whatever the caller's
/// `traceparent` says, unless `telemetry.trust_inbound_sampling` lets the caller's sampled
/// flag decide. Either way a request continues its caller's trace id, and every span of one
/// trace gets the same decision.
fn sampler(settings: &TelemetrySettings) -> Sampler {
    let by_trace_id = Sampler::TraceIdRatioBased(settings.trace_sample_ratio);
    if settings.trust_inbound_sampling {
        Sampler::ParentBased(Box::new(by_trace_id))
    } else {
        by_trace_id
    }
}

/// The setting wins, then `OTEL_EXPORTER_OTLP_PROTOCOL`, then gRPC.
fn protocol(
    configured: Option<OtlpProtocol>,
    from_env: Option<String>,
) -> anyhow::Result<OtlpProtocol> {
    if let Some(protocol) = configured {
        return Ok(protocol);
    }
    match from_env.as_deref() {
        None | Some("grpc") => Ok(OtlpProtocol::Grpc),
        Some("http/protobuf") => Ok(OtlpProtocol::HttpProtobuf),
        Some(other) => bail!(
            "OTEL_EXPORTER_OTLP_PROTOCOL (from the environment) is `{other}`: expected grpc or http/protobuf"
        ),
    }
}

/// OTLP/HTTP sends each signal to its own path under the base endpoint.
fn signal_url(endpoint: &str, signal: &str) -> String {
    format!("{}/v1/{signal}", endpoint.trim_end_matches('/'))
}

/// `service.name`, `service.version` and `deployment.environment`, plus whatever
/// `OTEL_RESOURCE_ATTRIBUTES` adds.
fn resource(settings: &TelemetrySettings, environment: &str) -> Resource {
    let mut resource = Resource::builder().with_attributes([
        KeyValue::new("service.version", env!("CARGO_PKG_VERSION")),
        KeyValue::new("deployment.environment", environment.to_owned()),
    ]);
    // OTEL_SERVICE_NAME, when set, wins over the configured name.
    if std::env::var_os("OTEL_SERVICE_NAME").is_none() {
        resource = resource.with_service_name(settings.service_name.clone());
    }
    resource.build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_setting_wins_over_the_variable_and_grpc_is_the_default() {
        let from = |configured, env: Option<&str>| protocol(configured, env.map(str::to_owned));
        assert_eq!(from(None, None).unwrap(), OtlpProtocol::Grpc);
        assert_eq!(
            from(None, Some("http/protobuf")).unwrap(),
            OtlpProtocol::HttpProtobuf
        );
        assert_eq!(
            from(Some(OtlpProtocol::Grpc), Some("http/protobuf")).unwrap(),
            OtlpProtocol::Grpc
        );
        let err = from(None, Some("http/json")).unwrap_err().to_string();
        assert!(
            err.contains("OTEL_EXPORTER_OTLP_PROTOCOL") && err.contains("http/json"),
            "{err}"
        );
    }

    #[test]
    fn each_signal_has_its_path() {
        assert_eq!(
            signal_url("http://collector:4318", "traces"),
            "http://collector:4318/v1/traces"
        );
        assert_eq!(
            signal_url("http://collector:4318/", "metrics"),
            "http://collector:4318/v1/metrics"
        );
    }
}

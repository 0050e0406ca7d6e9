//! The request id, the request span, the access log and the HTTP metrics: the outermost layer,
//! in one future since each layer costs every request. Every request gets its id (see
//! `request_id`) and one `HTTP request` span
//! (OpenTelemetry `server` kind) that continues the caller's trace when a W3C `traceparent`
//! header came in, and is the parent of everything the handler does: use cases, database
//! calls. When the response is ready, the span records the route and status, and one access
//! log line is written with the trace id, so a log line leads to its trace; its duration is
//! recorded in the `http.server.request.duration` histogram (see `metrics`).

use std::sync::Arc;
use std::time::Instant;

use opentelemetry::trace::{Status, TraceContextExt as _};
use opentelemetry_http::HeaderExtractor;
use poem::http::HeaderValue;
use poem::{Endpoint, PathPattern, Request, Response};
use poem_openapi::OperationId;
use tracing::Instrument as _;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

use crate::metrics::HttpMetrics;
use crate::middleware::call_next;
use crate::request_id::{REQUEST_ID_HEADER, RequestId};

tokio::task_local! {
    /// Whether the trace of the request this task handles is sampled: set for the handler's
    /// future once the request span has started.
    static TRACE_SAMPLED: bool;
}

/// Whether the request this task handles is in a sampled trace, one whose spans are exported;
/// `true` outside a request (start-up, background tasks), where nothing says otherwise.
///
/// The sampler decides once per request, when the request span starts. The OpenTelemetry
/// layer's filter (the server's `telemetry`) asks this, so that the spans of the use cases and
/// the database in a request that is not sampled (nine in ten at the production default) are
/// never built: they would cost every request and never be exported.
pub fn trace_is_sampled() -> bool {
    TRACE_SAMPLED.try_with(|sampled| *sampled).unwrap_or(true)
}

/// Runs `work` as part of a trace whose sampling decision is `sampled`, as the handler of a
/// request runs: inside, [`trace_is_sampled`] answers `sampled`. For work that starts its own
/// trace outside the HTTP stack, and for tests of what follows the decision.
pub fn with_trace_sampled<R>(sampled: bool, work: impl FnOnce() -> R) -> R {
    TRACE_SAMPLED.sync_scope(sampled, work)
}

/// The name of every request's span: in traces, the root of the service's part of a trace; in
/// the log, the one span whose fields (the request id) every line inside a request carries.
pub const REQUEST_SPAN_NAME: &str = "HTTP request";

/// Gives the request its id, runs it inside its span, then logs it and echoes the id in the
/// response. Errors become responses here so that the span and the log see the status the
/// client gets.
pub(crate) async fn traced<E: Endpoint>(
    endpoint: Arc<E>,
    mut request: Request,
    metrics: &HttpMetrics,
) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let _in_flight = metrics.started(&method);
    let request_id_data = RequestId::for_request(&request);
    let request_id_header = HeaderValue::from_str(request_id_data.as_str()).ok();
    request.set_data(request_id_data.clone());
    let request_id = request_id_data.as_str();
    // Attribute names follow the OpenTelemetry HTTP semantic conventions; `otel.kind` is read
    // by tracing-opentelemetry. The name stays `HTTP request`: the route is known only after
    // routing, and a span's name is fixed once it has started. What is known only at the end
    // (route, status) goes to the exported span alone (`set_attribute`), not through
    // `Span::record`, which makes the JSON log layer parse and rewrite the span's fields.
    let span = tracing::info_span!(
        REQUEST_SPAN_NAME,
        otel.kind = "server",
        http.request.method = method.as_str(),
        request_id,
    );
    // The caller's trace context, through the globally configured propagator (W3C trace
    // context; a no-op when tracing is not exported). Must be set before the span starts.
    let caller = opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.extract(&HeaderExtractor(request.headers()))
    });
    if let Err(err) = span.set_parent(caller) {
        // Expected when no OpenTelemetry layer is installed (no collector configured).
        tracing::trace!(error = %err, "the request span has no OpenTelemetry parent");
    }

    // Starting the exported span here runs the sampler: its decision is what the spans inside
    // the request follow (`trace_is_sampled`).
    let (trace_id, sampled) = {
        let context = span.context();
        let exported = context.span();
        let span_context = exported.span_context();
        (span_context.trace_id(), span_context.is_sampled())
    };

    let handled = call_next(endpoint.as_ref(), request).instrument(span.clone());
    let mut response = match TRACE_SAMPLED.scope(sampled, handled).await {
        Ok(response) => response,
        Err(err) => err.into_response(),
    };

    // The route template (`/api/v1/orders/:id`), never the raw path: bounded cardinality and
    // no identifiers in span names.
    let route = response
        .data::<PathPattern>()
        .map(|pattern| Arc::clone(&pattern.0));
    let status = response.status();
    // Only an exported span keeps attributes: for the others (nine in ten at the production
    // default) each would be a registry lookup for nothing.
    if sampled {
        if let Some(route) = &route {
            span.set_attribute("http.route", Arc::clone(route));
        }
        span.set_attribute("http.response.status_code", i64::from(status.as_u16()));
        if status.is_server_error() {
            span.set_status(Status::error(""));
        }
    }
    let trace_id = TraceIdField(trace_id);
    let elapsed = started.elapsed();
    let route_field = route.as_deref().unwrap_or("-");
    let operation = response
        .data::<OperationId>()
        .map_or("-", |operation| operation.0);
    tracing::info!(
        http.method = method.as_str(),
        http.route = route_field,
        operation,
        http.status = status.as_u16(),
        latency_ms = elapsed.as_secs_f64() * 1000.0,
        request_id,
        trace_id = %trace_id,
        "request"
    );
    metrics.finished(&method, route, status.as_u16(), elapsed);
    if let Some(header) = request_id_header {
        response.headers_mut().insert(REQUEST_ID_HEADER, header);
    }
    response
}

/// The trace id as the log shows it: 32 hex digits, or `-` outside any trace; written
/// straight into the line, without a `String` of its own.
struct TraceIdField(opentelemetry::trace::TraceId);

impl std::fmt::Display for TraceIdField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0 == opentelemetry::trace::TraceId::INVALID {
            return f.write_str("-");
        }
        // The digits from a table: the formatter's `{:032x}` of a `u128` cost 750
        // instructions on every access line.
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut hex = [0u8; 32];
        for (pair, byte) in hex.chunks_exact_mut(2).zip(self.0.to_bytes()) {
            pair[0] = DIGITS[usize::from(byte >> 4)];
            pair[1] = DIGITS[usize::from(byte & 0x0f)];
        }
        f.write_str(std::str::from_utf8(&hex).map_err(|_| std::fmt::Error)?)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use opentelemetry::trace::TracerProvider as _;
    use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider};
    use poem::endpoint::make_sync;
    use tracing_subscriber::layer::SubscriberExt as _;

    use super::*;

    /// What `trace_is_sampled` says inside a request's handler, under a tracer with `sampler`.
    fn seen_by_the_handler(sampler: Sampler) -> bool {
        let provider = SdkTracerProvider::builder().with_sampler(sampler).build();
        let subscriber = tracing_subscriber::registry()
            .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")));
        let seen = Arc::new(Mutex::new(None));
        let handler_seen = Arc::clone(&seen);
        let endpoint = Arc::new(make_sync(move |_| {
            *handler_seen
                .lock()
                .unwrap_or_else(|poison| poison.into_inner()) = Some(trace_is_sampled());
            "ok"
        }));
        tracing::subscriber::with_default(subscriber, || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap_or_else(|err| panic!("{err}"));
            runtime.block_on(traced(endpoint, Request::default(), &HttpMetrics::new()));
        });
        let seen = *seen.lock().unwrap_or_else(|poison| poison.into_inner());
        seen.unwrap_or_else(|| panic!("the handler did not run"))
    }

    #[test]
    fn the_handler_knows_whether_its_trace_is_sampled() {
        assert!(seen_by_the_handler(Sampler::AlwaysOn));
        assert!(!seen_by_the_handler(Sampler::AlwaysOff));
    }

    #[test]
    fn the_trace_id_is_written_as_the_standard_writes_it() {
        use opentelemetry::trace::TraceId;
        for id in [
            TraceId::from(1),
            TraceId::from(0x0af7_6519_16cd_43dd_8448_eb21_1c80_319c),
            TraceId::from(u128::MAX),
        ] {
            assert_eq!(TraceIdField(id).to_string(), id.to_string());
        }
        assert_eq!(TraceIdField(TraceId::INVALID).to_string(), "-");
    }

    #[test]
    fn outside_a_request_spans_are_built() {
        assert!(trace_is_sampled());
    }
}

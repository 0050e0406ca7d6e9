//! The request span, the access log and the HTTP metrics. Every request gets one `HTTP request` span
//! (OpenTelemetry `server` kind) that continues the caller's trace when a W3C `traceparent`
//! header came in, and is the parent of everything the handler does: use cases, database
//! calls. When the response is ready, the span records the route and status, and one access
//! log line is written with the trace id, so a log line leads to its trace; its duration is
//! recorded in the `http.server.request.duration` histogram (see `metrics`).

use std::sync::Arc;
use std::time::Instant;

use opentelemetry::trace::TraceContextExt as _;
use opentelemetry_http::HeaderExtractor;
use poem::{Endpoint, IntoResponse, PathPattern, Request, Response};
use poem_openapi::OperationId;
use tracing::Instrument as _;
use tracing::field::Empty;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

use crate::metrics::HttpMetrics;
use crate::request_id::RequestId;

/// Runs the request inside its span, then logs it. Errors become responses here so that the
/// span and the log see the status the client gets.
pub(crate) async fn traced<E: Endpoint>(
    endpoint: Arc<E>,
    request: Request,
    metrics: HttpMetrics,
) -> poem::Result<Response> {
    let started = Instant::now();
    let method = request.method().clone();
    let _in_flight = metrics.started(&method);
    let request_id = request
        .data::<RequestId>()
        .map_or_else(|| "-".to_owned(), ToString::to_string);
    // Field names follow the OpenTelemetry HTTP semantic conventions; `otel.*` fields are
    // read by tracing-opentelemetry (span kind, status). The name stays `HTTP request`: the
    // route is known only after routing, and a span's name is fixed once it has started.
    let span = tracing::info_span!(
        "HTTP request",
        otel.kind = "server",
        otel.status_code = Empty,
        http.request.method = %method,
        http.route = Empty,
        http.response.status_code = Empty,
        request_id = %request_id,
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

    let response = match endpoint.call(request).instrument(span.clone()).await {
        Ok(response) => response.into_response(),
        Err(err) => err.into_response(),
    };

    // The route template (`/api/v1/orders/:id`), never the raw path: bounded cardinality and
    // no identifiers in span names.
    let route = response
        .data::<PathPattern>()
        .map(|pattern| pattern.0.to_string());
    let status = response.status();
    if let Some(route) = &route {
        span.record("http.route", route.as_str());
    }
    // As i64: tracing-opentelemetry exports unsigned integers as strings.
    span.record("http.response.status_code", i64::from(status.as_u16()));
    if status.is_server_error() {
        span.record("otel.status_code", "error");
    }
    let trace_id = span.context().span().span_context().trace_id();
    let trace_id = if trace_id == opentelemetry::trace::TraceId::INVALID {
        "-".to_owned()
    } else {
        trace_id.to_string()
    };
    let elapsed = started.elapsed();
    metrics.finished(&method, route.as_deref(), status.as_u16(), elapsed);
    let operation = response
        .data::<OperationId>()
        .map_or("-", |operation| operation.0);
    tracing::info!(
        http.method = %method,
        http.route = route.as_deref().unwrap_or("-"),
        operation,
        http.status = status.as_u16(),
        latency_ms = elapsed.as_secs_f64() * 1000.0,
        request_id,
        trace_id,
        "request"
    );
    Ok(response)
}

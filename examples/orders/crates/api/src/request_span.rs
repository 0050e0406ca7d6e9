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

    let mut response = match call_next(endpoint.as_ref(), request)
        .instrument(span.clone())
        .await
    {
        Ok(response) => response,
        Err(err) => err.into_response(),
    };

    // The route template (`/api/v1/orders/:id`), never the raw path: bounded cardinality and
    // no identifiers in span names.
    let route = response
        .data::<PathPattern>()
        .map(|pattern| Arc::clone(&pattern.0));
    let status = response.status();
    if let Some(route) = &route {
        span.set_attribute("http.route", Arc::clone(route));
    }
    span.set_attribute("http.response.status_code", i64::from(status.as_u16()));
    if status.is_server_error() {
        span.set_status(Status::error(""));
    }
    let trace_id = span.context().span().span_context().trace_id();
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
            f.write_str("-")
        } else {
            std::fmt::Display::fmt(&self.0, f)
        }
    }
}

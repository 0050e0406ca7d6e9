//! The request id, the request span, the access log and the HTTP metrics: the outermost layer,
//! in one future since each layer costs every request. Every request gets its id (see
//! `request_id`) and one `HTTP request` span (OpenTelemetry `server` kind) that continues the
//! caller's trace when a W3C `traceparent` header came in, and is the parent of everything the
//! handler does: use cases, database calls. When the response is ready, the span records the
//! route and status, and one access log line is written with the trace id, so a log line
//! leads to its trace; its duration is recorded in the `http.server.request.duration`
//! histogram (see `metrics`).
//!
//! The request span has two halves, and the log reads a third thing. The log's JSON lines
//! read the request's method and id from the task ([`with_logged_request`]), so that each line
//! inside the request carries its id without a span: a `tracing` span for it was created,
//! entered and left on each of the handler's polls, and closed, through the registry and
//! every layer's filter, about 4 000 instructions a request (`docs/profiles.md`, stop 29). The
//! `tracing` request span is still opened for the pretty (development) log, which lists it;
//! the JSON log's filter turns it away, so in production it is never built. The trace's is an
//! OpenTelemetry span started here through the OpenTelemetry API, whose sampler decides at once
//! whether the request's trace is recorded. Only a sampled request makes it the current
//! OpenTelemetry context of the handler, where the spans of its use cases find their parent.
//! Through the `tracing` bridge instead, every enter and leave of the request span on each of
//! the handler's polls (eight for a read by id) updated the exported span, also for the nine
//! requests in ten that are not recorded (`docs/profiles.md`, stop 27). The bridge still turns
//! the spans inside a sampled request into OpenTelemetry spans; events logged directly under
//! the request span, outside any use case, stay in the log only.

use std::sync::Arc;
use std::time::Instant;

use opentelemetry::context::FutureExt as _;
use opentelemetry::global::BoxedTracer;
use opentelemetry::trace::{SpanKind, Status, TraceContextExt as _, Tracer as _};
use opentelemetry::{Context, KeyValue};
use opentelemetry_http::HeaderExtractor;
use poem::http::{HeaderValue, Method};
use poem::{Endpoint, PathPattern, Request, Response};
use poem_openapi::OperationId;
use tracing::Instrument as _;

use crate::metrics::HttpMetrics;
use crate::middleware::call_next;
use crate::request_id::{REQUEST_ID_HEADER, RequestId};

tokio::task_local! {
    /// Whether the trace of the request this task handles is sampled: set for the handler's
    /// future once the request span has started.
    static TRACE_SAMPLED: bool;
    /// The request this task handles, as its log lines show it: set for the handler's future.
    static LOGGED_REQUEST: LoggedRequest;
}

/// What every log line inside a request says of it.
#[derive(Debug)]
pub struct LoggedRequest {
    method: Method,
    request_id: RequestId,
}

impl LoggedRequest {
    /// The request's method (`http.request.method`).
    pub fn method(&self) -> &str {
        self.method.as_str()
    }

    /// The request's id (`request_id`), as the response's `x-request-id` echoes it.
    pub fn request_id(&self) -> &str {
        self.request_id.as_str()
    }
}

/// Calls `read` with the request this task handles, when it handles one (`None` outside a
/// request's handler: start-up, background tasks, the access line itself).
pub fn with_logged_request<R>(read: impl FnOnce(&LoggedRequest) -> R) -> Option<R> {
    LOGGED_REQUEST.try_with(read).ok()
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

/// Runs `work`, whose events are for the log only, as the access line is (the trace has the
/// request span, with the same facts): the traces' layer turns them away at its filter
/// (`trace_is_sampled` is false inside) instead of looking for a span to attach them to, 800
/// instructions a request (`docs/profiles.md`, stop 29).
fn log_only<R>(work: impl FnOnce() -> R) -> R {
    TRACE_SAMPLED.sync_scope(false, work)
}

/// The name of every request's span: in traces, the root of the service's part of a trace; in
/// the log, the one span whose fields (the request id) every line inside a request carries.
pub const REQUEST_SPAN_NAME: &str = "HTTP request";

/// What the outermost layer records of every request: its metrics, and its trace through
/// the global tracer (installed before the API is built, like the meter).
#[derive(Debug)]
pub(crate) struct RequestTelemetry {
    metrics: HttpMetrics,
    tracer: BoxedTracer,
}

impl RequestTelemetry {
    pub(crate) fn new() -> Self {
        Self::with_tracer(opentelemetry::global::tracer("api"))
    }

    pub(crate) fn with_tracer(tracer: BoxedTracer) -> Self {
        Self {
            metrics: HttpMetrics::new(),
            tracer,
        }
    }
}

/// Gives the request its id, runs it inside its span, then logs it and echoes the id in the
/// response. Errors become responses here so that the span and the log see the status the
/// client gets.
pub(crate) async fn traced<E: Endpoint>(
    endpoint: &E,
    mut request: Request,
    telemetry: &RequestTelemetry,
) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let _in_flight = telemetry.metrics.started(&method);
    let request_id_data = RequestId::for_request(&request);
    let request_id_header = HeaderValue::from_str(request_id_data.as_str()).ok();
    request.set_data(request_id_data.clone());
    let request_id = request_id_data.as_str();

    // The trace's half: the caller's trace context, through the globally configured
    // propagator (W3C trace context; a no-op when tracing is not exported), continued by a
    // span whose sampler decides here, for the whole request (`trace_is_sampled`).
    let caller = opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.extract(&HeaderExtractor(request.headers()))
    });
    let exported = telemetry.tracer.build_with_context(
        telemetry
            .tracer
            .span_builder(REQUEST_SPAN_NAME)
            .with_kind(SpanKind::Server),
        &caller,
    );
    let trace = caller.with_span(exported);
    let (trace_id, sampled) = {
        let exported = trace.span();
        let span_context = exported.span_context();
        (span_context.trace_id(), span_context.is_sampled())
    };
    // The pretty log's half, never built when no layer keeps it (the JSON log reads
    // `LOGGED_REQUEST`). Attribute names follow the OpenTelemetry HTTP semantic conventions.
    let span = tracing::info_span!(
        REQUEST_SPAN_NAME,
        http.request.method = method.as_str(),
        request_id,
    );
    let logged = LoggedRequest {
        method: method.clone(),
        request_id: request_id_data.clone(),
    };

    let handled = LOGGED_REQUEST.scope(logged, call_next(endpoint, request).instrument(span));
    let outcome = if sampled {
        let exported = trace.span();
        exported.set_attribute(KeyValue::new(
            "http.request.method",
            method.as_str().to_owned(),
        ));
        exported.set_attribute(KeyValue::new("request_id", request_id.to_owned()));
        TRACE_SAMPLED
            .scope(true, handled.with_context(trace.clone()))
            .await
    } else {
        TRACE_SAMPLED.scope(false, handled).await
    };
    let mut response = match outcome {
        Ok(response) => response,
        Err(err) => err.into_response(),
    };

    // The route template (`/api/v1/orders/:id`), never the raw path: bounded cardinality and
    // no identifiers in span names.
    let route = response
        .data::<PathPattern>()
        .map(|pattern| Arc::clone(&pattern.0));
    let status = response.status();
    if sampled {
        end_exported_span(&trace, route.as_ref(), status.as_u16());
    }
    let trace_id = TraceIdField(trace_id);
    let elapsed = started.elapsed();
    let route_field = route.as_deref().unwrap_or("-");
    let operation = response
        .data::<OperationId>()
        .map_or("-", |operation| operation.0);
    log_only(|| {
        tracing::info!(
            http.method = method.as_str(),
            http.route = route_field,
            operation,
            http.status = status.as_u16(),
            latency_ms = elapsed.as_secs_f64() * 1000.0,
            request_id,
            trace_id = %trace_id,
            "request"
        )
    });
    telemetry
        .metrics
        .finished(&method, route, status.as_u16(), elapsed);
    if let Some(header) = request_id_header {
        response.headers_mut().insert(REQUEST_ID_HEADER, header);
    }
    response
}

/// Records what is known only at the end (route, status) on the exported span, and ends it.
fn end_exported_span(trace: &Context, route: Option<&Arc<str>>, status: u16) {
    let exported = trace.span();
    if let Some(route) = route {
        exported.set_attribute(KeyValue::new("http.route", Arc::clone(route)));
    }
    exported.set_attribute(KeyValue::new(
        "http.response.status_code",
        i64::from(status),
    ));
    if status >= 500 {
        exported.set_status(Status::error(""));
    }
    exported.end();
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

    use super::*;

    /// What `trace_is_sampled` says inside a request's handler, under a tracer with `sampler`.
    fn seen_by_the_handler(sampler: Sampler) -> bool {
        let provider = SdkTracerProvider::builder().with_sampler(sampler).build();
        let telemetry =
            RequestTelemetry::with_tracer(BoxedTracer::new(Box::new(provider.tracer("test"))));
        let seen = Arc::new(Mutex::new(None));
        let handler_seen = Arc::clone(&seen);
        let endpoint = Arc::new(make_sync(move |_| {
            *handler_seen
                .lock()
                .unwrap_or_else(|poison| poison.into_inner()) = Some(trace_is_sampled());
            "ok"
        }));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap_or_else(|err| panic!("{err}"));
        runtime.block_on(traced(endpoint.as_ref(), Request::default(), &telemetry));
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

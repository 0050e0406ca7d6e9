//! HTTP server metrics, named as the OpenTelemetry semantic conventions name them:
//! `http.server.request.duration` (a histogram in seconds, by method, route template and
//! status: its count is the request count) and `http.server.active_requests`. The
//! instruments come from the global meter provider: without an exporter they cost nothing.
//! Recording allocates nothing: the method is a static string, the route template is shared
//! with the router (`Arc<str>`), and the attributes live on the stack.

use std::sync::Arc;
use std::time::Duration;

use opentelemetry::KeyValue;
use opentelemetry::metrics::{Histogram, UpDownCounter};
use poem::http::Method;

/// Bucket boundaries in seconds: the conventions' advice, with 1 ms and 2.5 ms added,
/// since most requests here finish in a few milliseconds.
const DURATION_BUCKETS: [f64; 16] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];

#[derive(Debug, Clone)]
pub(crate) struct HttpMetrics {
    duration: Histogram<f64>,
    active: UpDownCounter<i64>,
}

impl HttpMetrics {
    pub(crate) fn new() -> Self {
        let meter = opentelemetry::global::meter("api");
        Self {
            duration: meter
                .f64_histogram("http.server.request.duration")
                .with_unit("s")
                .with_description("Duration of HTTP server requests")
                .with_boundaries(DURATION_BUCKETS.to_vec())
                .build(),
            active: meter
                .i64_up_down_counter("http.server.active_requests")
                .with_unit("{request}")
                .with_description("HTTP server requests in flight")
                .build(),
        }
    }

    /// A request started: it counts as active until the returned guard is dropped, also
    /// when the client goes away and the request is abandoned half-way.
    pub(crate) fn started(&self, method: &Method) -> InFlight {
        let attributes = [method_attribute(method)];
        self.active.add(1, &attributes);
        InFlight {
            active: self.active.clone(),
            attributes,
        }
    }

    /// A request finished with `status`; `route` is its template (`/api/v1/orders/{id}`),
    /// absent when no route matched (a 404), so that raw paths never become labels.
    pub(crate) fn finished(
        &self,
        method: &Method,
        route: Option<Arc<str>>,
        status: u16,
        elapsed: Duration,
    ) {
        let method = method_attribute(method);
        let status = KeyValue::new("http.response.status_code", i64::from(status));
        let seconds = elapsed.as_secs_f64();
        match route {
            Some(route) => {
                self.duration.record(
                    seconds,
                    &[method, status, KeyValue::new("http.route", route)],
                );
            }
            None => self.duration.record(seconds, &[method, status]),
        }
    }
}

/// A request in flight, counted in `http.server.active_requests` until dropped.
#[derive(Debug)]
pub(crate) struct InFlight {
    active: UpDownCounter<i64>,
    attributes: [KeyValue; 1],
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.active.add(-1, &self.attributes);
    }
}

/// The method, or `_OTHER` for one outside the standard set, which keeps the label set
/// bounded whatever clients send.
fn method_attribute(method: &Method) -> KeyValue {
    let name: &'static str = match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::CONNECT => "CONNECT",
        Method::OPTIONS => "OPTIONS",
        Method::TRACE => "TRACE",
        Method::PATCH => "PATCH",
        _ => "_OTHER",
    };
    KeyValue::new("http.request.method", name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_methods_are_one_label() {
        let value = |method: &Method| method_attribute(method).value.to_string();
        assert_eq!(value(&Method::GET), "GET");
        assert_eq!(value(&Method::from_bytes(b"BREW").unwrap()), "_OTHER");
    }

    #[test]
    fn buckets_ascend() {
        assert!(DURATION_BUCKETS.windows(2).all(|pair| pair[0] < pair[1]));
    }
}

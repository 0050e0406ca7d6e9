//! HTTP server metrics, named as the OpenTelemetry semantic conventions name them:
//! `http.server.request.duration` (a histogram in seconds, by method, route template and
//! status: its count is the request count) and `http.server.active_requests` (by method). The
//! instruments come from the global meter provider: without an exporter the histogram costs
//! nothing, and the count of requests in flight two atomic operations. Recording allocates
//! nothing once a series has been seen: the method is a static string, the route template is
//! shared with the router (`Arc<str>`).
//!
//! Each series of the histogram (method, route, status) is bound once, on its first request,
//! to a handle that records straight into its aggregator: unbound, the SDK hashed the three
//! attributes with SipHash and compared them to find the series on every request, about 1 800
//! instructions of a read by id (`docs/profiles.md`, stop 29). The handles are found again by a
//! small key (method index, status, route) under a fast hash. The series are bounded: ten
//! methods, the status codes, the routes of the router (none for an unmatched path).
//!
//! Requests in flight are counted in one atomic per method and reported when the meter
//! collects (an asynchronous up-down counter), not through the SDK on every request: each
//! synchronous `add` hashed its attributes to find its series, about 700 instructions, twice
//! per request (`docs/profiles.md`, stop 27).

use std::sync::atomic::{AtomicI64, AtomicU16, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use opentelemetry::KeyValue;
use opentelemetry::metrics::{BoundHistogram, Histogram, ObservableUpDownCounter};
use poem::http::Method;
use rustc_hash::FxHashMap;

/// Bucket boundaries in seconds: the conventions' advice, with 1 ms and 2.5 ms added,
/// since most requests here finish in a few milliseconds.
const DURATION_BUCKETS: [f64; 16] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];

#[derive(Debug)]
pub(crate) struct HttpMetrics {
    duration: Histogram<f64>,
    /// `duration`'s series seen so far, each bound to its handle.
    duration_series: RwLock<FxHashMap<SeriesKey, BoundHistogram<f64>>>,
    in_flight: Arc<InFlightCounts>,
    /// Holds the callback that reports `in_flight`.
    _active: ObservableUpDownCounter<i64>,
}

impl HttpMetrics {
    pub(crate) fn new() -> Self {
        let meter = opentelemetry::global::meter("api");
        let in_flight = Arc::new(InFlightCounts::default());
        let observed = Arc::clone(&in_flight);
        Self {
            duration: meter
                .f64_histogram("http.server.request.duration")
                .with_unit("s")
                .with_description("Duration of HTTP server requests")
                .with_boundaries(DURATION_BUCKETS.to_vec())
                .build(),
            duration_series: RwLock::default(),
            in_flight,
            _active: meter
                .i64_observable_up_down_counter("http.server.active_requests")
                .with_unit("{request}")
                .with_description("HTTP server requests in flight")
                .with_callback(move |observer| {
                    observed.report(|method, count| {
                        observer.observe(count, &[KeyValue::new(METHOD_KEY, method)]);
                    });
                })
                .build(),
        }
    }

    /// A request started: it counts as active until the returned guard is dropped, also
    /// when the client goes away and the request is abandoned half-way.
    pub(crate) fn started(&self, method: &Method) -> InFlight<'_> {
        let method = method_index(method);
        self.in_flight.started(method);
        InFlight {
            counts: &self.in_flight,
            method,
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
        let seconds = elapsed.as_secs_f64();
        let key = SeriesKey {
            method: method_index(method),
            status,
            route,
        };
        // Poisoning cannot leave the map half-written (an insert either happened or not).
        let known = self
            .duration_series
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(series) = known.get(&key) {
            series.record(seconds);
            return;
        }
        drop(known);
        let series = self.duration.bind(&key.attributes());
        series.record(seconds);
        self.duration_series
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(key)
            .or_insert(series);
    }
}

/// One series of `http.server.request.duration`.
#[derive(Debug, PartialEq, Eq, Hash)]
struct SeriesKey {
    /// Where the method is in [`METHODS`].
    method: usize,
    status: u16,
    route: Option<Arc<str>>,
}

impl SeriesKey {
    /// The series' attributes, as the conventions name them.
    fn attributes(&self) -> Vec<KeyValue> {
        let mut attributes = vec![
            KeyValue::new(METHOD_KEY, METHODS[self.method]),
            KeyValue::new("http.response.status_code", i64::from(self.status)),
        ];
        if let Some(route) = &self.route {
            attributes.push(KeyValue::new("http.route", Arc::clone(route)));
        }
        attributes
    }
}

/// A request in flight, counted in `http.server.active_requests` until dropped.
#[derive(Debug)]
pub(crate) struct InFlight<'a> {
    counts: &'a InFlightCounts,
    method: usize,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.counts.finished(self.method);
    }
}

/// Requests in flight, one count per entry of [`METHODS`], and which methods have been seen.
#[derive(Debug, Default)]
struct InFlightCounts {
    counts: [AtomicI64; METHODS.len()],
    /// Bit `i` is set once a request with `METHODS[i]` arrived: from then on its count is
    /// reported, also when it is back to zero, so the series does not vanish between bursts.
    seen: AtomicU16,
}

impl InFlightCounts {
    fn started(&self, method: usize) {
        let bit = 1 << method;
        // A load first: after the first request of a method, no write to the shared word.
        if self.seen.load(Ordering::Relaxed) & bit == 0 {
            self.seen.fetch_or(bit, Ordering::Relaxed);
        }
        self.counts[method].fetch_add(1, Ordering::Relaxed);
    }

    fn finished(&self, method: usize) {
        self.counts[method].fetch_sub(1, Ordering::Relaxed);
    }

    /// Calls `observe` with each method seen so far and its count now.
    fn report(&self, mut observe: impl FnMut(&'static str, i64)) {
        let seen = self.seen.load(Ordering::Relaxed);
        for (index, method) in METHODS.iter().enumerate() {
            if seen & (1 << index) != 0 {
                observe(method, self.counts[index].load(Ordering::Relaxed));
            }
        }
    }
}

const METHOD_KEY: &str = "http.request.method";

/// The method names the conventions list, and `_OTHER` for any other method, which keeps the
/// label set bounded whatever clients send.
const METHODS: [&str; 10] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "_OTHER",
];

/// Where `method` is in [`METHODS`].
fn method_index(method: &Method) -> usize {
    match *method {
        Method::GET => 0,
        Method::HEAD => 1,
        Method::POST => 2,
        Method::PUT => 3,
        Method::DELETE => 4,
        Method::CONNECT => 5,
        Method::OPTIONS => 6,
        Method::TRACE => 7,
        Method::PATCH => 8,
        _ => 9,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_methods_are_one_label() {
        let value = |method: &Method| METHODS[method_index(method)];
        assert_eq!(value(&Method::GET), "GET");
        assert_eq!(value(&Method::from_bytes(b"BREW").unwrap()), "_OTHER");
    }

    #[test]
    fn buckets_ascend() {
        assert!(DURATION_BUCKETS.windows(2).all(|pair| pair[0] < pair[1]));
    }

    #[test]
    fn requests_in_flight_are_reported_per_method_once_seen() {
        let counts = InFlightCounts::default();
        let reported = |counts: &InFlightCounts| {
            let mut seen = Vec::new();
            counts.report(|method, count| seen.push((method, count)));
            seen
        };
        assert_eq!(reported(&counts), []);
        let (get, post) = (method_index(&Method::GET), method_index(&Method::POST));
        counts.started(get);
        counts.started(get);
        counts.started(post);
        assert_eq!(reported(&counts), [("GET", 2), ("POST", 1)]);
        counts.finished(get);
        counts.finished(post);
        assert_eq!(reported(&counts), [("GET", 1), ("POST", 0)]);
    }

    #[test]
    fn every_method_has_its_own_count() {
        let methods = [
            Method::GET,
            Method::HEAD,
            Method::POST,
            Method::PUT,
            Method::DELETE,
            Method::CONNECT,
            Method::OPTIONS,
            Method::TRACE,
            Method::PATCH,
        ];
        for (index, method) in methods.iter().enumerate() {
            assert_eq!(method_index(method), index);
            assert_eq!(METHODS[index], method.as_str());
        }
    }
}

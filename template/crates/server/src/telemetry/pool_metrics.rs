//! Database pool usage as OpenTelemetry metrics, named as the semantic conventions name
//! them: `db.client.connection.count` (by `db.client.connection.state`: `idle` or `used`) and
//! `db.client.connection.max`. Read when metrics are collected, never on the request path.

use opentelemetry::KeyValue;
use opentelemetry::metrics::ObservableUpDownCounter;
use persistence::DatabaseConnection;

/// The pool's name in the metrics' `db.client.connection.pool.name`.
const POOL_NAME: &str = "primary";

/// Keeps the pool's instruments registered; drop it to stop reporting.
#[derive(Debug)]
pub struct PoolMetrics {
    _count: ObservableUpDownCounter<i64>,
    _max: ObservableUpDownCounter<i64>,
}

/// Reports `db`'s pool through the global meter provider (a no-op when metrics are not
/// exported).
pub fn observe_database_pool(db: &DatabaseConnection) -> PoolMetrics {
    let meter = opentelemetry::global::meter("persistence");
    let pool = db.clone();
    let count = meter
        .i64_observable_up_down_counter("db.client.connection.count")
        .with_unit("{connection}")
        .with_description("Connections in the pool, by state: idle or used")
        .with_callback(move |observer| {
            if let Some(usage) = persistence::pool_usage(&pool) {
                for (state, connections) in [("idle", usage.idle), ("used", usage.in_use())] {
                    observer.observe(
                        i64::from(connections),
                        &[
                            KeyValue::new("db.client.connection.pool.name", POOL_NAME),
                            KeyValue::new("db.client.connection.state", state),
                        ],
                    );
                }
            }
        })
        .build();
    let pool = db.clone();
    let max = meter
        .i64_observable_up_down_counter("db.client.connection.max")
        .with_unit("{connection}")
        .with_description("The most connections the pool opens")
        .with_callback(move |observer| {
            if let Some(usage) = persistence::pool_usage(&pool) {
                observer.observe(
                    i64::from(usage.max),
                    &[KeyValue::new("db.client.connection.pool.name", POOL_NAME)],
                );
            }
        })
        .build();
    PoolMetrics {
        _count: count,
        _max: max,
    }
}

//! Wiring: connect the database, apply migrations when configured, plug the adapters into the
//! domain's ports and the API, bind, serve, and shut down gracefully.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use api::{ApiState, HttpOptions, ReadinessProbe, ServiceInfo, SharedChecks};
use async_trait::async_trait;
use domain::clock::{Clock, SystemClock};
use domain::id::{IdGenerator, UuidV7Generator};
use domain::order::{OrderService, PaymentGateway};
use migration::{Migrator, MigratorTrait};
use payments::{BreakerOptions, HttpGateway, HttpGatewayOptions, InProcessGateway};
use persistence::{DatabaseConnection, DatabaseOptions};
use persistence::{SeaOrmIdempotencyStore, SeaOrmOrderRepository};
use poem::EndpointExt;
use secrecy::ExposeSecret;
use tokio::net::TcpListener;

use crate::http_server::{self, ConnectionLimits};
use crate::settings::Settings;
use crate::settings::{PaymentsMode, PaymentsSettings};
use crate::telemetry::{PoolMetrics, observe_database_pool};
// xtask-generate: imports

/// A wired service, ready to bind.
pub struct App {
    endpoint: poem::endpoint::BoxEndpoint<'static>,
    db: DatabaseConnection,
    shutdown_grace: Duration,
    limits: ConnectionLimits,
    _pool_metrics: PoolMetrics,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App").finish_non_exhaustive()
    }
}

/// Readiness = the database answers (one round trip per check; `SharedChecks` lets probes that
/// arrive together share a check).
struct DatabaseReadiness(DatabaseConnection);

#[async_trait]
impl ReadinessProbe for DatabaseReadiness {
    async fn check(&self) -> Result<(), String> {
        persistence::ping(&self.0).await.map_err(|err| {
            tracing::warn!(error = %err, "readiness check failed");
            "the database is unreachable".to_owned()
        })
    }
}

/// Connects to the database described by `settings`.
pub async fn connect_database(settings: &Settings) -> anyhow::Result<DatabaseConnection> {
    let db = &settings.database;
    persistence::connect(&DatabaseOptions {
        url: db.url.expose().to_owned(),
        max_connections: db.max_connections,
        min_connections: db.min_connections,
        connect_timeout: db.connect_timeout,
        acquire_timeout: db.acquire_timeout,
        connect_attempts: db.connect_attempts,
    })
    .await
    .context("cannot connect to the database (database.url)")
}

/// The payment gateway adapter `payments.mode` names.
fn payment_gateway(settings: &PaymentsSettings) -> anyhow::Result<Arc<dyn PaymentGateway>> {
    Ok(match settings.mode {
        PaymentsMode::InProcess => Arc::new(InProcessGateway),
        PaymentsMode::Http => Arc::new(
            HttpGateway::new(&HttpGatewayOptions {
                url: settings.url.clone().unwrap_or_default(),
                timeout: settings.timeout,
                max_retries: settings.max_retries,
                backoff_min: settings.backoff_min,
                backoff_max: settings.backoff_max,
                breaker: BreakerOptions {
                    failure_threshold: settings.breaker_failure_threshold,
                    cool_down: settings.breaker_cool_down,
                },
            })
            .context("cannot set up the payment gateway (payments.url)")?,
        ),
    })
}

/// With `database.migrate_on_start` off (production), a schema behind the code is an error
/// at start, not a surprise at the first request.
async fn refuse_pending_migrations(db: &DatabaseConnection) -> anyhow::Result<()> {
    let pending = Migrator::get_pending_migrations(db)
        .await
        .context("reading the applied migrations failed")?;
    if pending.is_empty() {
        return Ok(());
    }
    let names: Vec<&str> = pending.iter().map(|migration| migration.name()).collect();
    anyhow::bail!(
        "{} pending migration(s): {}. Apply them first (`migrate up`), or set \
         database.migrate_on_start = true",
        names.len(),
        names.join(", ")
    )
}

impl App {
    /// Connects, migrates if `database.migrate_on_start`, and wires every adapter.
    pub async fn build(settings: &Settings, info: ServiceInfo) -> anyhow::Result<Self> {
        let db = connect_database(settings).await?;
        if settings.database.migrate_on_start {
            Migrator::up(&db, None)
                .await
                .context("applying database migrations failed")?;
        } else {
            refuse_pending_migrations(&db).await?;
        }
        // What every resource's service is built from: `db`, `clock` and `ids`.
        let (clock, ids): (Arc<dyn Clock>, Arc<dyn IdGenerator>) =
            (Arc::new(SystemClock), Arc::new(UuidV7Generator));
        let state = ApiState {
            readiness: Arc::new(SharedChecks::new(DatabaseReadiness(db.clone()))),
            orders: OrderService::new(
                Arc::new(SeaOrmOrderRepository::new(db.clone())),
                Arc::new(SeaOrmIdempotencyStore::new(db.clone())),
                payment_gateway(&settings.payments)?,
                clock.clone(),
                ids.clone(),
            ),
            jwt: api::auth::JwtVerifier::new(
                settings.auth.jwt_secret.expose_secret().as_bytes(),
                &settings.auth.issuer,
                &settings.auth.audience,
            )
            .with_max_lifetime(settings.auth.max_token_lifetime),
            // xtask-generate: services
        };
        if !settings.rate_limit.enabled {
            tracing::warn!(
                "rate_limit.enabled is false: no caller is limited by this service; a gateway in \
                 front of every replica must limit each caller (docs/security.md)"
            );
        }
        let http = &settings.http;
        let options = HttpOptions {
            request_timeout: http.request_timeout,
            body_limit_bytes: http.body_limit_bytes,
            body_memory_bytes: http.body_memory_bytes,
            cors_allowed_origins: http.cors_allowed_origins.clone(),
            hsts: http.hsts,
            rate_limits: api::RateLimits {
                enabled: settings.rate_limit.enabled,
                reads_per_minute: settings.rate_limit.reads_per_minute,
                writes_per_minute: settings.rate_limit.writes_per_minute,
            },
        };
        Ok(Self {
            endpoint: api::app(info, state, options).boxed(),
            _pool_metrics: observe_database_pool(&db),
            db,
            shutdown_grace: http.shutdown_grace,
            limits: ConnectionLimits::from(http),
        })
    }

    /// Binds the listening socket (port 0 picks a free port).
    pub async fn bind(self, host: std::net::IpAddr, port: u16) -> anyhow::Result<BoundApp> {
        let address = SocketAddr::new(host, port);
        let listener = TcpListener::bind(address)
            .await
            .with_context(|| format!("cannot listen on {address} (http.host, http.port)"))?;
        Ok(BoundApp {
            app: self,
            listener,
        })
    }
}

/// A service with its socket bound: it knows its address and can serve.
pub struct BoundApp {
    app: App,
    listener: TcpListener,
}

impl std::fmt::Debug for BoundApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BoundApp")
            .field("address", &self.local_addr())
            .finish_non_exhaustive()
    }
}

impl BoundApp {
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.listener.local_addr().ok()
    }

    /// Serves until `shutdown` completes, then stops accepting, lets in-flight requests finish
    /// within `http.shutdown_grace`, and closes the database pool. The connection limits of
    /// `[http]` apply throughout (see [`http_server`]).
    pub async fn serve_until(
        self,
        shutdown: impl Future<Output = ()> + Send,
    ) -> anyhow::Result<()> {
        let App {
            endpoint,
            db,
            shutdown_grace,
            limits,
            ..
        } = self.app;
        http_server::serve(self.listener, endpoint, limits, shutdown, shutdown_grace)
            .await
            .context("the HTTP server failed")?;
        db.close()
            .await
            .context("closing the database pool failed")?;
        Ok(())
    }
}

/// A future that completes on Ctrl-C (SIGINT) or SIGTERM.
///
/// The signal handlers are installed when this is called, not when the future is first
/// polled: call it before announcing that the service is listening, so that a SIGTERM sent
/// right after the announcement is a graceful shutdown, not the default "killed by signal".
pub fn shutdown_signal() -> impl Future<Output = ()> + Send {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let interrupt = signal(SignalKind::interrupt());
        let terminate = signal(SignalKind::terminate());
        async move {
            let (mut interrupt, mut terminate) = match (interrupt, terminate) {
                (Ok(interrupt), Ok(terminate)) => (interrupt, terminate),
                (Err(err), _) | (_, Err(err)) => {
                    tracing::error!(error = %err, "cannot listen for SIGINT/SIGTERM");
                    return std::future::pending().await;
                }
            };
            tokio::select! {
                _ = interrupt.recv() => tracing::info!("Ctrl-C received, shutting down"),
                _ = terminate.recv() => tracing::info!("SIGTERM received, shutting down"),
            }
        }
    }
    #[cfg(not(unix))]
    async {
        match tokio::signal::ctrl_c().await {
            Ok(()) => tracing::info!("Ctrl-C received, shutting down"),
            Err(err) => {
                tracing::error!(error = %err, "cannot listen for Ctrl-C");
                std::future::pending::<()>().await;
            }
        }
    }
}

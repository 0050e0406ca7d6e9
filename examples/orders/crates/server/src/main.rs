//! The service's command line: `serve` (the default), `migrate`, `openapi`, `config`,
//! `healthcheck`, `purge-idempotency-keys`, `dev-token`.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use anyhow::Context;
use api::ServiceInfo;
use clap::{Parser, Subcommand, ValueEnum};
use migration::{Migrator, MigratorTrait};
use secrecy::ExposeSecret;
use server::settings::{Profile, Settings};
use server::startup::{self, App};
use server::telemetry;

/// mimalloc instead of the system allocator: a request allocates and frees dozens of small
/// blocks (headers, ids, the log line, futures), and glibc's allocator took a tenth of the
/// request path's CPU (the template repository's `docs/profiles.md`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const SERVICE_INFO: ServiceInfo = ServiceInfo {
    name: env!("CARGO_BIN_NAME"),
    description: env!("CARGO_PKG_DESCRIPTION"),
    version: env!("CARGO_PKG_VERSION"),
};

#[derive(Debug, Parser)]
#[command(name = env!("CARGO_BIN_NAME"), version, about = env!("CARGO_PKG_DESCRIPTION"))]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the HTTP API (the default).
    Serve,
    /// Apply or revert database migrations.
    Migrate {
        #[command(subcommand)]
        action: MigrateAction,
    },
    /// Print the OpenAPI document (no server, no database needed).
    Openapi {
        #[arg(long, value_enum, default_value_t = SpecFormat::Yaml)]
        format: SpecFormat,
    },
    /// Print the effective configuration: each value with its source, secrets redacted.
    Config,
    /// Exit 0 when the service on this host answers `GET /health/ready` with 200, 1 otherwise
    /// (a container health check that needs no shell or curl).
    Healthcheck {
        /// The port to ask; default: the configured `http.port`.
        #[arg(long)]
        port: Option<u16>,
        /// How long to wait for the answer, in milliseconds.
        #[arg(long, default_value_t = 2000)]
        timeout_ms: u64,
    },
    /// Mint a bearer token signed with the configured secret, for local use.
    /// Refused in the production profile.
    DevToken {
        /// The token's subject.
        #[arg(long, default_value = "developer")]
        subject: String,
        /// A scope to grant (repeatable); default: every scope.
        #[arg(long = "scope")]
        scopes: Vec<String>,
        /// Validity in minutes.
        #[arg(long, default_value_t = 60)]
        ttl_minutes: u64,
    },
    /// Delete the idempotency keys that have expired, of every resource, and print how many
    /// went from each table (safe at any time; `deploy/k8s/base/purge-cronjob.yaml` runs it
    /// every hour).
    PurgeIdempotencyKeys,
}

#[derive(Debug, Subcommand)]
enum MigrateAction {
    /// Apply every pending migration.
    Up,
    /// Revert the last `steps` migrations (default 1), or all of them with `--all`.
    Down {
        #[arg(default_value_t = 1, conflicts_with = "all")]
        steps: u32,
        #[arg(long)]
        all: bool,
    },
    /// List migrations and whether each is applied.
    Status,
    /// Drop every table and apply all migrations again. Refused in production unless forced.
    Fresh {
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum SpecFormat {
    Yaml,
    Json,
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Openapi { format } => {
            let document = api::openapi_document(SERVICE_INFO);
            match format {
                SpecFormat::Yaml => print!("{}", api::openapi_yaml(&document)),
                SpecFormat::Json => println!("{document:#}"),
            }
            Ok(())
        }
        Command::Healthcheck { port, timeout_ms } => {
            server::healthcheck::run(port, std::time::Duration::from_millis(timeout_ms)).await
        }
        Command::Config => {
            let loaded = Settings::load()?;
            println!(
                "# The effective configuration of profile `{}`, each value with its source.",
                loaded.profile.as_str()
            );
            println!("# Secrets are redacted. Layers, later wins: default, config/default.toml,");
            println!("# config/<profile>.toml, APP_* and DATABASE_URL environment variables.");
            print!("{}", loaded.report()?);
            Ok(())
        }
        Command::DevToken {
            subject,
            scopes,
            ttl_minutes,
        } => {
            let settings = Settings::load()?;
            if settings.profile == Profile::Production {
                anyhow::bail!("dev-token is refused in the production profile");
            }
            let scopes: Vec<&str> = if scopes.is_empty() {
                api::auth::ALL_SCOPES.to_vec()
            } else {
                scopes.iter().map(String::as_str).collect()
            };
            let auth = &settings.settings.auth;
            let verifier = api::auth::JwtVerifier::new(
                auth.jwt_secret.expose_secret().as_bytes(),
                &auth.issuer,
                &auth.audience,
            )
            .with_max_lifetime(auth.max_token_lifetime);
            let ttl = std::time::Duration::from_secs(ttl_minutes.saturating_mul(60));
            if ttl > auth.max_token_lifetime {
                anyhow::bail!(
                    "--ttl-minutes {ttl_minutes} is longer than auth.max_token_lifetime ({}): \
                     the service would refuse the token",
                    humantime_serde::re::humantime::format_duration(auth.max_token_lifetime)
                );
            }
            println!("{}", verifier.mint(&subject, &scopes, ttl)?);
            Ok(())
        }
        Command::PurgeIdempotencyKeys => {
            let loaded = Settings::load()?;
            let telemetry = telemetry::init(&loaded.settings.telemetry, loaded.profile.as_str())?;
            loaded.log_warnings();
            let result = purge_idempotency_keys(&loaded.settings).await;
            telemetry.shutdown().await;
            result
        }
        Command::Migrate { action } => {
            let loaded = Settings::load()?;
            let telemetry = telemetry::init(&loaded.settings.telemetry, loaded.profile.as_str())?;
            loaded.log_warnings();
            let result = migrate(&loaded.settings, loaded.profile, action).await;
            telemetry.shutdown().await;
            result
        }
        Command::Serve => {
            let loaded = Settings::load()?;
            let telemetry = telemetry::init(&loaded.settings.telemetry, loaded.profile.as_str())?;
            // Validation ran before logging existed: its warnings are logged now.
            loaded.log_warnings();
            let result = serve(&loaded.settings).await;
            if let Err(err) = &result {
                tracing::error!(
                    error = format!("{err:#}"),
                    "the service stopped with an error"
                );
            }
            telemetry.shutdown().await;
            result
        }
    }
}

async fn serve(settings: &Settings) -> anyhow::Result<()> {
    let app = App::build(settings, SERVICE_INFO).await?;
    let bound = app.bind(settings.http.host, settings.http.port).await?;
    // Signal handlers first: from the "listening" line on, SIGTERM means a graceful stop.
    let shutdown = startup::shutdown_signal();
    if let Some(address) = bound.local_addr() {
        tracing::info!(
            "{} {} listening on http://{address} (API docs: http://{address}/docs)",
            SERVICE_INFO.name,
            SERVICE_INFO.version
        );
    }
    bound.serve_until(shutdown).await?;
    tracing::info!("stopped cleanly");
    Ok(())
}

/// Purges the expired keys of every key table; prints one line per table and the total, on
/// standard output whatever the log filter (a CronJob's log shows it).
async fn purge_idempotency_keys(settings: &Settings) -> anyhow::Result<()> {
    use domain::clock::Clock;
    let db = startup::connect_database(settings).await?;
    let purged = persistence::purge_expired_idempotency_keys(&db, domain::clock::SystemClock.now())
        .await
        .context("purging expired idempotency keys failed")?;
    if purged.is_empty() {
        println!("no resource keeps idempotency keys: nothing to purge");
    } else {
        for table in &purged {
            tracing::info!(
                table = table.table,
                purged = table.purged,
                "expired idempotency keys purged"
            );
            println!(
                "{}: purged {} expired idempotency keys",
                table.table, table.purged
            );
        }
        let total: u64 = purged.iter().map(|table| table.purged).sum();
        println!("purged {total} expired idempotency keys in total");
    }
    db.close()
        .await
        .context("closing the database pool failed")?;
    Ok(())
}

async fn migrate(
    settings: &Settings,
    profile: Profile,
    action: MigrateAction,
) -> anyhow::Result<()> {
    if let MigrateAction::Fresh { force: false } = action
        && profile == Profile::Production
    {
        anyhow::bail!("`migrate fresh` drops every table: refused in production without --force");
    }
    let db = startup::connect_database(settings).await?;
    let applied_before = applied_count(&db).await?;
    let done = match action {
        MigrateAction::Up => {
            Migrator::up(&db, None).await?;
            "up"
        }
        MigrateAction::Down { all: true, .. } => {
            Migrator::down(&db, None).await?;
            "down --all"
        }
        MigrateAction::Down { steps, .. } => {
            Migrator::down(&db, Some(steps)).await?;
            "down"
        }
        MigrateAction::Status => "status",
        MigrateAction::Fresh { .. } => {
            Migrator::fresh(&db).await?;
            "fresh"
        }
    };
    // What the command did, and the state of every migration afterwards: on standard output,
    // whatever the log filter (the migration Job's log shows it too).
    let migrations = Migrator::get_migration_with_status(&db).await?;
    let applied_after = applied_count(&db).await?;
    println!(
        "migrate {done}: {applied_before} applied before, {applied_after} applied now, {} in total",
        migrations.len()
    );
    for migration in &migrations {
        println!("  {:<8} {}", migration.status(), migration.name());
    }
    db.close()
        .await
        .context("closing the database pool failed")?;
    Ok(())
}

/// How many migrations the database records as applied.
async fn applied_count(db: &persistence::DatabaseConnection) -> anyhow::Result<usize> {
    Ok(Migrator::get_applied_migrations(db).await?.len())
}

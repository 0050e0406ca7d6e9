//! Test-only helpers shared by the workspace's test suites: a fresh database per test, on
//! SQLite (always) and on PostgreSQL (when `TEST_DATABASE_URL` is set), and a macro that
//! declares each scenario once for both{% if example %}; and a fake payment gateway
//! ([`fake_gateway`]){% endif %}.
//!
//! May depend on: sea-orm{% if example %}, poem{% endif %} and test utilities. Used only as a
//! dev-dependency.
#![forbid(unsafe_code)]
// Test support: a panic is how a broken fixture reports itself.
#![allow(clippy::expect_used)]
{%- if example %}

pub mod fake_gateway;
{%- endif %}

use sea_orm::{ConnectionTrait, Database};

/// The characters of `openssl rand -base64`.
pub const BASE64_ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// `length` characters of `alphabet`, pseudo-random but the same on every run: a secret that
/// passes production's strength check. Built at run time, because a high-entropy literal in
/// the sources is (rightly) a finding of the secret scan.
pub fn random_looking_secret(length: usize, alphabet: &str) -> String {
    let alphabet: Vec<char> = alphabet.chars().collect();
    // xorshift32: plenty for test data.
    let mut state: u32 = 0x9E37_79B9;
    (0..length)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            alphabet[state as usize % alphabet.len()]
        })
        .collect()
}

/// The variable that points the suites at a PostgreSQL server, e.g.
/// `postgres://postgres@127.0.0.1:5432/postgres`. Each test creates and drops its own
/// database there, so runs never interfere.
pub const TEST_DATABASE_URL: &str = "TEST_DATABASE_URL";

/// A database for one test: a SQLite file in a temporary directory, or a PostgreSQL database
/// created for the test. Call [`TestDatabase::drop_database`] at the end of a PostgreSQL test.
#[derive(Debug)]
pub struct TestDatabase {
    pub url: String,
    _sqlite_dir: Option<tempfile::TempDir>,
    postgres: Option<(String, String)>,
}

impl TestDatabase {
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
        Self {
            url,
            _sqlite_dir: Some(dir),
            postgres: None,
        }
    }

    /// A fresh PostgreSQL database, or `None` (with a notice on stderr) when
    /// `TEST_DATABASE_URL` is not set.
    pub async fn postgres() -> Option<Self> {
        let Ok(admin_url) = std::env::var(TEST_DATABASE_URL) else {
            eprintln!("SKIPPED on PostgreSQL: {TEST_DATABASE_URL} is not set");
            return None;
        };
        let name = format!("test_{}", uuid::Uuid::now_v7().simple());
        let admin = Database::connect(&admin_url)
            .await
            .expect("connect to TEST_DATABASE_URL");
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await
            .expect("create the test database");
        admin.close().await.ok();
        let (without_query, _) = admin_url.split_once('?').unwrap_or((&admin_url, ""));
        let (server, _) = without_query
            .rsplit_once('/')
            .expect("TEST_DATABASE_URL ends with /<database>");
        Some(Self {
            url: format!("{server}/{name}"),
            _sqlite_dir: None,
            postgres: Some((admin_url, name)),
        })
    }

    /// Drops a PostgreSQL test database (SQLite files go with their temporary directory).
    pub async fn drop_database(&self) {
        if let Some((admin_url, name)) = &self.postgres {
            let admin = Database::connect(admin_url)
                .await
                .expect("connect to TEST_DATABASE_URL");
            admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .await
                .expect("drop the test database");
            admin.close().await.ok();
        }
    }
}

/// Declares each listed `async fn scenario(db: TestDatabase)` as two tests: `sqlite::scenario`
/// and `postgres::scenario` (which returns early, saying so, without `TEST_DATABASE_URL`).
#[macro_export]
macro_rules! on_every_database {
    ($($scenario:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $scenario() {
                    super::$scenario($crate::TestDatabase::sqlite()).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $scenario() {
                    if let Some(db) = $crate::TestDatabase::postgres().await {
                        super::$scenario(db).await;
                    }
                }
            )*
        }
    };
}

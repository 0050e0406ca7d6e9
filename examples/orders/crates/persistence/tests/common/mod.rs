//! What the persistence suites share: a migrated connection to a fresh test database.
// Each suite uses a part of this module.
#![allow(clippy::unwrap_used, dead_code)]

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use persistence::{DatabaseConnection, DatabaseOptions};
use test_support::TestDatabase;

/// A pool over `db`, without migrations.
pub async fn connect_unmigrated(db: &TestDatabase) -> DatabaseConnection {
    persistence::connect(&DatabaseOptions {
        url: db.url.clone(),
        max_connections: 10,
        min_connections: 1,
        connect_timeout: Duration::from_secs(5),
        acquire_timeout: Duration::from_secs(10),
        connect_attempts: 1,
    })
    .await
    .unwrap()
}

/// A pool over `db`, with every migration applied.
pub async fn connect(db: &TestDatabase) -> DatabaseConnection {
    let connection = connect_unmigrated(db).await;
    Migrator::up(&connection, None).await.unwrap();
    connection
}

//! Creates and reads per second through the order repository, on a fresh SQLite file and, when
//! `TEST_DATABASE_URL` is set, on a fresh PostgreSQL database:
//!
//! ```sh
//! cargo run --release -p persistence --example throughput [-- <orders> <concurrency>]
//! ```
//!
//! A measurement tool, not a test: it prints figures and asserts nothing about speed.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use domain::clock::{Clock, SystemClock};
use domain::order::{NewOrder, Order, OrderId, OrderRepository};
use domain::owner::Owner;
use domain::values::{Currency, Email, Money};
use migration::{Migrator, MigratorTrait};
use persistence::{DatabaseOptions, SeaOrmOrderRepository};
use test_support::TestDatabase;
use uuid::Uuid;

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let orders: usize = args
        .next()
        .map_or(5_000, |n| n.parse().expect("<orders> is a number"));
    let concurrency: usize = args
        .next()
        .map_or(8, |n| n.parse().expect("<concurrency> is a number"));
    println!("{orders} orders, {concurrency} concurrent tasks");
    println!("{:<12} {:>12} {:>12}", "database", "creates/s", "reads/s");
    measure("sqlite", TestDatabase::sqlite(), orders, concurrency).await;
    match TestDatabase::postgres().await {
        Some(db) => measure("postgresql", db, orders, concurrency).await,
        None => println!("{:<12} skipped: TEST_DATABASE_URL is not set", "postgresql"),
    }
}

async fn measure(name: &str, db: TestDatabase, orders: usize, concurrency: usize) {
    let connection = persistence::connect(&DatabaseOptions {
        url: db.url.clone(),
        max_connections: u32::try_from(concurrency).unwrap_or(u32::MAX).max(1),
        min_connections: 1,
        connect_timeout: Duration::from_secs(5),
        acquire_timeout: Duration::from_secs(30),
        connect_attempts: 1,
    })
    .await
    .expect("connect");
    Migrator::up(&connection, None).await.expect("migrate");
    let repository = Arc::new(SeaOrmOrderRepository::new(connection.clone()));
    let eur = Currency::parse("EUR").unwrap();
    let all: Vec<Order> = (0..orders)
        .map(|n| {
            let new = NewOrder {
                customer_email: Email::parse(&format!("c{n}@example.com")).unwrap(),
                amount: Money::new(100, eur).unwrap(),
                note: None,
            };
            Order::place(
                OrderId::from_uuid(Uuid::now_v7()),
                Owner::anonymous(),
                new,
                SystemClock.now(),
            )
        })
        .collect();
    let ids: Vec<OrderId> = all.iter().map(Order::id).collect();

    let creates = per_second(all, concurrency, {
        let repository = repository.clone();
        move |order: Order| {
            let repository = repository.clone();
            async move { repository.insert(&order).await.expect("insert") }
        }
    })
    .await;
    let reads = per_second(ids, concurrency, {
        let repository = repository.clone();
        move |id: OrderId| {
            let repository = repository.clone();
            async move {
                repository.find(id).await.expect("find").expect("stored");
            }
        }
    })
    .await;
    println!("{name:<12} {creates:>12.0} {reads:>12.0}");
    connection.close().await.ok();
    db.drop_database().await;
}

/// Runs `work` over `items` with `concurrency` tasks; returns items per second.
async fn per_second<T, F, Fut>(items: Vec<T>, concurrency: usize, work: F) -> f64
where
    T: Send + 'static,
    F: Fn(T) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let count = items.len();
    let queue = Arc::new(std::sync::Mutex::new(items));
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (queue, work) = (queue.clone(), work.clone());
            tokio::spawn(async move {
                loop {
                    let next = queue.lock().unwrap().pop();
                    match next {
                        Some(item) => work(item).await,
                        None => break,
                    }
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.expect("worker");
    }
    count as f64 / started.elapsed().as_secs_f64()
}

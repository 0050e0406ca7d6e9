//! The ceiling: one poem handler, no middleware, the same release profile as the service.
use poem::{Route, Server, get, handler, listener::TcpListener, web::Json};
use serde::Serialize;

#[derive(Serialize)]
struct Status {
    status: &'static str,
}

#[handler]
fn live() -> Json<Status> {
    Json(Status { status: "ok" })
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let address = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:8090".to_owned());
    Server::new(TcpListener::bind(address))
        .run(Route::new().at("/health/live", get(live)))
        .await
}

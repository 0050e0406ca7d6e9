//! A fake payment gateway for tests: a real HTTP server on 127.0.0.1 (port 0) that answers
//! charges as the test tells it to, and records every request it receives.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use poem::http::StatusCode;
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::web::Data;
use poem::{EndpointExt, Request, Response, Route, Server, handler, post};

/// How the fake answers a charge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// 201: the charge is accepted.
    Accept,
    /// 402 with `{"reason": ...}`.
    Decline(String),
    /// This status, with no body (503 for an outage).
    Status(u16),
    /// No answer for this long (longer than the client's timeout), then 201.
    Stall(Duration),
    /// 307 to this URL: a client that follows it would send the charge there.
    Redirect(String),
    /// 402 whose body never ends: a client must stop reading at its own limit.
    DeclineEndlessly,
}

/// One request the fake received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// The `Idempotency-Key` header, if any.
    pub idempotency_key: Option<String>,
    /// The JSON body.
    pub body: serde_json::Value,
}

#[derive(Debug, Default)]
struct State {
    /// Answers for the next requests, in order; then `steady`.
    script: VecDeque<Answer>,
    steady: Option<Answer>,
    received: Vec<Received>,
}

/// A running fake gateway; stops when dropped.
#[derive(Debug)]
pub struct FakeGateway {
    /// The charge endpoint, `http://127.0.0.1:<port>/charges`.
    pub url: String,
    state: Arc<Mutex<State>>,
    server: tokio::task::JoinHandle<()>,
}

impl FakeGateway {
    /// Starts a gateway that accepts every charge until told otherwise.
    pub async fn start() -> Self {
        let state = Arc::new(Mutex::new(State {
            steady: Some(Answer::Accept),
            ..State::default()
        }));
        let app = Route::new()
            .at("/charges", post(charge))
            .data(state.clone());
        let acceptor = TcpListener::bind("127.0.0.1:0")
            .into_acceptor()
            .await
            .expect("bind the fake gateway");
        let address = acceptor.local_addr()[0]
            .as_socket_addr()
            .copied()
            .expect("a socket address");
        let server = tokio::spawn(async move {
            Server::new_with_acceptor(acceptor).run(app).await.ok();
        });
        Self {
            url: format!("http://{address}/charges"),
            state,
            server,
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Answers every request from now on (after any scripted answers) with `answer`.
    pub fn answer(&self, answer: Answer) {
        self.state().steady = Some(answer);
    }

    /// Answers the next requests with these, in order, before the steady answer.
    pub fn script(&self, answers: impl IntoIterator<Item = Answer>) {
        self.state().script.extend(answers);
    }

    /// Every request received so far.
    pub fn received(&self) -> Vec<Received> {
        self.state().received.clone()
    }

    /// How many requests arrived so far.
    pub fn request_count(&self) -> usize {
        self.state().received.len()
    }
}

impl Drop for FakeGateway {
    fn drop(&mut self) {
        self.server.abort();
    }
}

#[handler]
async fn charge(request: &Request, body: poem::Body, state: Data<&Arc<Mutex<State>>>) -> Response {
    let body = body.into_bytes().await.unwrap_or_default();
    let received = Received {
        idempotency_key: request
            .headers()
            .get("idempotency-key")
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned),
        body: serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
    };
    let answer = {
        let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
        state.received.push(received);
        let steady = state.steady.clone().unwrap_or(Answer::Accept);
        state.script.pop_front().unwrap_or(steady)
    };
    match answer {
        Answer::Accept => Response::builder().status(StatusCode::CREATED).finish(),
        Answer::Decline(reason) => Response::builder()
            .status(StatusCode::PAYMENT_REQUIRED)
            .content_type("application/json")
            .body(serde_json::json!({ "reason": reason }).to_string()),
        Answer::Status(status) => Response::builder()
            .status(StatusCode::from_u16(status).expect("a valid status"))
            .finish(),
        Answer::Redirect(location) => Response::builder()
            .status(StatusCode::TEMPORARY_REDIRECT)
            .header("location", location)
            .finish(),
        Answer::DeclineEndlessly => Response::builder()
            .status(StatusCode::PAYMENT_REQUIRED)
            .content_type("text/plain")
            .body(poem::Body::from_async_read(tokio::io::repeat(b'x'))),
        Answer::Stall(duration) => {
            tokio::time::sleep(duration).await;
            Response::builder().status(StatusCode::CREATED).finish()
        }
    }
}

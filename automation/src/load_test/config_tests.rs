//! Tests of `loadtest.toml` parsing and validation: the project's own file parses, and each
//! kind of mistake is refused with the key it concerns.

use std::time::Duration;

use reqwest::Method;

use super::config::{load, parse};

const VALID: &str = r#"
[run]
concurrency = 8
duration = "20s"

[smoke]
concurrency = 2
duration = "2s"
timeout = "1s"
rate = 50

[auth]
scopes = ["things:read"]

[[seed]]
name = "thing"
count = 10
method = "POST"
path = "/api/v1/things"
body = { name = "thing-{n}", size = 3 }
capture = "/id"

[[scenario]]
name = "reads"
slo = { p99_ms = 25, max_error_rate = 0.001 }
smoke_slo = { p99_ms = 100 }

[[scenario.request]]
weight = 9
path = "/api/v1/things/{thing}"

[[scenario.request]]
method = "post"
path = "/api/v1/things"
headers = { "Idempotency-Key" = "load-{run}-{n}" }
body = { name = "x" }
expect_status = [201]
"#;

/// `VALID` with `from` replaced by `to`; the error message of parsing it.
fn error_with(from: &str, to: &str) -> String {
    assert!(
        VALID.contains(from),
        "the test's `from` must be in VALID: {from}"
    );
    format!("{:#}", parse(&VALID.replacen(from, to, 1)).unwrap_err())
}

#[test]
fn a_valid_file_gives_every_value() {
    let config = parse(VALID).unwrap();
    assert_eq!(config.run.concurrency, 8);
    assert_eq!(config.run.duration, Duration::from_secs(20));
    assert_eq!(
        config.run.timeout,
        Duration::from_secs(5),
        "the default timeout"
    );
    assert_eq!(config.smoke.timeout, Duration::from_secs(1));
    assert_eq!(config.run.rate, None, "a closed loop unless a rate is set");
    assert_eq!(config.smoke.rate, Some(50));
    assert_eq!(config.auth.unwrap().scopes, ["things:read"]);
    assert_eq!(config.seeds[0].name, "thing");
    assert_eq!(config.seeds[0].capture, "/id");
    let reads = &config.scenarios[0];
    assert_eq!(reads.slo.p99_ms, Some(25.0));
    assert_eq!(reads.smoke_slo.p99_ms, Some(100.0));
    assert_eq!(
        reads.smoke_slo.max_error_rate, None,
        "smoke_slo replaces slo as a whole"
    );
    assert_eq!(reads.requests[0].method, Method::GET);
    assert_eq!(reads.requests[0].weight, 9);
    assert_eq!(reads.requests[0].label, "GET /api/v1/things/{thing}");
    assert_eq!(reads.requests[1].method, Method::POST);
    assert_eq!(reads.requests[1].expect_status, [201]);
    assert_eq!(reads.requests[1].headers[0].0.as_str(), "idempotency-key");
}

#[test]
fn the_smoke_slo_defaults_to_the_slo() {
    let config = parse(&VALID.replace("smoke_slo = { p99_ms = 100 }\n", "")).unwrap();
    assert_eq!(config.scenarios[0].smoke_slo, config.scenarios[0].slo);
}

#[test]
fn mistakes_are_reported_with_their_key() {
    let cases = [
        (
            "concurrency = 8",
            "concurrency = 0",
            "run.concurrency must be from 1 to 1024",
        ),
        (
            "rate = 50",
            "rate = 0",
            "smoke.rate must be from 1 to 100000",
        ),
        (
            "duration = \"2s\"",
            "duration = \"1500ms\"",
            "smoke.duration must be whole seconds",
        ),
        (
            "duration = \"2s\"",
            "duration = \"2s\"\nrequests = 100",
            "unknown field `requests`",
        ),
        (
            "duration = \"20s\"",
            "duration = \"20 parsecs\"",
            "duration",
        ),
        ("p99_ms = 25", "p99ms = 25", "unknown field `p99ms`"),
        (
            "max_error_rate = 0.001",
            "max_error_rate = 2",
            "scenario[0] (reads).slo.max_error_rate",
        ),
        (
            "p99_ms = 100",
            "p99_ms = 0",
            "scenario[0] (reads).smoke_slo.p99_ms must be a number above 0",
        ),
        (
            "weight = 9",
            "weight = 0",
            "scenario[0] (reads).request[0].weight must be at least 1",
        ),
        (
            "method = \"post\"",
            "method = \"BREW\"",
            "scenario[0] (reads).request[1].method `BREW`",
        ),
        (
            "/api/v1/things/{thing}",
            "/api/v1/things/{thng}",
            "request[0].path: `/api/v1/things/{thng}` uses the unknown placeholder",
        ),
        (
            "path = \"/api/v1/things/",
            "path = \"api/v1/things/",
            "request[0].path `api/v1/things/{thing}` must start with `/`",
        ),
        (
            "load-{run}-{n}",
            "load-{runn}",
            "request[1].headers.Idempotency-Key",
        ),
        (
            "name = \"thing-{n}\"",
            "name = \"thing-{id}\"",
            "seed[0] (thing).body",
        ),
        (
            "capture = \"/id\"",
            "capture = \"id\"",
            "seed[0] (thing).capture `id` must be a JSON pointer",
        ),
        (
            "name = \"thing\"",
            "name = \"n\"",
            "seed[0].name `n` is reserved",
        ),
        (
            "name = \"reads\"",
            "name = \"Reads!\"",
            "scenario[0].name `Reads!` must be 1 to 40 of",
        ),
        (
            "expect_status = [201]",
            "expect_status = [42]",
            "request[1].expect_status: 42 is not an HTTP status",
        ),
        (
            "[auth]",
            "[authentication]",
            "unknown field `authentication`",
        ),
    ];
    for (from, to, expected) in cases {
        let error = error_with(from, to);
        assert!(
            error.contains(expected),
            "`{to}`: expected `{expected}` in: {error}"
        );
    }
}

#[test]
fn a_file_without_scenarios_or_requests_is_refused() {
    let no_scenario = VALID.split("[[scenario]]").next().unwrap();
    let error = format!("{:#}", parse(no_scenario).unwrap_err());
    assert!(error.contains("there is no [[scenario]]"), "{error}");
    let no_request = VALID.split("[[scenario.request]]").next().unwrap();
    let error = format!("{:#}", parse(no_request).unwrap_err());
    assert!(
        error.contains("scenario[0] (reads) has no [[scenario.request]]"),
        "{error}"
    );
}

#[test]
fn the_committed_renderings_loadtest_toml_is_valid() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/orders/loadtest.toml");
    let config = load(&path).unwrap();
    assert!(!config.scenarios.is_empty());
    assert!(
        config.smoke.duration <= config.run.duration,
        "the smoke run is the shorter one"
    );
}

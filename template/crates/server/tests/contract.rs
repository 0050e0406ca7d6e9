//! Declared = enforced: the OpenAPI document the running service serves is read, and every
//! bound it declares on an input (a body property's `maxLength`, `minimum`, `maximum`, a
//! parameter's `maxLength` or `maximum`) is tried on both sides through the real service: at
//! the bound the request is accepted, one past it is refused with a problem (422 for bodies,
//! 400 for parameters). A bound added to a DTO or a parameter is probed without a new test.
// Test code: a panic is how a failed expectation reports itself.
#![allow(clippy::unwrap_used)]

mod support;

use serde_json::{Value, json};
use support::{TestDatabase, TestServer, authorized, problem};

fn valid_order() -> Value {
    json!({ "customer_email": "ada@example.com", "amount_minor": 1250, "currency": "EUR", "note": "n" })
}

/// A value of `property` that is `length` characters long and otherwise valid.
fn of_length(property: &str, length: usize) -> String {
    match property {
        "customer_email" => format!("{}@x.io", "a".repeat(length - 5)),
        "currency" => "EURO".chars().cycle().take(length).collect(),
        _ => "a".repeat(length),
    }
}

/// A bound the document wrote as a float, as the exact integer it stands for.
fn integer(bound: f64) -> i64 {
    assert!(bound.fract() == 0.0 && bound.abs() < 2f64.powi(53), "{bound} is an exact integer");
    format!("{bound:.0}").parse().unwrap()
}

async fn document(server: &TestServer) -> Value {
    server.client.get(server.url("/openapi.json")).send().await.unwrap().json().await.unwrap()
}

#[tokio::test]
async fn every_bound_of_the_create_body_is_enforced_on_both_sides() {
    let server = TestServer::start(TestDatabase::sqlite()).await;
    let document = document(&server).await;
    let properties = document["components"]["schemas"]["CreateOrder"]["properties"]
        .as_object()
        .unwrap()
        .clone();
    let mut probed = 0;
    for (name, schema) in &properties {
        let mut cases: Vec<(Value, bool)> = Vec::new();
        if let Some(max) = schema["maxLength"].as_u64() {
            let max = usize::try_from(max).unwrap();
            if name != "currency" {
                cases.push((json!(of_length(name, max)), true));
            }
            cases.push((json!(of_length(name, max + 1)), false));
        }
        // poem-openapi writes numeric bounds as floats; the bounds here are exact integers.
        if let Some(max) = schema["maximum"].as_f64() {
            let max = integer(max);
            cases.push((json!(max), true));
            cases.push((json!(max + 1), false));
        }
        if let Some(min) = schema["minimum"].as_f64() {
            let min = integer(min);
            cases.push((json!(min), true));
            cases.push((json!(min - 1), false));
        }
        for (value, accepted) in cases {
            let mut body = valid_order();
            body[name] = value.clone();
            let response = authorized(server.client.post(server.url("/api/v1/orders")))
                .json(&body)
                .send()
                .await
                .unwrap();
            if accepted {
                assert_eq!(response.status(), 201, "{name} = {value} is within its bound");
            } else {
                let problem = problem(response, 422).await;
                let fields: Vec<&str> = problem["errors"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter_map(|error| error["field"].as_str())
                    .collect();
                assert_eq!(fields, [name.as_str()], "{name} = {value} is past its bound");
            }
            probed += 1;
        }
    }
    assert!(probed >= 8, "the document declares the body's bounds ({probed} probes)");
    server.stop().await;
}

#[tokio::test]
async fn every_bound_of_a_parameter_is_enforced_on_both_sides() {
    let server = TestServer::start(TestDatabase::sqlite()).await;
    let document = document(&server).await;
    let created: Value = authorized(server.client.post(server.url("/api/v1/orders")))
        .json(&valid_order())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    let mut probed = 0;
    for (path, operations) in document["paths"].as_object().unwrap() {
        for (method, operation) in operations.as_object().unwrap() {
            for parameter in operation["parameters"].as_array().into_iter().flatten() {
                let (name, place, schema) = (
                    parameter["name"].as_str().unwrap(),
                    parameter["in"].as_str().unwrap(),
                    &parameter["schema"],
                );
                let mut past: Vec<String> = Vec::new();
                if let Some(max) = schema["maxLength"].as_u64() {
                    past.push("A".repeat(usize::try_from(max).unwrap() + 1));
                }
                if let Some(max) = schema["maximum"].as_f64() {
                    past.push((integer(max) + 1).to_string());
                }
                for value in past {
                    let mut url = server.url(&path.replace("{id}", &id));
                    match place {
                        // The values are letters and digits: nothing to escape.
                        "query" => url = format!("{url}?{name}={value}"),
                        "header" => {}
                        _ => continue,
                    }
                    let builder = match method.as_str() {
                        "get" => server.client.get(&url),
                        "put" => server.client.put(&url),
                        "delete" => server.client.delete(&url),
                        _ => server.client.post(&url),
                    };
                    let builder = match place {
                        "header" => builder.header(name, value.as_str()),
                        _ => builder,
                    };
                    let response = authorized(builder).json(&valid_order()).send().await.unwrap();
                    let body = problem(response, 400).await;
                    assert!(!body["detail"].as_str().unwrap().is_empty(), "{method} {path} {name}");
                    probed += 1;
                }
            }
        }
    }
    assert!(probed >= 4, "the document declares the parameters' bounds ({probed} probes)");
    server.stop().await;
}

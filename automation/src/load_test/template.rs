//! Placeholders in `loadtest.toml` paths, header values and body strings: `{n}` (a number
//! unique within the run), `{run}` (this run's id) and `{<seed>}` (a value captured by that
//! `[[seed]]`, picked at random). Parsed once when the file is loaded, so a typo is an error
//! before any request is sent.

use std::sync::atomic::{AtomicU64, Ordering};

// Braces in messages come from constants, which keeps `{`/`}` pairs readable in the
// messages below.
const OPEN: char = '{';
const CLOSE: char = '}';

/// What a placeholder stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Var {
    Sequence,
    Run,
    Seed(usize),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Var(Var),
}

/// A string with placeholders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template(Vec<Part>);

/// The values placeholders are replaced with, for one worker.
#[derive(Debug)]
pub struct Values<'a> {
    pub run_id: &'a str,
    pub sequence: &'a AtomicU64,
    /// Captured values, in the order of the `[[seed]]` tables.
    pub seeds: &'a [Vec<String>],
    pub rng: fastrand::Rng,
}

impl Template {
    /// Parses `raw`; `seeds` are the names a `{<seed>}` placeholder may use. The error says
    /// what is wrong (the caller adds which key it was).
    pub fn parse(raw: &str, seeds: &[String]) -> Result<Self, String> {
        let mut parts = Vec::new();
        let mut rest = raw;
        while let Some(open) = rest.find('{') {
            if open > 0 {
                parts.push(Part::Text(rest[..open].to_owned()));
            }
            let after = &rest[open + 1..];
            let close = after
                .find('}')
                .ok_or_else(|| format!("`{raw}` has a `{OPEN}` without its closing brace"))?;
            let name = &after[..close];
            let var = match name {
                "n" => Var::Sequence,
                "run" => Var::Run,
                _ => seeds
                    .iter()
                    .position(|seed| seed == name)
                    .map(Var::Seed)
                    .ok_or_else(|| unknown_placeholder(raw, name, seeds))?,
            };
            parts.push(Part::Var(var));
            rest = &after[close + 1..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_owned()));
        }
        Ok(Self(parts))
    }

    pub fn render(&self, values: &mut Values<'_>) -> String {
        let mut out = String::new();
        for part in &self.0 {
            match part {
                Part::Text(text) => out.push_str(text),
                Part::Var(Var::Sequence) => {
                    let n = values.sequence.fetch_add(1, Ordering::Relaxed);
                    out.push_str(&n.to_string());
                }
                Part::Var(Var::Run) => out.push_str(values.run_id),
                Part::Var(Var::Seed(index)) => {
                    let pool = values.seeds.get(*index).map_or(&[][..], Vec::as_slice);
                    if !pool.is_empty() {
                        out.push_str(&pool[values.rng.usize(..pool.len())]);
                    }
                }
            }
        }
        out
    }
}

fn unknown_placeholder(raw: &str, name: &str, seeds: &[String]) -> String {
    let mut known = vec!["{n}".to_owned(), "{run}".to_owned()];
    known.extend(seeds.iter().map(|seed| format!("{OPEN}{seed}{CLOSE}")));
    format!(
        "`{raw}` uses the unknown placeholder `{OPEN}{name}{CLOSE}`; known: {}",
        known.join(", ")
    )
}

/// A JSON body whose strings may hold placeholders.
#[derive(Debug, Clone, PartialEq)]
pub enum JsonTemplate {
    Literal(serde_json::Value),
    String(Template),
    Array(Vec<JsonTemplate>),
    Object(Vec<(String, JsonTemplate)>),
}

impl JsonTemplate {
    pub fn parse(value: &serde_json::Value, seeds: &[String]) -> Result<Self, String> {
        Ok(match value {
            serde_json::Value::String(text) => Self::String(Template::parse(text, seeds)?),
            serde_json::Value::Array(items) => Self::Array(
                items
                    .iter()
                    .map(|item| Self::parse(item, seeds))
                    .collect::<Result<_, _>>()?,
            ),
            serde_json::Value::Object(fields) => Self::Object(
                fields
                    .iter()
                    .map(|(key, item)| Ok((key.clone(), Self::parse(item, seeds)?)))
                    .collect::<Result<_, String>>()?,
            ),
            other => Self::Literal(other.clone()),
        })
    }

    pub fn render(&self, values: &mut Values<'_>) -> serde_json::Value {
        match self {
            Self::Literal(value) => value.clone(),
            Self::String(template) => serde_json::Value::String(template.render(values)),
            Self::Array(items) => items.iter().map(|item| item.render(values)).collect(),
            Self::Object(fields) => fields
                .iter()
                .map(|(key, item)| (key.clone(), item.render(values)))
                .collect::<serde_json::Map<_, _>>()
                .into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values<'a>(sequence: &'a AtomicU64, seeds: &'a [Vec<String>]) -> Values<'a> {
        Values {
            run_id: "r1",
            sequence,
            seeds,
            rng: fastrand::Rng::with_seed(7),
        }
    }

    #[test]
    fn placeholders_are_replaced() {
        let seeds = vec!["order".to_owned()];
        let template = Template::parse("/orders/{order}?k={run}-{n}-{n}", &seeds).unwrap();
        let sequence = AtomicU64::new(5);
        let pool = vec![vec!["abc".to_owned()]];
        let mut values = values(&sequence, &pool);
        assert_eq!(template.render(&mut values), "/orders/abc?k=r1-5-6");
    }

    #[test]
    fn unknown_and_unclosed_placeholders_are_refused() {
        let err = Template::parse("/orders/{ordr}", &["order".to_owned()]).unwrap_err();
        assert!(
            err.contains("unknown placeholder `{ordr}`") && err.contains("{order}"),
            "{err}"
        );
        let err = Template::parse("/orders/{n", &[]).unwrap_err();
        assert!(err.contains("without its closing brace"), "{err}");
    }

    #[test]
    fn json_bodies_keep_their_shape() {
        let body =
            serde_json::json!({ "email": "u{n}@example.com", "amount": 5, "tags": ["{run}"] });
        let template = JsonTemplate::parse(&body, &[]).unwrap();
        let sequence = AtomicU64::new(1);
        let mut values = values(&sequence, &[]);
        assert_eq!(
            template.render(&mut values),
            serde_json::json!({ "email": "u1@example.com", "amount": 5, "tags": ["r1"] })
        );
    }
}

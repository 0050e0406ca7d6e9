//! Tests of the `rules` module.

use super::*;

/// A deterministic random-looking string; tests build secrets at run time so that the
/// source itself stays clean for the scan.
fn random_token(alphabet: &[u8], length: usize) -> String {
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    (0..length)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            char::from(alphabet[(state % alphabet.len() as u64) as usize])
        })
        .collect()
}

/// Alphabets, built so that the source holds no long random-looking literal.
fn alphabet(ranges: &[(u8, u8)]) -> Vec<u8> {
    ranges
        .iter()
        .flat_map(|(first, last)| *first..=*last)
        .collect()
}

fn alphanumeric() -> Vec<u8> {
    alphabet(&[(b'A', b'Z'), (b'a', b'z'), (b'0', b'9')])
}

fn rules_hit(line: &str) -> Vec<&'static str> {
    let rules = Rules::new().map_err(|err| err.to_string());
    rules
        .map(|rules| rules.find(line, true).iter().map(|hit| hit.rule).collect())
        .unwrap_or_default()
}

#[test]
fn finds_each_known_format() {
    let alnum = &alphanumeric();
    let cases = [
        (
            ["-----BEGIN ", "RSA PRIVATE KEY-----"].concat(),
            "private-key",
        ),
        (
            ["-----BEGIN ", "OPENSSH PRIVATE KEY-----"].concat(),
            "private-key",
        ),
        (["AKIA", "QWERTYUIOPASDF12"].concat(), "aws-access-key-id"),
        (
            ["gh", "p_", &random_token(alnum, 36)].concat(),
            "github-token",
        ),
        (
            ["github", "_pat_", &random_token(alnum, 30)].concat(),
            "github-token",
        ),
        (
            ["gl", "pat-", &random_token(alnum, 20)].concat(),
            "gitlab-token",
        ),
        (
            ["xo", "xb-", &random_token(alnum, 24)].concat(),
            "slack-token",
        ),
        (
            ["sk", "_live_", &random_token(alnum, 24)].concat(),
            "stripe-key",
        ),
        (["npm", "_", &random_token(alnum, 36)].concat(), "npm-token"),
        (
            [
                "const URL: &str = \"postgres://app:",
                "s3cr3t-Pa55@db/app\";",
            ]
            .concat(),
            "url-password",
        ),
    ];
    for (line, rule) in cases {
        let hits = rules_hit(&line);
        assert!(
            hits.contains(&rule),
            "{rule} not found in a planted line: {hits:?}"
        );
    }
}

#[test]
fn finds_random_strings_of_every_shape() {
    let mut base64_alphabet = alphanumeric();
    base64_alphabet.extend_from_slice(b"+/");
    let base64 = random_token(&base64_alphabet, 40);
    let hex = random_token(&alphabet(&[(b'0', b'9'), (b'a', b'f')]), 40);
    let lower = random_token(&alphabet(&[(b'a', b'z'), (b'0', b'9')]), 32);
    for token in [&base64, &hex, &lower] {
        for line in [
            format!("key = \"{token}\""),
            format!("API_KEY={token}"),
            format!("  secret: {token}"),
            format!("url = \"https://api.example.io/v1/items?key={token}\""),
        ] {
            assert_eq!(rules_hit(&line), ["high-entropy"], "{line}");
        }
    }
    // Outside a value (prose, code, a certificate's body) a random string is not a secret.
    assert_eq!(
        rules_hit(&format!("{base64} is the body of a public certificate")),
        Vec::<&str>::new()
    );
}

#[test]
fn is_silent_on_ordinary_and_development_values() {
    for line in [
        "jwt_secret = \"development-only-secret-change-me-0123456789\"",
        "pub const TEST_JWT_SECRET: &str = \"integration-test-secret-0123456789abcdef\";",
        "DATABASE_URL=postgres://user:password@host:5432/db",
        "TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres",
        "url = \"postgres://app:${DB_PASSWORD}@db/app\"",
        "aws_access_key_id = AKIAIOSFODNN7EXAMPLE",
        "use crate::security::metadata::{Metadata, Package};",
        "see crates/server/tests/support/mod.rs and docs/architecture.md",
        "fn normal_dependency_paths_from_the_resolve_graph_of_cargo_metadata()",
        "id = \"0192f1a8-7c1e-7a4b-9b6e-3f1d2c4b5a69\"",
        "rule = \"advisories/RUSTSEC-2023-0071\" # https://rustsec.org/advisories/RUSTSEC-2023-0071",
        "let name = SecurityScanReportFormatterV2::new(UTF8_TO_BASE64_CONVERSION);",
        "#[cfg(feature = \"Win32_Security_Cryptography\")] #[link_name = \"aws_lc_0_47_0_X509_STORE_CTX\"]",
        "// https://github.com/tokio-rs/tokio/blob/1b5288e6eea6df074758f877c849b6e73bbb9fbb/README.md",
    ] {
        assert_eq!(rules_hit(line), Vec::<&str>::new(), "{line}");
    }
}

#[test]
fn entropy_is_off_for_lockfiles() -> anyhow::Result<()> {
    let checksum = format!(
        "checksum = \"{}\"",
        random_token(&alphabet(&[(b'0', b'9'), (b'a', b'f')]), 64)
    );
    assert!(Rules::new()?.find(&checksum, false).is_empty());
    assert!(!Rules::new()?.find(&checksum, true).is_empty());
    Ok(())
}

#[test]
fn entropy_of_known_strings() {
    assert!(shannon_entropy("aaaa").abs() < f64::EPSILON);
    assert!((shannon_entropy("abcd") - 2.0).abs() < 1e-9);
}

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
    // One letter case: lower case only, upper case with digits, upper case only.
    let lower_letters = random_token(&alphabet(&[(b'a', b'z')]), 32);
    let upper = random_token(&alphabet(&[(b'A', b'Z'), (b'0', b'9')]), 24);
    let upper_letters = random_token(&alphabet(&[(b'A', b'Z')]), 24);
    // A 19-character key.
    let short = random_token(&alphanumeric(), 19);
    for token in [
        &base64,
        &hex,
        &lower,
        &lower_letters,
        &upper,
        &upper_letters,
        &short,
    ] {
        for line in [
            format!("signing = \"{token}\""),
            format!("VALUE={token}"),
            format!("  data: {token}"),
            format!("url = \"https://api.example.io/v1/items?key={token}\""),
            // In a comment, too.
            format!("// the old one: \"{token}\""),
            format!("# key: {token}"),
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
fn finds_values_given_to_secret_names_and_url_passwords() {
    let hex31 = random_token(&alphabet(&[(b'0', b'9'), (b'a', b'f')]), 31);
    let cases = [
        (
            ["password = \"Tr0ub", "4dor&3x!\""].concat(),
            "named-secret",
        ),
        (format!("client_secret = \"{hex31}\""), "named-secret"),
        (format!("  client_secret: '{hex31}'"), "named-secret"),
        (format!("# CLIENT_SECRET={hex31}"), "named-secret"),
        (format!("export API_TOKEN={hex31}"), "named-secret"),
        // A word inside a value says nothing about it.
        (
            ["api_key = \"example-", "Zq4Wx7Rt\""].concat(),
            "named-secret",
        ),
        (["token = \"fake-", "Zq4Wx7Rt\""].concat(), "named-secret"),
        (
            ["DATABASE_URL=postgres://admin:", "secret@db.internal/app"].concat(),
            "url-password",
        ),
        (
            ["url = \"postgres://admin:", "p%40ss%2Fw0rd@db/app\""].concat(),
            "url-password",
        ),
        (
            ["url = \"postgres://admin:", "pa/ss@db/app\""].concat(),
            "url-password",
        ),
        (
            ["// mysql://root:", "hunter22@10.0.0.5/app"].concat(),
            "url-password",
        ),
    ];
    for (line, rule) in cases {
        let hits = rules_hit(&line);
        assert!(hits.contains(&rule), "{rule} not found in {line}: {hits:?}");
    }
}

#[test]
fn finds_an_aws_key_pair_even_when_it_says_example() {
    let mut base64_alphabet = alphanumeric();
    base64_alphabet.extend_from_slice(b"+/");
    let secret = random_token(&base64_alphabet, 40);
    let id_line = ["aws_access_key_id = AKIA", "Q7ZR2LMX9VT4BN8S"].concat();
    assert_eq!(rules_hit(&id_line), ["aws-access-key-id"]);
    let documented = ["aws_access_key_id = AKIA", "IOSFODNN7EXAMPLE"].concat();
    assert_eq!(rules_hit(&documented), ["aws-access-key-id"]);
    let secret_line = format!("aws_secret_access_key = {secret}");
    assert_eq!(rules_hit(&secret_line), ["high-entropy"]);
    let quoted = format!("aws_secret_access_key = \"{secret}\"");
    assert_eq!(rules_hit(&quoted), ["named-secret"]);
}

#[test]
fn is_silent_on_ordinary_values_and_references() {
    for line in [
        "DATABASE_URL=postgres://user:password@host:5432/db",
        "TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres",
        "url = \"postgres://app:${DB_PASSWORD}@db/app\"",
        "see https://docs.example.com:8443/guide/@latest",
        "password = \"${DB_PASSWORD}\"",
        "jwt_secret: \"%(jwt_secret)s\"",
        "secret = \"the signing secret\"",
        "password: String,",
        "token: Option<SecretString>,",
        "let token = mint(&secret);",
        "use crate::security::metadata::{Metadata, Package};",
        "see crates/server/tests/support/mod.rs and docs/architecture.md",
        "fn normal_dependency_paths_from_the_resolve_graph_of_cargo_metadata()",
        "id = \"0192f1a8-7c1e-7a4b-9b6e-3f1d2c4b5a69\"",
        "rule = \"advisories/RUSTSEC-2023-0071\" # https://rustsec.org/advisories/RUSTSEC-2023-0071",
        "let name = SecurityScanReportFormatterV2::new(UTF8_TO_BASE64_CONVERSION);",
        "#[cfg(feature = \"Win32_Security_Cryptography\")] #[link_name = \"aws_lc_0_47_0_X509_STORE_CTX\"]",
        "// https://github.com/tokio-rs/tokio/blob/1b5288e6eea6df074758f877c849b6e73bbb9fbb/README.md",
        "name = \"HttpConnectionPoolSettings\"",
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

//! How strong `auth.jwt_secret` must be: at least 32 bytes everywhere; in production also
//! none of the secrets committed to the repository, and enough estimated entropy that a
//! placeholder (`"a"` x 32, `passwordpassword...`) is refused.

/// The secret shipped in `config/development.toml`, refused in production.
pub const DEVELOPMENT_JWT_SECRET: &str = "development-only-secret-change-me-0123456789";
/// The secret shipped in `config/test.toml`, refused in production.
pub const TEST_PROFILE_JWT_SECRET: &str = "test-only-secret-not-for-production-0123456789";
/// The integration tests' secret (`crates/server/tests/support`), refused in production.
pub const INTEGRATION_TEST_JWT_SECRET: &str = "integration-test-secret-0123456789abcdef";

/// Shortest secret: HS256 keys shorter than its 256-bit output weaken it.
pub const MIN_BYTES: usize = 32;
/// Least estimated entropy, in bits, of a production secret. The estimate (Shannon entropy of
/// the secret's own characters, times its length) undercounts: 32 random hex digits score
/// about 110, 48 random base64 bytes (`openssl rand -base64 48`) about 330.
pub const MIN_ESTIMATED_BITS: f64 = 96.0;
/// Least distinct characters in a production secret.
pub const MIN_DISTINCT_CHARACTERS: usize = 10;

/// What is wrong with `secret` in `production` (or elsewhere), if anything.
pub fn weakness(secret: &str, production: bool) -> Option<String> {
    if secret.len() < MIN_BYTES {
        return Some(format!("must be at least {MIN_BYTES} bytes"));
    }
    if !production {
        return None;
    }
    if [DEVELOPMENT_JWT_SECRET, TEST_PROFILE_JWT_SECRET, INTEGRATION_TEST_JWT_SECRET].contains(&secret) {
        return Some("is a secret committed to the repository, refused in production".to_owned());
    }
    let (distinct, bits) = estimate(secret);
    if distinct < MIN_DISTINCT_CHARACTERS || bits < MIN_ESTIMATED_BITS {
        return Some(format!(
            "is too guessable for production: {distinct} distinct characters, about {bits:.0} bits \
             of entropy (needs {MIN_DISTINCT_CHARACTERS} and {MIN_ESTIMATED_BITS:.0}); generate \
             one with `openssl rand -base64 48`"
        ));
    }
    None
}

/// Distinct characters, and the Shannon entropy of their frequencies times the length.
fn estimate(secret: &str) -> (usize, f64) {
    let mut counts = std::collections::HashMap::<char, usize>::new();
    for character in secret.chars() {
        *counts.entry(character).or_default() += 1;
    }
    let length = secret.chars().count() as f64;
    let per_character: f64 = counts
        .values()
        .map(|&count| {
            let share = count as f64 / length;
            -share * share.log2()
        })
        .sum();
    (counts.len(), per_character * length)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn production_refuses_short_committed_and_guessable_secrets() {
        let refused = [
            "short",
            &"a".repeat(32),
            &"ab".repeat(32),
            "passwordpasswordpasswordpassword",
            "00000000000000000000000000000000000000000000001",
            DEVELOPMENT_JWT_SECRET,
            TEST_PROFILE_JWT_SECRET,
            INTEGRATION_TEST_JWT_SECRET,
        ];
        for secret in refused {
            assert!(weakness(secret, true).is_some(), "{secret} was accepted");
        }
        use test_support::{BASE64_ALPHABET, random_looking_secret};
        let accepted = [
            random_looking_secret(48, BASE64_ALPHABET),
            random_looking_secret(32, BASE64_ALPHABET),
            random_looking_secret(32, "0123456789abcdef"),
        ];
        for secret in accepted {
            assert_eq!(weakness(&secret, true), None, "{secret}");
        }
    }

    #[test]
    fn other_profiles_only_need_the_length() {
        assert_eq!(weakness(&"a".repeat(32), false), None);
        assert_eq!(weakness(DEVELOPMENT_JWT_SECRET, false), None);
        assert!(weakness("short", false).is_some());
    }
}

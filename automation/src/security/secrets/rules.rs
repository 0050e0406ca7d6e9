//! What a secret looks like: known credential formats, URLs with a password, values assigned
//! to a secret-sounding name (`password = "..."`, `client_secret: '...'`, `API_TOKEN=...`),
//! and random-looking strings (Shannon entropy), in code and comments alike.
//!
//! Nothing is exempted for what it says about itself (`fake`, `example`, `development`): a
//! value that is not a credential is allowed by its path and fingerprint in the allowlist
//! (`[workspace.metadata.secrets]` in `Cargo.toml`), where a reviewer sees it. Only references
//! (`${DB_PASSWORD}`, `%(password)s`) and the bare placeholder words (`password`, `changeme`)
//! are not values.

use regex::Regex;

/// One match of a rule in a line; `text` is the secret itself and must never be printed.
#[derive(Debug)]
pub struct Hit {
    pub rule: &'static str,
    pub what: &'static str,
    pub text: String,
}

/// Known formats: (rule, what it is, pattern).
const FORMATS: &[(&str, &str, &str)] = &[
    (
        "private-key",
        "a private key",
        r"-----BEGIN[ A-Z0-9]*PRIVATE KEY( BLOCK)?-----",
    ),
    (
        "aws-access-key-id",
        "an AWS access key id",
        r"\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA)[A-Z0-9]{16}\b",
    ),
    (
        "github-token",
        "a GitHub token",
        r"\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b",
    ),
    (
        "gitlab-token",
        "a GitLab token",
        r"\bgl(?:pat|dt|ptt|rt)-[A-Za-z0-9_-]{20,}",
    ),
    (
        "slack-token",
        "a Slack token",
        r"\bxox[abposr]-[A-Za-z0-9-]{10,}",
    ),
    (
        "slack-webhook",
        "a Slack webhook",
        r"https://hooks\.slack\.com/services/[A-Za-z0-9/]{20,}",
    ),
    (
        "stripe-key",
        "a Stripe live key",
        r"\b[rs]k_live_[A-Za-z0-9]{20,}\b",
    ),
    (
        "google-api-key",
        "a Google API key",
        r"\bAIza[0-9A-Za-z_-]{35}\b",
    ),
    ("npm-token", "an npm token", r"\bnpm_[A-Za-z0-9]{36}\b"),
    (
        "crates-io-token",
        "a crates.io token",
        r"\bcio[A-Za-z0-9]{32}\b",
    ),
    (
        "jwt",
        "a JSON Web Token",
        r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}",
    ),
];

/// Words that documentation uses to mean "your password here": the whole value, never a part.
const PLACEHOLDER_PASSWORDS: &[&str] = &[
    "password",
    "passwd",
    "changeme",
    "change-me",
    "change_me",
    "redacted",
];

/// A value assigned to a secret-sounding name is a secret from this length on.
const MIN_NAMED_SECRET_LENGTH: usize = 8;
/// Random-looking strings: at least this long (a 16-character key is 95 bits) ...
const MIN_TOKEN_LENGTH: usize = 16;
/// ... and hex strings at least this long (shorter ones are ids and short hashes).
const MIN_HEX_LENGTH: usize = 32;
/// Bits per character above which a hex string is random (a random one has ~3.7).
const HEX_ENTROPY: f64 = 3.0;
/// For other strings: with upper case, lower case and digits all present, or two of those
/// classes and no separator (`-`, `_`, `/`, `+`) ...
const RANDOM_ENTROPY: f64 = 4.0;
/// ... or two classes and separators, which is how phrases look: words joined by `-` stay below.
const PHRASE_ENTROPY: f64 = 4.5;

/// The share of a token in words above which it is a phrase, not a key.
const PHRASE_COVERAGE: f64 = 0.8;
/// Below this share of vowels among its letters, a token without separators is not made of
/// words (English has about 38 %, random letters 19 %, random base64 16 %).
const WORD_VOWEL_SHARE: f64 = 0.25;
/// Words seldom have this many consonants in a row (`strengths` has five); random letters do.
const MAX_WORD_CONSONANTS: usize = 6;

#[derive(Debug)]
pub struct Rules {
    formats: Vec<(&'static str, &'static str, Regex)>,
    url_password: Regex,
    named_secret: Regex,
    value: Regex,
    url_path: Regex,
    token: Regex,
    word: Regex,
}

impl Rules {
    pub fn new() -> anyhow::Result<Self> {
        let formats = FORMATS
            .iter()
            .map(|(rule, what, pattern)| Ok((*rule, *what, Regex::new(pattern)?)))
            .collect::<anyhow::Result<_>>()?;
        Ok(Rules {
            formats,
            // The password may hold `/` and percent-escapes; `host:8080/path@x` is a port.
            url_password: Regex::new(
                r#"\b[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@"'<>]+:([^\s@"'<>]*)@"#,
            )?,
            // A secret-sounding name, then `=` or `:`, then a quoted value; unquoted only as
            // `NAME=value` (a dotenv or shell line).
            named_secret: Regex::new(
                r#"(?i)(?:\b[a-z0-9_.-]*(?:password|passwd|pwd|secret|token|api[_.-]?key|access[_.-]?key|private[_.-]?key|credentials?)\b["']?\s*[:=]\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'))|(?-i:^\s*(?:(?:#|//)\s*)?(?:export\s+)?[A-Z0-9_]*(?:PASSWORD|PASSWD|PWD|SECRET|TOKEN|API_KEY|ACCESS_KEY|PRIVATE_KEY|CREDENTIALS?)[A-Z0-9_]*=([^\s"'#]+))"#,
            )?,
            value: Regex::new(
                r#""((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|(?:^|[\s{,(])[A-Za-z_][A-Za-z0-9_.-]*\s*[:=]\s*([^\s"'`#,;)}\]]+)"#,
            )?,
            url_path: Regex::new(r#"\b[A-Za-z][A-Za-z0-9+.-]*://[^\s?#"'<>]+"#)?,
            token: Regex::new(r"[A-Za-z0-9+/_-]+=*")?,
            word: Regex::new(r"[A-Z]?[a-z]{2,}|[A-Z]{2,}|[0-9]+")?,
        })
    }

    /// Every secret in `line`. `entropy` is off for files full of checksums (`Cargo.lock`).
    pub fn find(&self, line: &str, entropy: bool) -> Vec<Hit> {
        let mut hits = Vec::new();
        for (rule, what, pattern) in &self.formats {
            for found in pattern.find_iter(line) {
                hits.push(Hit {
                    rule,
                    what,
                    text: found.as_str().to_owned(),
                });
            }
        }
        for captures in self.url_password.captures_iter(line) {
            let password = captures.get(1).map_or("", |m| m.as_str());
            let port = password.split('/').next().is_some_and(|first| {
                !first.is_empty() && first.bytes().all(|b| b.is_ascii_digit())
            });
            if !port && !is_placeholder_password(password) {
                hits.push(Hit {
                    rule: "url-password",
                    what: "a URL with a password",
                    text: password.to_owned(),
                });
            }
        }
        for captures in self.named_secret.captures_iter(line) {
            let Some(value) = (1..=3).find_map(|group| captures.get(group)) else {
                continue;
            };
            let value = value.as_str();
            let already = hits.iter().any(|hit| value.contains(&hit.text));
            if !already && is_named_secret(value) {
                hits.push(Hit {
                    rule: "named-secret",
                    what: "a value assigned to a secret's name",
                    text: value.to_owned(),
                });
            }
        }
        if entropy {
            for token in self.candidates(line) {
                let already = hits
                    .iter()
                    .any(|hit| token.contains(&hit.text) || hit.text.contains(token));
                if !already && looks_random(token) && !self.is_phrase(token) {
                    hits.push(Hit {
                        rule: "high-entropy",
                        what: "a high-entropy string",
                        text: token.to_owned(),
                    });
                }
            }
        }
        hits
    }
}

impl Rules {
    /// The tokens that may be secrets: those in values (quoted strings, and the unquoted
    /// value of `key = value` or `key: value`) but not in a URL's path (commit hashes, page
    /// names). Identifiers, paths and prose are left alone, as detect-secrets does.
    fn candidates<'a>(&self, line: &'a str) -> Vec<&'a str> {
        let url_paths: Vec<(usize, usize)> = self
            .url_path
            .find_iter(line)
            .map(|m| (m.start(), m.end()))
            .collect();
        let mut tokens = Vec::new();
        for captures in self.value.captures_iter(line) {
            let Some(value) = (1..=3).find_map(|group| captures.get(group)) else {
                continue;
            };
            for token in self.token.find_iter(value.as_str()) {
                let (start, end) = (value.start() + token.start(), value.start() + token.end());
                if !url_paths
                    .iter()
                    .any(|(from, to)| *from <= start && end <= *to)
                {
                    tokens.push(token.as_str());
                }
            }
        }
        tokens
    }

    /// Words, numbers and identifiers joined by separators (`RUSTSEC-2021-0003`,
    /// `docs/Web/API/CanvasRenderingContext2D`, `aws_lc_0_47_0_X509_STORE`): at least
    /// [`PHRASE_COVERAGE`] of the characters are in words (`[A-Z]?[a-z]{2,}`), acronyms or
    /// numbers at least three long, or in parts of at most two. Random text seldom is (about
    /// 1% of base64 keys, 10% of lower-case-and-digit ones: those are missed).
    fn is_phrase(&self, token: &str) -> bool {
        if token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return false;
        }
        // One run of letters and digits with few vowels is not words, whatever the case.
        let letters: Vec<u8> = token.bytes().filter(u8::is_ascii_alphabetic).collect();
        let vowels = letters.iter().filter(|b| b"aeiouAEIOU".contains(b)).count();
        let separated = token.contains(['-', '_', '/', '+', '=']);
        let consonant_run = token
            .split(|c: char| !c.is_ascii_alphabetic() || "aeiouyAEIOUY".contains(c))
            .map(str::len)
            .max()
            .unwrap_or_default();
        // Upper-case words are joined by `_` (`MAX_CONNECTIONS`): a run of capitals and digits
        // alone is not words.
        let shouting = !token.bytes().any(|b| b.is_ascii_lowercase());
        if !separated
            && letters.len() >= 8
            && (shouting
                || (vowels as f64) < WORD_VOWEL_SHARE * letters.len() as f64
                || consonant_run >= MAX_WORD_CONSONANTS)
        {
            return false;
        }
        let (mut covered, mut total) = (0, 0);
        for part in token.split(['-', '_', '/', '+', '=']) {
            total += part.len();
            covered += if part.len() <= 2 {
                part.len()
            } else {
                self.word
                    .find_iter(part)
                    .map(|m| m.len())
                    .filter(|len| *len >= 3)
                    .sum()
            };
        }
        total > 0 && covered as f64 >= PHRASE_COVERAGE * total as f64
    }
}

/// Shannon entropy in bits per character.
pub fn shannon_entropy(text: &str) -> f64 {
    let mut counts = [0usize; 256];
    for byte in text.bytes() {
        counts[usize::from(byte)] += 1;
    }
    let length = text.len() as f64;
    counts
        .iter()
        .filter(|count| **count > 0)
        .map(|count| {
            let p = *count as f64 / length;
            -p * p.log2()
        })
        .sum()
}

/// A base64- or hex-like token long and random enough to be a key.
fn looks_random(token: &str) -> bool {
    let token = token.trim_end_matches('=');
    if token.len() < MIN_TOKEN_LENGTH {
        return false;
    }
    let entropy = shannon_entropy(token);
    // Short strings cannot reach the entropy of long ones: log2(length) bounds it.
    let at_least = |wanted: f64| entropy >= wanted.min((token.len() as f64).log2() - 0.8);
    if token.bytes().all(|b| b.is_ascii_hexdigit()) {
        let letters = token.bytes().any(|b| b.is_ascii_alphabetic());
        let digits = token.bytes().any(|b| b.is_ascii_digit());
        return token.len() >= MIN_HEX_LENGTH && letters && digits && entropy >= HEX_ENTROPY;
    }
    let classes = [
        token.bytes().any(|b| b.is_ascii_uppercase()),
        token.bytes().any(|b| b.is_ascii_lowercase()),
        token.bytes().any(|b| b.is_ascii_digit()),
    ];
    let separated = token.contains(['-', '_', '/', '+']);
    match classes.iter().filter(|present| **present).count() {
        3 => at_least(RANDOM_ENTROPY),
        2 if separated => at_least(PHRASE_ENTROPY),
        2 => at_least(RANDOM_ENTROPY),
        // Letters of one case only: long ones, as random as such a string gets.
        _ => token.len() >= 20 && at_least(RANDOM_ENTROPY - 0.5),
    }
}

/// A reference to a secret kept elsewhere, or a placeholder word: not a value.
fn is_placeholder_password(password: &str) -> bool {
    let lower = password.to_ascii_lowercase();
    password.is_empty()
        || password.starts_with(['$', '{', '<', '['])
        || password.starts_with("%(")
        || password.contains('{')
        || password
            .bytes()
            .all(|b| b == b'*' || b == b'x' || b == b'X' || b == b'.')
        || PLACEHOLDER_PASSWORDS.contains(&lower.as_str())
}

/// A value given to a secret's name that is a secret: long enough, one word (prose has
/// spaces), and no reference or placeholder.
fn is_named_secret(value: &str) -> bool {
    value.chars().count() >= MIN_NAMED_SECRET_LENGTH
        && !value.contains(char::is_whitespace)
        && !value.contains('{')
        && !is_placeholder_password(value)
}

#[cfg(test)]
mod tests;

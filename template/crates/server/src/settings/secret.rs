//! Settings that hold secrets print as `[redacted]`, in `Debug`, in logs and in the
//! `config` command alike: the types make forgetting impossible.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize, Serializer};

/// What a secret prints as.
pub const REDACTED: &str = "[redacted]";

{%- if auth %}

/// Serializes any secret as [`REDACTED`].
pub fn redacted<S: Serializer>(_: &SecretString, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(REDACTED)
}
{%- endif %}

/// `database.url`: the URL may carry a password (`postgres://app:fake-s3cret@db/app`), which it
/// prints as `postgres://app:[redacted]@db/app`. The rest of the URL stays readable, since
/// which host and database the service uses is what an operator needs to see.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct DatabaseUrl(SecretString);

impl DatabaseUrl {
    pub fn new(url: impl Into<String>) -> Self {
        Self(SecretString::from(url.into()))
    }

    /// The URL with its password, for connecting.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// The URL with its password (if any), in the user part or as a `password` query
    /// parameter, replaced by [`REDACTED`].
    pub fn redacted(&self) -> String {
        let url = self.expose();
        let (before_query, query) = match url.split_once('?') {
            Some((before, query)) => (before, Some(query)),
            None => (url, None),
        };
        let mut shown = redact_user_password(before_query);
        if let Some(query) = query {
            let pairs: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((key, _)) if key.eq_ignore_ascii_case("password") => {
                        format!("{key}={REDACTED}")
                    }
                    _ => pair.to_owned(),
                })
                .collect();
            shown = format!("{shown}?{}", pairs.join("&"));
        }
        shown
    }
}

/// `scheme://user:password@host/path` with the password replaced.
fn redact_user_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    // The authority ends at the first `/` or `#`; credentials end at its last `@`.
    let authority_end = rest.find(['/', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((credentials, host)) => match credentials.split_once(':') {
            Some((user, _password)) => format!("{scheme}://{user}:{REDACTED}@{host}{path}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl Serialize for DatabaseUrl {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.redacted())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_print_and_the_rest_of_the_url_does() {
        let cases = [
            ("postgres://app:fake-s3cret@db:5432/orders", "postgres://app:[redacted]@db:5432/orders"),
            // An `@` inside the password: credentials end at the last `@` of the authority.
            ("postgres://app:fake@pw@db/orders?sslmode=require", "postgres://app:[redacted]@db/orders?sslmode=require"),
            ("postgres://app@db/orders", "postgres://app@db/orders"),
            ("postgres://db/orders?user=x", "postgres://db/orders?user=x"),
            ("postgres://db/orders?user=x&password=y", "postgres://db/orders?user=x&password=[redacted]"),
            ("sqlite://data/app.db?mode=rwc", "sqlite://data/app.db?mode=rwc"),
            ("sqlite::memory:", "sqlite::memory:"),
        ];
        for (url, shown) in cases {
            let url = DatabaseUrl::new(url);
            assert_eq!(url.redacted(), shown);
            assert_eq!(format!("{url:?}"), shown);
            assert_eq!(serde_json::to_string(&url).unwrap(), format!("\"{shown}\""));
        }
        assert_eq!(DatabaseUrl::new("postgres://app:fake-s3cret@db/x").expose(), "postgres://app:fake-s3cret@db/x");
    }
}

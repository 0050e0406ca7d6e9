//! Only this machine is ever loaded: targets and database hosts must be loopback addresses
//! (127.0.0.0/8, ::1) or `localhost`; anything else is refused before a request is sent.

use std::net::IpAddr;

use anyhow::{Context, bail};
use reqwest::Url;

/// Refuses any URL whose host is not this machine.
pub fn check_url(raw: &str) -> anyhow::Result<Url> {
    let url = Url::parse(raw).with_context(|| format!("`{raw}` is not a URL"))?;
    if !matches!(url.scheme(), "http" | "https") {
        bail!("`{raw}`: only http and https targets are supported");
    }
    ensure_loopback(raw, url.host_str())?;
    Ok(url)
}

/// Refuses a database URL whose host is not this machine (SQLite files are fine).
pub fn check_database_url(raw: &str) -> anyhow::Result<()> {
    if raw.starts_with("sqlite:") {
        return Ok(());
    }
    let url = Url::parse(raw).with_context(|| format!("`{raw}` is not a database URL"))?;
    match url.host_str() {
        // No host: a Unix socket, on this machine.
        None | Some("") => Ok(()),
        host => ensure_loopback(raw, host),
    }
}

/// `host` as a URL writes it: `127.0.0.1`, `[::1]` or a name.
fn ensure_loopback(raw: &str, host: Option<&str>) -> anyhow::Result<()> {
    let local = host.is_some_and(|host| {
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        match bare.parse::<IpAddr>() {
            Ok(ip) => ip.is_loopback(),
            Err(_) => host.eq_ignore_ascii_case("localhost"),
        }
    });
    if !local {
        bail!(
            "`{raw}` is not on this machine: a load test only targets loopback addresses \
             (127.0.0.0/8, ::1, localhost)"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_targets_are_accepted() {
        for good in [
            "http://127.0.0.1:8080",
            "http://127.8.0.1",
            "http://[::1]:80/",
            "http://localhost:3000",
        ] {
            assert!(check_url(good).is_ok(), "{good}");
        }
        for bad in [
            "http://10.0.0.1",
            "http://192.168.1.5:8080",
            "https://example.com",
            "ftp://127.0.0.1",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
        assert!(check_database_url("sqlite://data/x.db?mode=rwc").is_ok());
        assert!(check_database_url("postgres://postgres@127.0.0.1:5432/db").is_ok());
        let err = check_database_url("postgres://user@db.internal:5432/db").unwrap_err();
        assert!(err.to_string().contains("not on this machine"), "{err}");
    }
}

//! A short memory of the bearer tokens already verified. A client sends the same token with
//! every request until it expires: its signature is checked and its claims parsed and checked
//! once, then served from here. Only tokens that passed every check are remembered, keyed by
//! the whole token (header, claims and signature: any other byte is another token, verified in
//! full), and a remembered token is served only while its `exp` (plus the leeway) has not
//! passed; after that it is verified again, and refused as expired.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use super::Claims;

/// Tokens remembered at most; when full, the memory starts afresh (bounded, and cheap).
const CAPACITY: usize = 1024;

#[derive(Debug, Default)]
pub(super) struct VerifiedTokens {
    tokens: Mutex<HashMap<Box<str>, Claims>>,
}

impl VerifiedTokens {
    /// The claims of `token` if it was verified before and has not expired at `now` (Unix
    /// seconds), `leeway` seconds allowed.
    pub(super) fn get(&self, token: &str, now: i64, leeway: i64) -> Option<Claims> {
        let tokens = self.tokens.lock().unwrap_or_else(PoisonError::into_inner);
        let claims = tokens.get(token)?;
        (claims.exp.saturating_add(leeway) >= now).then(|| claims.clone())
    }

    /// Remembers a token that passed every check.
    pub(super) fn insert(&self, token: &str, claims: &Claims) {
        let mut tokens = self.tokens.lock().unwrap_or_else(PoisonError::into_inner);
        if tokens.len() >= CAPACITY {
            tokens.clear();
        }
        tokens.insert(Box::from(token), claims.clone());
    }
}

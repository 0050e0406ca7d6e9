//! Idempotent creation, shared by every resource: the client's key, what it already stands for,
//! and how long it is remembered. The store is each resource's own port (orders:
//! `order::IdempotencyStore`): a new resource and its key are written in one transaction, and
//! the key's row refers to the resource's table.

use std::fmt;

use uuid::Uuid;

use crate::DomainError;

/// How long an idempotency key is remembered.
pub const IDEMPOTENCY_KEY_TTL_HOURS: i64 = 24;

/// A client-chosen key that makes a create request safe to retry: 1 to 255 visible ASCII
/// characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub const MAX_LEN: usize = 255;

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let valid =
            (1..=Self::MAX_LEN).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_graphic());
        if valid {
            Ok(Self(raw.to_owned()))
        } else {
            Err(DomainError::invalid(
                "idempotency_key",
                "must be 1 to 255 visible ASCII characters",
            ))
        }
    }

    /// The key of the charge that pays the resource `id` (an order) at `version`:
    /// `<id>-v<version>`. Every attempt to pay the same version sends the same key, so a
    /// gateway charges it at most once; a new version (after a change) is a new charge. Always
    /// valid for a UUID-like id (at most 58 characters).
    pub fn for_payment(id: impl fmt::Display, version: i64) -> Self {
        Self(format!("{id}-v{version}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What an idempotency key already stands for, if anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyUse {
    /// The key was new: the resource was stored together with it.
    First,
    /// The key (still valid) already created a resource; nothing was stored.
    Repeated {
        /// The id of the resource the first request created.
        id: Uuid,
        /// Whether the first request had the same fingerprint as this one.
        same_request: bool,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payment_keys_name_the_order_and_version_and_are_valid_keys() {
        let id = Uuid::from_u128(0xabc);
        let key = IdempotencyKey::for_payment(id, i64::MAX);
        assert_eq!(key.as_str(), format!("{id}-v{}", i64::MAX));
        assert_eq!(IdempotencyKey::parse(key.as_str()).unwrap(), key);
        assert_ne!(
            IdempotencyKey::for_payment(id, 1),
            IdempotencyKey::for_payment(id, 2)
        );
    }
}

//! Who is calling (ADR 0008), shared by every owned resource: the caller a use case acts for.
//! The token's subject owns what it creates and sees its own resources; with the resource's
//! admin scope (each resource passes its own, like `orders:admin`) it sees and acts on every one.

use domain::owner::{Caller, Owner};

use crate::ApiError;
use crate::auth::{BearerAuth, TokenRefusal};

/// The caller a verified token stands for: its subject, an administrator of the resource with
/// `admin_scope`.
pub fn caller_of(token: &BearerAuth, admin_scope: &str) -> Result<Caller, ApiError> {
    // `anonymous` owns what was created before owners existed (ADR 0008): no token may claim
    // it by choosing that subject.
    if token.0.sub == Owner::ANONYMOUS {
        return Err(ApiError::unauthorized(
            "the token's subject is reserved",
            TokenRefusal::Invalid.challenge(),
        ));
    }
    let owner = Owner::parse(&token.0.sub).map_err(|_| {
        ApiError::unauthorized(
            "the token's subject must be 1 to 255 characters without control characters",
            TokenRefusal::Invalid.challenge(),
        )
    })?;
    Ok(if token.0.has_scope(admin_scope) {
        Caller::administrator(owner)
    } else {
        Caller::owner(owner)
    })
}

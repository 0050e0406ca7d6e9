//! Who a resource belongs to, and who is asking: the ownership rule (ADR 0008) in one place,
//! shared by every owned resource (orders first).

use crate::DomainError;
use crate::values::check_free_text;

/// The subject a resource belongs to: the `sub` of the token that created it, or
/// [`Owner::ANONYMOUS`] in a service without authentication. 1 to 255 characters, no control
/// characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Owner(String);

impl Owner {
    /// Longest owner, in characters (the column holds 255).
    pub const MAX_CHARS: usize = 255;

    /// The owner of everything created without a token, and of the orders that existed before
    /// orders had owners (the migration that added the column gave them this one).
    pub const ANONYMOUS: &'static str = "anonymous";

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        if raw.is_empty() || raw.chars().count() > Self::MAX_CHARS {
            return Err(DomainError::invalid(
                "owner",
                "must be between 1 and 255 characters",
            ));
        }
        check_free_text("owner", raw, false)?;
        Ok(Self(raw.to_owned()))
    }

    /// The fixed owner of a service without authentication.
    pub fn anonymous() -> Self {
        Self(Self::ANONYMOUS.to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Who is calling a use case: the owner of what it creates, and whether the caller may see and
/// act on every resource of a kind (an administrator) or only on its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    owner: Owner,
    sees_all: bool,
}

impl Caller {
    /// A caller limited to its own resources.
    pub fn owner(owner: Owner) -> Self {
        Self {
            owner,
            sees_all: false,
        }
    }

    /// A caller who sees and acts on every resource of the kind it calls (the API grants it
    /// with the resource's admin scope); what it creates is still its own.
    pub fn administrator(owner: Owner) -> Self {
        Self {
            owner,
            sees_all: true,
        }
    }

    /// The owner of what this caller creates.
    pub fn as_owner(&self) -> &Owner {
        &self.owner
    }

    /// Whose resources this caller may see: `None` for everyone's.
    pub fn scope(&self) -> Option<&Owner> {
        (!self.sees_all).then_some(&self.owner)
    }

    /// Whether a resource of `owner` is visible to this caller. One that is not answers
    /// exactly as a missing one, so that callers never learn that it exists.
    pub fn may_see(&self, owner: &Owner) -> bool {
        self.scope().is_none_or(|mine| mine == owner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_are_bounded_and_free_of_control_characters() {
        assert!(Owner::parse("auth0|6543").is_ok());
        assert!(Owner::parse(&"é".repeat(Owner::MAX_CHARS)).is_ok());
        for bad in ["", "nul\0", "line\nbreak", &"s".repeat(Owner::MAX_CHARS + 1)] {
            assert!(Owner::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn owners_see_their_own_orders_and_administrators_all() {
        let ada = Owner::parse("ada").unwrap();
        let bob = Owner::parse("bob").unwrap();
        let caller = Caller::owner(ada.clone());
        assert!(caller.may_see(&ada));
        assert!(!caller.may_see(&bob));
        assert_eq!(caller.scope(), Some(&ada));
        let admin = Caller::administrator(ada.clone());
        assert!(admin.may_see(&bob));
        assert_eq!(admin.scope(), None);
        assert_eq!(admin.as_owner(), &ada);
    }
}

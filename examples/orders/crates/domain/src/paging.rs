//! Keyset paging, shared by every listed resource: a page ends at a [`Cursor`] (the creation
//! time and id of its last item), and the next page starts strictly after it, newest first.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::DomainError;

/// Largest page a list use case returns.
pub const MAX_PAGE_SIZE: u32 = 100;

/// A position in a newest-first listing: the item a page ended with. Items are ordered by
/// `(created_at, id)`, descending, so the position is exact even for equal timestamps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub created_at: DateTime<Utc>,
    pub id: Uuid,
}

impl Cursor {
    /// Whether an item created at `created_at` with `id` comes after this position (is older).
    pub fn precedes(&self, created_at: DateTime<Utc>, id: Uuid) -> bool {
        (created_at, id) < (self.created_at, self.id)
    }
}

/// The rule for a requested page size: 1 to [`MAX_PAGE_SIZE`].
pub fn check_page_size(limit: u32) -> Result<(), DomainError> {
    if (1..=MAX_PAGE_SIZE).contains(&limit) {
        Ok(())
    } else {
        Err(DomainError::invalid(
            "limit",
            format!("must be between 1 and {MAX_PAGE_SIZE}"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_sizes_are_bounded() {
        assert!(check_page_size(1).is_ok());
        assert!(check_page_size(MAX_PAGE_SIZE).is_ok());
        assert!(check_page_size(0).is_err());
        assert!(check_page_size(MAX_PAGE_SIZE + 1).is_err());
    }

    #[test]
    fn a_cursor_precedes_older_items_and_equal_times_by_id() {
        let at = DateTime::from_timestamp_micros(1_767_225_600_000_000).unwrap_or_default();
        let cursor = Cursor {
            created_at: at,
            id: Uuid::from_u128(5),
        };
        assert!(cursor.precedes(at, Uuid::from_u128(4)));
        assert!(!cursor.precedes(at, Uuid::from_u128(5)));
        assert!(!cursor.precedes(at + chrono::Duration::microseconds(1), Uuid::nil()));
    }
}

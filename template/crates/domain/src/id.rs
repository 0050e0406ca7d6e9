//! New identifiers, as a port so that tests can make them predictable.

use uuid::Uuid;

/// New identifiers. A port so that tests can make them predictable.
pub trait IdGenerator: Send + Sync {
    fn next_id(&self) -> Uuid;
}

/// Time-ordered UUID v7 identifiers: they index well as primary keys.
#[derive(Debug, Clone, Copy, Default)]
pub struct UuidV7Generator;

impl IdGenerator for UuidV7Generator {
    fn next_id(&self) -> Uuid {
        Uuid::now_v7()
    }
}

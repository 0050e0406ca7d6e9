//! The current time, as a port so that tests can fix it.

use chrono::{DateTime, SubsecRound, Utc};

/// The current time. A port so that tests can fix it.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// The wall clock, to the microsecond: the precision every supported database keeps, so a
/// timestamp reads back exactly as it was written.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now().trunc_subsecs(6)
    }
}

//! The in-process gateway: accepts every charge. The default, so that the service runs with
//! no payment service around (development, tests, demos).

use async_trait::async_trait;
use domain::DomainError;
use domain::order::{Charge, ChargeOutcome, PaymentGateway};

/// Accepts every charge at once; nothing leaves the process.
#[derive(Debug, Clone, Copy, Default)]
pub struct InProcessGateway;

#[async_trait]
impl PaymentGateway for InProcessGateway {
    async fn charge(&self, charge: &Charge) -> Result<ChargeOutcome, DomainError> {
        tracing::debug!(
            order_id = %charge.order_id,
            idempotency_key = charge.idempotency_key.as_str(),
            "in-process gateway: charge accepted"
        );
        Ok(ChargeOutcome::Accepted)
    }
}

//! Paying an order: the `paying` state is recorded before the gateway is called, so that a
//! concurrent cancel can no longer leave a charged, cancelled order (ADR 0009).

use super::*;
use crate::order::{Charge, ChargeOutcome, OrderStatus};

impl OrderService {
    /// Pays a pending order, or finishes a payment in progress: records the order as
    /// `paying` (one conditional write: of a concurrent pay and cancel exactly one wins, and
    /// the loser is a `Conflict` with nothing charged), charges its amount through the payment
    /// gateway, then records the outcome: `paid`, or back to `pending` with `PaymentDeclined`.
    ///
    /// `expected_version`, when given, must be the current version (`StaleVersion`
    /// otherwise). A gateway that cannot answer is `Unavailable` and leaves the order
    /// `paying`: the charge may have been taken, so the order cannot be cancelled until a
    /// payment is tried again. Paying a `paying` order again (the recovery of a stuck
    /// payment) sends the same idempotency key, so the gateway answers the first outcome and
    /// never charges twice.
    #[tracing::instrument(name = "pay_order", skip(self, caller))]
    pub async fn pay_order(
        &self,
        caller: &Caller,
        id: OrderId,
        expected_version: Option<i64>,
    ) -> Result<Order, DomainError> {
        let mut order = self.current(caller, id, expected_version).await?;
        if order.status() != OrderStatus::Paying {
            let read_version = order.version();
            order.begin_payment(self.clock.now())?;
            self.repository.update(&order, read_version).await?;
        }
        let charge = Charge::for_order(&order);
        let outcome = self.payments.charge(&charge).await?;
        let paying_version = order.version();
        let declined = match outcome {
            ChargeOutcome::Accepted => {
                order.complete_payment(self.clock.now())?;
                None
            }
            ChargeOutcome::Declined { reason } => {
                order.decline_payment(self.clock.now())?;
                Some(reason)
            }
        };
        match self.repository.update(&order, paying_version).await {
            Ok(()) => {}
            // Another request finishing the same payment (same key, same outcome) recorded it
            // first: harmless, answer what it recorded.
            Err(DomainError::Conflict(_)) => {
                tracing::info!(order_id = %id, "the payment was recorded by a concurrent request");
                order = self.get_order(caller, id).await?;
            }
            Err(err) => {
                tracing::warn!(
                    order_id = %id,
                    idempotency_key = charge.idempotency_key.as_str(),
                    error = %err,
                    "the gateway answered but the outcome could not be recorded; the order \
                     stays paying until it is paid again"
                );
                return Err(err);
            }
        }
        match declined {
            Some(reason) => Err(DomainError::PaymentDeclined(reason)),
            None => Ok(order),
        }
    }
}

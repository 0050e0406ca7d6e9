//! Paying goes through the payment gateway: what is charged, with which key, and what the
//! order looks like after each answer.

use super::*;

/// Orders in memory whose next `update` to the status in `fail_update` fails with
/// `Unavailable`: a database lost between the charge and the write.
#[derive(Default)]
struct FlakyOrders {
    inner: InMemoryOrders,
    fail_update: Mutex<Option<OrderStatus>>,
}

#[async_trait]
impl OrderRepository for FlakyOrders {
    async fn insert(&self, order: &Order) -> Result<(), DomainError> {
        self.inner.insert(order).await
    }

    async fn find(&self, id: OrderId) -> Result<Option<Order>, DomainError> {
        self.inner.find(id).await
    }

    async fn update(&self, order: &Order, expected_version: i64) -> Result<(), DomainError> {
        let fail = {
            let mut fail = self.fail_update.lock().unwrap();
            let hit = *fail == Some(order.status());
            if hit {
                *fail = None;
            }
            hit
        };
        if fail {
            return Err(DomainError::unavailable("the database is unavailable"));
        }
        self.inner.update(order, expected_version).await
    }

    async fn list(&self, query: &OrderQuery) -> Result<Vec<Order>, DomainError> {
        self.inner.list(query).await
    }
}

struct Fixture {
    orders: OrderService,
    gateway: Arc<RecordingGateway>,
    repository: Arc<FlakyOrders>,
}

fn fixture(outcome: Result<ChargeOutcome, DomainError>) -> Fixture {
    let repository = Arc::new(FlakyOrders::default());
    let gateway = RecordingGateway::answering(outcome);
    let keys = Arc::new(InMemoryKeys {
        orders: Arc::new(InMemoryOrders::default()),
        keys: Mutex::default(),
    });
    let noon = Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap();
    let orders = OrderService::new(
        repository.clone(),
        keys,
        gateway.clone(),
        Arc::new(FixedClock(noon)),
        Arc::new(FixedId(Uuid::from_u128(42))),
    );
    Fixture {
        orders,
        gateway,
        repository,
    }
}

impl Fixture {
    async fn place(&self) -> Order {
        self.orders.place_order(&ada(), new_order()).await.unwrap()
    }

    async fn stored(&self, order: &Order) -> Order {
        self.orders.get_order(&ada(), order.id()).await.unwrap()
    }
}

#[tokio::test]
async fn an_accepted_charge_pays_the_order_once_with_the_versions_key() {
    let fixture = fixture(Ok(ChargeOutcome::Accepted));
    let order = fixture.place().await;
    let paid = fixture.orders.pay_order(&ada(), order.id(), Some(1)).await.unwrap();
    assert_eq!((paid.status(), paid.version()), (OrderStatus::Paid, 3));
    assert_eq!(fixture.stored(&order).await, paid);
    let charges = fixture.gateway.charges.lock().unwrap().clone();
    assert_eq!(
        charges,
        [Charge {
            order_id: order.id(),
            amount: order.amount(),
            idempotency_key: IdempotencyKey::parse(&format!("{}-v2", order.id())).unwrap(),
        }]
    );
}

#[tokio::test]
async fn a_declined_charge_leaves_the_order_pending_and_unchanged() {
    let declined = ChargeOutcome::Declined {
        reason: "insufficient funds".to_owned(),
    };
    let fixture = fixture(Ok(declined));
    let order = fixture.place().await;
    let err = fixture
        .orders
        .pay_order(&ada(), order.id(), None)
        .await
        .unwrap_err();
    assert_eq!(
        err,
        DomainError::PaymentDeclined("insufficient funds".to_owned())
    );
    let stored = fixture.stored(&order).await;
    assert_eq!((stored.status(), stored.version()), (OrderStatus::Pending, 3), "via paying");
    fixture.orders.cancel_order(&ada(), order.id(), None).await.unwrap();
}

#[tokio::test]
async fn an_unavailable_gateway_leaves_the_order_pending_and_says_when_to_retry() {
    let unavailable = DomainError::Unavailable {
        detail: "the payment gateway is unavailable".to_owned(),
        retry_after: Some(std::time::Duration::from_secs(3)),
    };
    let fixture = fixture(Err(unavailable.clone()));
    let order = fixture.place().await;
    let err = fixture
        .orders
        .pay_order(&ada(), order.id(), None)
        .await
        .unwrap_err();
    assert_eq!(
        err, unavailable,
        "the gateway's answer reaches the caller unchanged"
    );
    let stored = fixture.stored(&order).await;
    assert_eq!(stored.status(), OrderStatus::Paying, "the charge may have been taken");
    let refused = fixture.orders.cancel_order(&ada(), order.id(), None).await.unwrap_err();
    assert!(matches!(refused, DomainError::RuleViolated(_)), "{refused:?}");

    fixture.gateway.answer(Ok(ChargeOutcome::Accepted));
    let paid = fixture.orders.pay_order(&ada(), order.id(), None).await.unwrap();
    assert_eq!(paid.status(), OrderStatus::Paid);
    let key = format!("{}-v2", order.id());
    assert_eq!(
        fixture.gateway.keys(),
        [key.clone(), key],
        "the retry is the same charge"
    );
}

#[tokio::test]
async fn orders_that_cannot_be_paid_are_never_charged() {
    let fixture = fixture(Ok(ChargeOutcome::Accepted));
    let order = fixture.place().await;
    let stale = fixture
        .orders
        .pay_order(&ada(), order.id(), Some(5))
        .await
        .unwrap_err();
    assert!(
        matches!(stale, DomainError::StaleVersion { .. }),
        "{stale:?}"
    );
    fixture.orders.cancel_order(&ada(), order.id(), None).await.unwrap();
    let refused = fixture
        .orders
        .pay_order(&ada(), order.id(), None)
        .await
        .unwrap_err();
    assert!(
        matches!(refused, DomainError::RuleViolated(_)),
        "{refused:?}"
    );
    assert!(fixture.gateway.keys().is_empty(), "nothing was charged");
}

#[tokio::test]
async fn a_write_lost_after_the_charge_is_retried_with_the_same_key() {
    let fixture = fixture(Ok(ChargeOutcome::Accepted));
    let order = fixture.place().await;
    *fixture.repository.fail_update.lock().unwrap() = Some(OrderStatus::Paid);
    let err = fixture
        .orders
        .pay_order(&ada(), order.id(), None)
        .await
        .unwrap_err();
    assert!(matches!(err, DomainError::Unavailable { .. }), "{err:?}");
    let stored = fixture.stored(&order).await;
    assert_eq!(
        (stored.status(), stored.version()),
        (OrderStatus::Paying, 2),
        "still paying at version 2"
    );

    let paid = fixture.orders.pay_order(&ada(), order.id(), None).await.unwrap();
    assert_eq!((paid.status(), paid.version()), (OrderStatus::Paid, 3));
    let keys = fixture.gateway.keys();
    assert_eq!(keys.len(), 2);
    assert_eq!(
        keys[0], keys[1],
        "the gateway sees the same charge twice and takes it once"
    );
}

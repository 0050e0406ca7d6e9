//! Ownership: an order belongs to the caller who placed it; other callers neither see nor
//! change it, and learn nothing of it; administrators see and act on every order.

use super::*;

fn bob() -> Caller {
    Caller::owner(Owner::parse("bob").unwrap())
}

fn admin() -> Caller {
    Caller::administrator(Owner::parse("root").unwrap())
}

fn everything() -> OrderQuery {
    OrderQuery { owner: None, status: None, after: None, limit: 10 }
}

#[tokio::test]
async fn another_callers_order_is_not_found_for_every_use_case() {
    let orders = sequential_service();
    let order = orders.place_order(&ada(), new_order()).await.unwrap();
    assert_eq!(order.owner().as_str(), "ada");
    let not_found = |err: DomainError| matches!(err, DomainError::NotFound { .. });
    assert!(not_found(orders.get_order(&bob(), order.id()).await.unwrap_err()));
    assert!(not_found(orders.pay_order(&bob(), order.id(), None).await.unwrap_err()));
    assert!(not_found(orders.cancel_order(&bob(), order.id(), None).await.unwrap_err()));
    assert_eq!(orders.get_order(&ada(), order.id()).await.unwrap(), order, "unchanged");
    assert!(orders.list_orders(&bob(), everything()).await.unwrap().orders.is_empty());
}

#[tokio::test]
async fn callers_list_their_own_orders_and_administrators_every_order() {
    let orders = sequential_service();
    let mine = orders.place_order(&ada(), new_order()).await.unwrap();
    let theirs = orders.place_order(&bob(), new_order()).await.unwrap();
    let listed = |page: OrderPage| page.orders.iter().map(Order::id).collect::<Vec<_>>();
    let page = orders.list_orders(&ada(), everything()).await.unwrap();
    assert_eq!(listed(page), [mine.id()]);
    let page = orders.list_orders(&admin(), everything()).await.unwrap();
    assert_eq!(listed(page), [theirs.id(), mine.id()]);
    orders.cancel_order(&admin(), theirs.id(), None).await.unwrap();
    assert_eq!(orders.get_order(&admin(), theirs.id()).await.unwrap().owner().as_str(), "bob");
}

#[tokio::test]
async fn the_same_idempotency_key_from_two_callers_is_two_keys() {
    let orders = sequential_service();
    let key = IdempotencyKey::parse("shared-key").unwrap();
    let first = orders.place_order_once(&ada(), new_order(), &key).await.unwrap();
    let second = orders.place_order_once(&bob(), new_order(), &key).await.unwrap();
    assert!(!second.replayed, "bob's key is new to bob");
    assert_ne!(second.order.id(), first.order.id());
    assert_eq!(second.order.owner().as_str(), "bob");

    let mut different = new_order();
    different.note = Some(Note::parse("another").unwrap());
    let third = orders.place_order_once(&admin(), different, &key).await.unwrap();
    assert!(!third.replayed, "a different body is not refused: the key is not ada's");
}

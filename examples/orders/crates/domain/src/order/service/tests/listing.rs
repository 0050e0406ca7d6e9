//! Listing: newest first, page by page, filtered by status, the page size checked.

use super::*;

#[tokio::test]
async fn listing_pages_newest_first_until_the_end() {
    let orders = sequential_service();
    let mut placed = Vec::new();
    for _ in 0..5 {
        placed.push(orders.place_order(&ada(), new_order()).await.unwrap().id());
    }
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = orders
            .list_orders(
                &ada(),
                OrderQuery {
                    owner: None,
                    status: None,
                    after,
                    limit: 2,
                },
            )
            .await
            .unwrap();
        seen.extend(page.orders.iter().map(Order::id));
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    placed.reverse();
    assert_eq!(seen, placed, "every order once, newest first");
}

#[tokio::test]
async fn listing_filters_by_status_and_checks_the_limit() {
    let orders = sequential_service();
    let first = orders.place_order(&ada(), new_order()).await.unwrap();
    orders.place_order(&ada(), new_order()).await.unwrap();
    orders.cancel_order(&ada(), first.id(), None).await.unwrap();
    let query = OrderQuery {
        owner: None,
        status: Some(OrderStatus::Cancelled),
        after: None,
        limit: 10,
    };
    let page = orders.list_orders(&ada(), query.clone()).await.unwrap();
    assert_eq!(page.orders.len(), 1);
    assert_eq!(page.orders[0].id(), first.id());
    assert_eq!(page.next, None);
    for limit in [0, MAX_PAGE_SIZE + 1] {
        let query = OrderQuery {
            owner: None,
            status: None,
            after: None,
            limit,
        };
        assert!(
            orders.list_orders(&ada(), query.clone()).await.is_err(),
            "limit {limit}"
        );
    }
}

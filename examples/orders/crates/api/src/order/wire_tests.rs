//! The orders' response DTOs are written by serde (`crate::json_body`): these check that serde
//! writes each of them as poem-openapi's `ToJSON` does, member by member, with and without the
//! optional members, and in every status.

use chrono::DateTime;
use uuid::Uuid;

use super::dto::{OrderDto, OrderPageDto, OrderStatusDto};
use crate::json_body::assert_same_as_to_json;

fn order(status: OrderStatusDto, note: Option<&str>, micros: i64) -> OrderDto {
    let at = DateTime::from_timestamp_micros(micros).unwrap_or_default();
    OrderDto {
        id: Uuid::from_u128(0x0193_5c2e_0000_7000_8000_0000_0000_0001),
        customer_email: "ada@example.com".to_owned(),
        amount_minor: 1250,
        currency: "EUR".to_owned(),
        note: note.map(str::to_owned),
        status,
        version: 3,
        created_at: at,
        updated_at: at,
    }
}

#[test]
fn an_order_is_written_as_to_json_writes_it() {
    let statuses = [
        OrderStatusDto::Pending,
        OrderStatusDto::Paying,
        OrderStatusDto::Paid,
        OrderStatusDto::Cancelled,
    ];
    for status in statuses {
        for note in [None, Some("leave at the door \"please\" \u{e9}\n")] {
            for micros in [1_767_225_600_000_000, 1_767_225_600_123_456] {
                assert_same_as_to_json(&order(status, note, micros));
            }
        }
    }
}

#[test]
fn a_page_is_written_as_to_json_writes_it() {
    for next_cursor in [None, Some("page-2".to_owned())] {
        for size in [0, 1, 3] {
            let items = (0..size)
                .map(|i| order(OrderStatusDto::Pending, None, 1_767_225_600_000_000 + i))
                .collect();
            assert_same_as_to_json(&OrderPageDto {
                items,
                next_cursor: next_cursor.clone(),
            });
        }
    }
}

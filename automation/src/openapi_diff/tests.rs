//! Tests of the OpenAPI change classifier: one mutation of a small document per rule.

use super::*;

const BASE: &str = r##"
openapi: 3.0.0
info:
  title: orders
  version: 1.2.0
paths:
  /orders:
    post:
      parameters:
        - name: Idempotency-Key
          in: header
          required: false
          schema:
            type: string
            maxLength: 255
      requestBody:
        required: true
        content:
          application/json:
            schema:
              $ref: '#/components/schemas/CreateOrder'
      responses:
        '201':
          description: created
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/Order'
        '422':
          description: invalid
  /orders/{id}:
    get:
      responses:
        '200':
          description: the order
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/Order'
components:
  schemas:
    CreateOrder:
      type: object
      required:
        - email
      properties:
        email:
          type: string
          maxLength: 254
        note:
          type: string
          maxLength: 500
        amount:
          type: integer
          format: int64
          minimum: 1
    Order:
      type: object
      required:
        - id
        - status
      properties:
        id:
          type: string
          format: uuid
        status:
          type: string
          enum:
            - pending
            - paid
"##;

fn changes_after(edit: impl Fn(&str) -> String) -> Vec<Change> {
    let old = parse(BASE).unwrap();
    let new = parse(&edit(BASE)).unwrap();
    diff(&old, &new)
}

fn replaced(from: &'static str, to: &'static str) -> impl Fn(&str) -> String {
    move |text: &str| {
        assert!(text.contains(from), "the base document has no {from:?}");
        text.replacen(from, to, 1)
    }
}

#[track_caller]
fn assert_one(changes: &[Change], severity: Severity, location: &str, message: &str) {
    assert!(
        changes.iter().any(|change| change.severity == severity
            && change.location.contains(location)
            && change.message.contains(message)),
        "expected {severity:?} `{location}: {message}` in {changes:#?}"
    );
}

#[test]
fn an_unchanged_document_has_no_changes() {
    assert_eq!(changes_after(str::to_owned), Vec::new());
}

#[test]
fn removed_paths_operations_and_statuses_break_clients() {
    let changes = changes_after(replaced(
        "  /orders/{id}:\n    get:",
        "  /orders/{id}:\n    put:",
    ));
    assert_one(
        &changes,
        Severity::Breaking,
        "GET /orders/{id}",
        "operation removed",
    );
    assert_one(
        &changes,
        Severity::Compatible,
        "PUT /orders/{id}",
        "operation added",
    );

    let changes = changes_after(replaced("  /orders/{id}:", "  /orders/{order_id}:"));
    assert_one(&changes, Severity::Breaking, "/orders/{id}", "path removed");
    assert_one(
        &changes,
        Severity::Compatible,
        "/orders/{order_id}",
        "path added",
    );

    let changes = changes_after(replaced("'422':", "'409':"));
    assert_one(
        &changes,
        Severity::Breaking,
        "POST /orders response 422",
        "status removed",
    );
    assert_one(
        &changes,
        Severity::Compatible,
        "POST /orders response 409",
        "status added",
    );
}

#[test]
fn removed_properties_and_enum_values_break_clients() {
    let changes = changes_after(replaced(
        "        note:\n          type: string\n          maxLength: 500\n",
        "",
    ));
    assert_one(
        &changes,
        Severity::Breaking,
        "request body .note",
        "property removed",
    );

    let changes = changes_after(replaced("            - paid\n", ""));
    assert_one(
        &changes,
        Severity::Breaking,
        "response 201 .status",
        "enum value \"paid\" removed",
    );

    let changes = changes_after(replaced(
        "            - paid\n",
        "            - paid\n            - refunded\n",
    ));
    assert_one(
        &changes,
        Severity::Compatible,
        ".status",
        "enum value \"refunded\" added",
    );
    assert!(
        changes
            .iter()
            .all(|change| change.severity == Severity::Compatible)
    );
}

#[test]
fn newly_required_request_input_breaks_clients() {
    let changes = changes_after(replaced(
        "        - email\n",
        "        - email\n        - note\n",
    ));
    assert_one(
        &changes,
        Severity::Breaking,
        "request body .note",
        "property became required",
    );

    let changes = changes_after(replaced(
        "          required: false\n",
        "          required: true\n",
    ));
    assert_one(
        &changes,
        Severity::Breaking,
        "parameter header Idempotency-Key",
        "became required",
    );

    let changes = changes_after(replaced(
        "      requestBody:",
        "        - name: tenant\n          in: query\n          required: true\n          schema:\n            type: string\n      requestBody:",
    ));
    assert_one(
        &changes,
        Severity::Breaking,
        "parameter query tenant",
        "required parameter added",
    );
}

#[test]
fn a_response_property_that_may_now_be_absent_breaks_clients() {
    let changes = changes_after(replaced(
        "        - id\n        - status\n",
        "        - id\n",
    ));
    assert_one(
        &changes,
        Severity::Breaking,
        "response 200 .status",
        "no longer always present",
    );
}

#[test]
fn changed_types_and_formats_break_clients() {
    let changes = changes_after(replaced(
        "          format: uuid\n",
        "          format: ulid\n",
    ));
    assert_one(
        &changes,
        Severity::Breaking,
        ".id",
        "format changed from \"uuid\" to \"ulid\"",
    );

    let changes = changes_after(replaced(
        "          type: integer\n          format: int64\n",
        "          type: string\n          format: int64\n",
    ));
    assert_one(
        &changes,
        Severity::Breaking,
        ".amount",
        "type changed from \"integer\" to \"string\"",
    );
}

#[test]
fn narrowed_request_constraints_break_clients_and_widened_ones_do_not() {
    let changes = changes_after(replaced("maxLength: 500", "maxLength: 100"));
    assert_one(
        &changes,
        Severity::Breaking,
        ".note",
        "narrowed: maxLength 500 to 100",
    );

    let changes = changes_after(replaced("maxLength: 500", "maxLength: 1000"));
    assert_one(
        &changes,
        Severity::Compatible,
        ".note",
        "widened: maxLength 500 to 1000",
    );
    assert!(
        changes
            .iter()
            .all(|change| change.severity == Severity::Compatible)
    );

    let changes = changes_after(replaced("minimum: 1", "minimum: 100"));
    assert_one(&changes, Severity::Breaking, ".amount", "narrowed: minimum");

    let changes = changes_after(replaced(
        "maxLength: 254",
        "maxLength: 254\n          pattern: ^[a-z@.]+$",
    ));
    assert_one(
        &changes,
        Severity::Breaking,
        ".email",
        "changed: pattern none to",
    );

    let changes = changes_after(replaced("maxLength: 255", "maxLength: 64"));
    assert_one(
        &changes,
        Severity::Breaking,
        "parameter header Idempotency-Key",
        "narrowed: maxLength",
    );
}

#[test]
fn the_major_version_is_read_from_info() {
    assert_eq!(major_version(&parse(BASE).unwrap()), Some(1));
    assert_eq!(
        major_version(&parse("info:\n  version: '2.0.0'\n").unwrap()),
        Some(2)
    );
    assert_eq!(major_version(&parse("info: {}\n").unwrap()), None);
}

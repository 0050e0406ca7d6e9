//! Schema comparison: types, formats, enums, properties, required lists and (for requests)
//! constraints, following `$ref`s.

use std::collections::BTreeSet;

use serde_json::Value;

use super::{Severity, Side, Walk, resolve, show};

impl Walk<'_> {
    /// Compares two schemas, following `$ref`s (each pair once, so recursive schemas end).
    pub(super) fn schema(
        &mut self,
        location: &str,
        side: Side,
        old: &Value,
        new: &Value,
        seen: &mut BTreeSet<String>,
    ) {
        let pair = format!("{old}|{new}");
        if (old.get("$ref").is_some() || new.get("$ref").is_some()) && !seen.insert(pair) {
            return;
        }
        let (old, new) = (resolve(self.old, old), resolve(self.new, new));
        if old.is_null() || new.is_null() {
            return;
        }
        for keyword in ["type", "format"] {
            if old[keyword] != new[keyword] {
                let message = format!(
                    "{keyword} changed from {} to {}",
                    show(&old[keyword]),
                    show(&new[keyword])
                );
                self.push(Severity::Breaking, location, message);
            }
        }
        self.enumeration(location, old, new);
        if side == Side::Request {
            self.constraints(location, old, new);
        }
        let required = |schema: &Value| -> BTreeSet<String> {
            schema["required"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        };
        let (old_required, new_required) = (required(old), required(new));
        let empty = serde_json::Map::new();
        let old_properties = old["properties"].as_object().unwrap_or(&empty);
        let new_properties = new["properties"].as_object().unwrap_or(&empty);
        for (name, old_property) in old_properties {
            let here = format!("{location} .{name}");
            let Some(new_property) = new_properties.get(name) else {
                self.push(Severity::Breaking, &here, "property removed");
                continue;
            };
            match side {
                Side::Request if new_required.contains(name) && !old_required.contains(name) => {
                    self.push(Severity::Breaking, &here, "property became required");
                }
                Side::Response if old_required.contains(name) && !new_required.contains(name) => {
                    self.push(
                        Severity::Breaking,
                        &here,
                        "property is no longer always present",
                    );
                }
                _ => {}
            }
            self.schema(&here, side, old_property, new_property, seen);
        }
        for name in new_properties
            .keys()
            .filter(|name| !old_properties.contains_key(*name))
        {
            let here = format!("{location} .{name}");
            if side == Side::Request && new_required.contains(name) {
                self.push(Severity::Breaking, &here, "required property added");
            } else {
                self.push(Severity::Compatible, &here, "property added");
            }
        }
        if !old["items"].is_null() || !new["items"].is_null() {
            self.schema(
                &format!("{location}[]"),
                side,
                &old["items"],
                &new["items"],
                seen,
            );
        }
    }

    fn enumeration(&mut self, location: &str, old: &Value, new: &Value) {
        let (Some(old_values), Some(new_values)) = (old["enum"].as_array(), new["enum"].as_array())
        else {
            if old["enum"].is_null() && new["enum"].is_array() {
                self.push(Severity::Breaking, location, "values restricted to an enum");
            }
            return;
        };
        for value in old_values
            .iter()
            .filter(|value| !new_values.contains(value))
        {
            self.push(
                Severity::Breaking,
                location,
                format!("enum value {} removed", show(value)),
            );
        }
        for value in new_values
            .iter()
            .filter(|value| !old_values.contains(value))
        {
            self.push(
                Severity::Compatible,
                location,
                format!("enum value {} added", show(value)),
            );
        }
    }

    /// Request-side constraints: narrowing refuses values clients may send today.
    fn constraints(&mut self, location: &str, old: &Value, new: &Value) {
        // (keyword, whether a larger value narrows)
        const BOUNDS: [(&str, bool); 6] = [
            ("maxLength", false),
            ("maximum", false),
            ("maxItems", false),
            ("minLength", true),
            ("minimum", true),
            ("minItems", true),
        ];
        for (keyword, larger_narrows) in BOUNDS {
            let (before, after) = (old[keyword].as_f64(), new[keyword].as_f64());
            let narrowed = match (before, after) {
                (None, Some(_)) => true,
                (Some(before), Some(after)) => {
                    (after > before) == larger_narrows && after != before
                }
                _ => false,
            };
            let widened = match (before, after) {
                (Some(_), None) => true,
                (Some(before), Some(after)) => {
                    (after > before) != larger_narrows && after != before
                }
                _ => false,
            };
            let message = format!(
                "{keyword} {} to {}",
                show(&old[keyword]),
                show(&new[keyword])
            );
            if narrowed {
                self.push(Severity::Breaking, location, format!("narrowed: {message}"));
            } else if widened {
                self.push(
                    Severity::Compatible,
                    location,
                    format!("widened: {message}"),
                );
            }
        }
        if old["pattern"] != new["pattern"] {
            let message = format!(
                "pattern {} to {}",
                show(&old["pattern"]),
                show(&new["pattern"])
            );
            if new["pattern"].is_null() {
                self.push(
                    Severity::Compatible,
                    location,
                    format!("widened: {message}"),
                );
            } else {
                self.push(Severity::Breaking, location, format!("changed: {message}"));
            }
        }
    }
}

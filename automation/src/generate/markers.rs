//! Edits at wiring points: a line comment `// xtask-generate: <point>` on its own line marks
//! where new lines go (immediately before it, with its indentation). A marker survives
//! `rustfmt` and any edit a team makes around it; a missing marker stops the generator
//! before anything is written, naming the file and the line to restore.

use std::fmt;

/// The comment that introduces a marker.
pub const MARKER_PREFIX: &str = "// xtask-generate: ";

/// Lines to insert before one marker of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Insertion {
    /// The marker's point, e.g. `modules`.
    pub point: &'static str,
    /// The lines, without indentation (the marker's is added).
    pub lines: Vec<String>,
}

/// A marker that is not in its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingMarker {
    pub file: String,
    pub point: &'static str,
}

impl fmt::Display for MissingMarker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: the marker line `{MARKER_PREFIX}{}` is missing; restore it on its own line \
             where new {} go (see docs/architecture.md, \"Adding a resource\")",
            self.file,
            self.point,
            what_goes_there(self.point)
        )
    }
}

fn what_goes_there(point: &str) -> &'static str {
    match point {
        "modules" => "module declarations",
        "exports" => "`pub use` lines",
        "migrations" => "migrations (inside the `vec![...]`)",
        "imports" => "`use` lines",
        "tags" => "`ApiTags` variants",
        "state" => "`ApiState` fields",
        "apis" => "APIs (inside the OpenAPI tuple)",
        "data" => "`request.set_data(...)` lines handing the handlers their state",
        "services" => "`ApiState` field initialisers",
        "purges" => "idempotency key tables (inside the `KEY_TABLES` list the purge walks)",
        _ => "lines",
    }
}

/// The line index of `point`'s marker in `text`, if present exactly once.
fn find_marker(text: &str, point: &str) -> Vec<usize> {
    let wanted = format!("{MARKER_PREFIX}{point}");
    text.lines()
        .enumerate()
        .filter(|(_, line)| line.trim() == wanted)
        .map(|(index, _)| index)
        .collect()
}

/// Checks that every marker the insertions need is in `text` exactly once.
pub fn check(file: &str, text: &str, insertions: &[Insertion]) -> Result<(), String> {
    for insertion in insertions {
        match find_marker(text, insertion.point).len() {
            1 => {}
            0 => {
                return Err(MissingMarker {
                    file: file.to_owned(),
                    point: insertion.point,
                }
                .to_string());
            }
            n => {
                return Err(format!(
                    "{file}: the marker `{MARKER_PREFIX}{}` appears {n} times; keep exactly one",
                    insertion.point
                ));
            }
        }
    }
    Ok(())
}

/// Whether `line` is already in `text`, ignoring whitespace and the trailing commas rustfmt
/// adds when it splits a call over lines, and only where a token starts (`Orders,` is not in
/// `CustomerOrders,`).
fn already_present(text: &str, line: &str) -> bool {
    // The text without whitespace, and for each kept character whether a token starts there
    // (after whitespace, or after a character that cannot continue an identifier).
    let compact = |s: &str| -> (Vec<char>, Vec<bool>) {
        let mut chars = Vec::new();
        let mut starts = Vec::new();
        let mut after_space = true;
        for c in s.chars() {
            if c.is_whitespace() {
                after_space = true;
                continue;
            }
            if matches!(c, ')' | ']' | '}') && chars.last() == Some(&',') {
                chars.pop();
                starts.pop();
            }
            let identifier_before = chars
                .last()
                .is_some_and(|before: &char| before.is_alphanumeric() || *before == '_');
            starts.push(after_space || !identifier_before);
            chars.push(c);
            after_space = false;
        }
        (chars, starts)
    };
    let (text, starts) = compact(text);
    let (line, _) = compact(line);
    if line.is_empty() || line.len() > text.len() {
        return false;
    }
    (0..=text.len() - line.len()).any(|at| starts[at] && text[at..at + line.len()] == line[..])
}

/// `text` with each insertion's lines placed before its marker, indented like it. Lines
/// already in the file (say, from an earlier run) are not inserted again.
pub fn apply(file: &str, text: &str, insertions: &[Insertion]) -> Result<String, String> {
    check(file, text, insertions)?;
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    for insertion in insertions {
        let Some(&index) = find_marker(&lines.join("\n"), insertion.point).first() else {
            return Err(format!(
                "{file}: lost the marker `{MARKER_PREFIX}{}` while editing",
                insertion.point
            ));
        };
        let current = lines.join("\n");
        let marker = &lines[index];
        let indent: String = marker.chars().take_while(|c| c.is_whitespace()).collect();
        let new: Vec<String> = insertion
            .lines
            .iter()
            .map(|line| {
                if line.is_empty() {
                    String::new()
                } else {
                    format!("{indent}{line}")
                }
            })
            .filter(|line| !already_present(&current, line))
            .collect();
        lines.splice(index..index, new);
    }
    let mut out = lines.join("\n");
    if text.ends_with('\n') {
        out.push('\n');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn insertion(point: &'static str, lines: &[&str]) -> Insertion {
        Insertion {
            point,
            lines: lines.iter().map(|line| (*line).to_owned()).collect(),
        }
    }

    #[test]
    fn lines_go_before_the_marker_with_its_indentation() {
        let text = "fn migrations() {\n    vec![\n        Box::new(a::Migration),\n        \
                    // xtask-generate: migrations\n    ]\n}\n";
        let out = apply(
            "lib.rs",
            text,
            &[insertion("migrations", &["Box::new(b::Migration),"])],
        )
        .unwrap();
        assert_eq!(
            out,
            "fn migrations() {\n    vec![\n        Box::new(a::Migration),\n        \
             Box::new(b::Migration),\n        // xtask-generate: migrations\n    ]\n}\n"
        );
    }

    #[test]
    fn a_team_edited_file_keeps_its_edits() {
        // A team reordered modules, added its own and a comment: the marker still decides.
        let text = "mod zeta;\n// Our own modules.\nmod alpha;\n// xtask-generate: modules\n\
                    pub fn extra() {}\n";
        let out = apply("lib.rs", text, &[insertion("modules", &["mod customer;"])]).unwrap();
        assert_eq!(
            out,
            "mod zeta;\n// Our own modules.\nmod alpha;\nmod customer;\n\
             // xtask-generate: modules\npub fn extra() {}\n"
        );
        let again = apply("lib.rs", &out, &[insertion("modules", &["mod customer;"])]).unwrap();
        assert_eq!(again, out, "a line already there is not added twice");
        let reflowed = "    customers: Service::new(\n        db.clone(),\n    ),\n    // xtask-generate: services\n";
        let insertion_again = insertion("services", &["customers: Service::new(db.clone()),"]);
        let same = apply("s.rs", reflowed, &[insertion_again]).unwrap();
        assert_eq!(
            same, reflowed,
            "rustfmt's reflow of an inserted line is recognised"
        );
        let other = apply(
            "t.rs",
            "CustomerOrders,\n// xtask-generate: tags\n",
            &[insertion("tags", &["Orders,"])],
        )
        .unwrap();
        assert!(other.contains("\nOrders,\n"), "{other}");
    }

    #[test]
    fn a_missing_or_doubled_marker_is_named() {
        let err = apply(
            "crates/api/src/routes.rs",
            "pub enum ApiTags {\n    Health,\n}\n",
            &[insertion("tags", &["Customers,"])],
        )
        .unwrap_err();
        assert!(err.contains("crates/api/src/routes.rs"), "{err}");
        assert!(
            err.contains("`// xtask-generate: tags` is missing"),
            "{err}"
        );
        assert!(err.contains("`ApiTags` variants"), "{err}");

        let doubled = "// xtask-generate: tags\n// xtask-generate: tags\n";
        let err = apply("r.rs", doubled, &[insertion("tags", &["A,"])]).unwrap_err();
        assert!(err.contains("appears 2 times"), "{err}");
    }

    #[test]
    fn a_marker_mentioned_inside_other_text_does_not_count() {
        let text = "let s = \"// xtask-generate: modules\"; // not a marker\n";
        assert!(check("x.rs", text, &[insertion("modules", &["mod a;"])]).is_err());
    }
}

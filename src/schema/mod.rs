//! The model as data: a TOML schema file (`schemas/bookshop.toml` is the default,
//! compiled in) checked and turned into the descriptors the machinery serves. Every
//! problem is reported with its line and column, the item it is about and what is
//! wrong; a file with any problem serves nothing.

mod build;
pub(crate) mod demo;
mod file;

use std::fmt;

use crate::model::Model;

/// The bookshop, the model served when no schema file is given.
pub const BOOKSHOP: &str = include_str!("../../schemas/bookshop.toml");

/// The JSON Schema of the file format (for editors; `schemas/halyard-schema.json` is this,
/// kept equal by a test).
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(file::File);
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

/// One problem in a schema file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaError {
    /// The line, counting from 1 (0 when the problem has no place).
    pub line: usize,
    /// The column, counting from 1.
    pub column: usize,
    /// What the problem is about (`resource "books"`), empty for a syntax error.
    pub item: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for SchemaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}: ", self.line, self.column)?;
        if !self.item.is_empty() {
            write!(f, "{}: ", self.item)?;
        }
        f.write_str(&self.message)
    }
}

/// The line and column (from 1) of byte `offset` in `text`.
fn position(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Checks a schema file and builds its model; every problem found otherwise, in the
/// order of the file.
pub fn load(text: &str) -> Result<&'static Model, Vec<SchemaError>> {
    let parsed: file::File = toml::from_str(text).map_err(|error| {
        let (line, column) = error
            .span()
            .map_or((0, 0), |span| position(text, span.start));
        vec![SchemaError {
            line,
            column,
            item: String::new(),
            message: error.message().trim().to_owned(),
        }]
    })?;
    build::build(&parsed).map_err(|problems| {
        let mut errors: Vec<SchemaError> = problems
            .into_iter()
            .map(|p| {
                let (line, column) = p.span.map_or((0, 0), |span| position(text, span.start));
                SchemaError {
                    line,
                    column,
                    item: p.item,
                    message: p.message,
                }
            })
            .collect();
        errors.sort_by_key(|e| (e.line, e.column));
        errors.dedup();
        errors
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bookshop with `from` replaced by `to` (which must occur once).
    fn bookshop_with(from: &str, to: &str) -> String {
        assert_eq!(BOOKSHOP.matches(from).count(), 1, "{from:?} occurs once");
        BOOKSHOP.replacen(from, to, 1)
    }

    /// The problems of `text`, which must have some.
    fn problems(text: &str) -> Vec<SchemaError> {
        load(text).expect_err("the file has problems")
    }

    /// The line and column where `needle` starts in `text`.
    fn at(text: &str, needle: &str) -> (usize, usize) {
        position(text, text.find(needle).expect("the needle is in the text"))
    }

    /// Asserts one problem at `needle` whose message contains `says`.
    #[track_caller]
    fn assert_problem(text: &str, needle: &str, says: &str) {
        let found = problems(text);
        let (line, column) = at(text, needle);
        assert!(
            found
                .iter()
                .any(|e| e.line == line && e.column == column && e.message.contains(says)),
            "expected {says:?} at line {line}, column {column}; got {found:#?}"
        );
    }

    /// Asserts a problem on the line where `needle` starts whose message contains `says`.
    #[track_caller]
    fn assert_problem_on_line(text: &str, needle: &str, says: &str) {
        let found = problems(text);
        let (line, _) = at(text, needle);
        assert!(
            found
                .iter()
                .any(|e| e.line == line && e.message.contains(says)),
            "expected {says:?} on line {line}; got {found:#?}"
        );
    }

    #[test]
    fn a_prompt_or_help_that_is_not_text_is_refused_on_its_line() {
        for (key, value) in [("prompt", "3"), ("help", "true")] {
            let text = bookshop_with(
                "prompt = \"Quantity\"",
                &format!("prompt = \"Quantity\"\n{key} = {value}"),
            );
            let text = if key == "help" {
                text.replacen("help = \"How many copies", "#help = \"How many copies", 1)
            } else {
                text.replacen("prompt = \"Quantity\"\n", "", 1)
            };
            assert_problem_on_line(&text, &format!("{key} = {value}"), "string");
        }
    }

    #[test]
    fn the_committed_json_schema_is_the_generated_one() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schemas/halyard-schema.json");
        let generated = json_schema();
        if std::env::var("HALYARD_BLESS").is_ok_and(|v| v == "1") {
            std::fs::write(path, &generated).expect("write the JSON Schema");
        }
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            committed == generated,
            "schemas/halyard-schema.json is not the generated JSON Schema: run \
             HALYARD_BLESS=1 cargo test --lib json_schema"
        );
        assert!(generated.contains("\"resource\"") && generated.contains("\"computed\""));
    }

    #[test]
    fn the_bookshop_loads() {
        let model = load(BOOKSHOP).expect("the bookshop is a valid schema");
        assert_eq!(model.collection_count(), 9);
        assert_eq!(model.pair_count(), 3);
        assert_eq!(model.children_count(), 3);
        assert!(model.has_singleton());
    }

    #[test]
    fn a_syntax_error_names_its_line_and_column() {
        let text = bookshop_with("name = \"book\"\n", "name = \"book\n");
        let found = problems(&text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].line, at(&text, "name = \"book\n").0);
        assert!(found[0].to_string().starts_with("line "), "{}", found[0]);
    }

    #[test]
    fn an_unknown_key_is_named() {
        let text = bookshop_with("label = \"title\"", "label = \"title\"\ncolour = \"red\"");
        let found = problems(&text);
        assert!(found[0].message.contains("colour"), "{found:?}");
        assert_eq!(found[0].line, at(&text, "colour").0);
    }

    #[test]
    fn a_pair_naming_an_unknown_resource_is_refused() {
        let text = bookshop_with(
            "left = { resource = \"cars\", column = \"car_id\" }",
            "left = { resource = \"vans\", column = \"car_id\" }",
        );
        assert_problem(&text, "\"vans\"", "there is no resource with path \"vans\"");
    }

    #[test]
    fn a_ceiling_on_a_text_field_is_refused() {
        let text = bookshop_with("max = 64\n", "max = 64\nceiling = \"its_customer\"\n");
        assert_problem(
            &text,
            "\"its_customer\"",
            "`ceiling` means nothing for a text field",
        );
    }

    #[test]
    fn link_patch_on_a_side_that_does_not_inline_cannot_work() {
        let text = bookshop_with(
            "styles = [\"add-remove\"]",
            "styles = [\"add-remove\", \"link-patch\"]",
        );
        assert_problem_on_line(
            &text,
            "styles = [\"add-remove\", \"link-patch\"]",
            "cannot work with a side that does not inline",
        );
    }

    #[test]
    fn two_resources_with_one_path_collide() {
        let text = bookshop_with("path = \"authors\"", "path = \"books\"");
        assert_problem_on_line(
            &text,
            "path = \"books\"\nlabel = \"name\"",
            "two resources have this path",
        );
    }

    #[test]
    fn two_relationships_with_one_path_collide() {
        let text = format!(
            "{BOOKSHOP}\n[[children]]\nparent = \"books\"\nchild = \"authors\"\ncolumn = \"book_id\"\nstyle = \"dependent\"\n"
        );
        assert!(
            problems(&text).iter().any(|e| e
                .message
                .contains("two relationships give the path /books/{id}/authors")),
            "{:?}",
            problems(&text)
        );
    }

    #[test]
    fn reserved_names_are_refused() {
        let text = bookshop_with("name = \"title\"\ntype", "name = \"id\"\ntype");
        assert_problem(&text, "\"id\"", "\"id\" is reserved");
        let text = bookshop_with("path = \"drivers\"", "path = \"rels\"");
        assert_problem(&text, "\"rels\"", "reserved for the server's own resources");
    }

    #[test]
    fn names_that_are_not_identifiers_never_reach_sql() {
        let text = bookshop_with(
            "table = \"user_groups\"",
            "table = \"user_groups; DROP TABLE users\"",
        );
        assert_problem(
            &text,
            "\"user_groups; DROP",
            "identifier like [a-z][a-z0-9_]*",
        );
        let text = bookshop_with("column = \"price_cents\"", "column = \"Price\"");
        assert_problem(&text, "\"Price\"", "identifier like [a-z][a-z0-9_]*");
    }

    #[test]
    fn an_unknown_type_lists_the_known_ones() {
        let text = bookshop_with(
            "type = \"date\"\naccess = \"required\"\n\n[[resource.field]]\nname = \"customerId\"",
            "type = \"day\"\naccess = \"required\"\n\n[[resource.field]]\nname = \"customerId\"",
        );
        assert_problem(
            &text,
            "\"day\"",
            "a field is text, email, int, decimal, date, timestamp, choice, money, share or ref",
        );
    }

    #[test]
    fn computed_fields_that_refer_to_each_other_in_a_circle_are_refused() {
        let text = bookshop_with(
            "computed = { product = [\"quantity\", \"unitPrice\"] }\n\n[[resource]]\nname = \"payment\"",
            "computed = { product = [\"quantity\", \"amount\"] }\n\n[[resource]]\nname = \"payment\"",
        );
        assert!(
            problems(&text)
                .iter()
                .any(|e| e.message.contains("in a circle")),
            "{:?}",
            problems(&text)
        );
    }

    #[test]
    fn a_cross_resource_must_refer_to_both_sides() {
        let text = bookshop_with("cross = \"books-authors\"", "cross = \"cars\"");
        let needle = "\"cars\"\n\n[[pair]]";
        assert_problem(&text, needle, "link table");
        assert_problem(
            &text,
            needle,
            "needs a ref field to \"books\" on the column \"book_id\"",
        );
    }

    #[test]
    fn a_behaviour_whose_needs_are_not_met_is_refused() {
        let text = bookshop_with(
            "on_create = \"open-account\"",
            "on_create = \"open-account\"\n",
        );
        let text = text.replacen("owner = \"users\"", "owner = \"customers\"", 1);
        assert_problem(&text, "\"open-account\"", "whose owner is this resource");
        let text = bookshop_with(
            "on_create = \"open-account\"",
            "on_create = \"send-flowers\"",
        );
        assert_problem(&text, "\"send-flowers\"", "unknown behaviour");
    }

    #[test]
    fn a_default_must_be_a_value_the_field_takes() {
        let text = bookshop_with("max = 1000000\n", "max = 1000000\ndefault = 0\n");
        assert_problem_on_line(&text, "default = 0", "only an optional field has a default");
        let text = bookshop_with(
            "name = \"model\"\ntype = \"text\"\nmax = 200\n",
            "name = \"model\"\ntype = \"text\"\nmax = 200\ndefault = 7\n",
        );
        assert_problem_on_line(&text, "default = 7", "the default must be a string");
    }

    #[test]
    fn a_demo_row_is_checked_as_a_create_body() {
        let text = format!(
            "{BOOKSHOP}\n[[demo]]\nresource = \"authors\"\nrows = [{{ name = 5 }}]\n\n[[demo]]\npair = \"nowhere\"\n"
        );
        assert_problem_on_line(&text, "rows = [{ name = 5 }]", "name: must be a string");
        assert_problem(&text, "\"nowhere\"", "there is no pair with this table");
    }

    #[test]
    fn a_singleton_owned_by_an_unknown_resource_is_refused_not_a_panic() {
        // Found by the fuzz target: the owner was looked up without a check.
        let text = bookshop_with("owner = \"users\"\nitems", "owner = \"nobody\"\nitems").replacen(
            "on_create = \"open-account\"\n",
            "",
            1,
        );
        assert_problem(
            &text,
            "\"nobody\"",
            "there is no resource with path \"nobody\"",
        );
    }

    #[test]
    fn a_label_must_name_a_stored_field() {
        let text = bookshop_with("label = \"number\"", "label = \"total\"");
        assert_problem(&text, "\"total\"", "`label` names no stored field");
    }

    #[test]
    fn no_prefix_of_the_bookshop_makes_the_loader_panic() {
        for end in (0..BOOKSHOP.len()).step_by(37) {
            if BOOKSHOP.is_char_boundary(end) {
                let _ = load(&BOOKSHOP[..end]);
            }
        }
    }
}

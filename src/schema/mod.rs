//! The model as data: a TOML schema file (`schemas/bookshop.toml` is the default,
//! compiled in) checked and turned into the descriptors the machinery serves. Every
//! problem is reported with its line and column, the item it is about and what is
//! wrong; a file with any problem serves nothing.

mod build;
mod file;

use std::fmt;

use crate::model::Model;

/// The bookshop, the model served when no schema file is given.
pub const BOOKSHOP: &str = include_str!("../../schemas/bookshop.toml");

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

//! A subset of AIP-160 filters, compiled to SQL whose values are all bound.
//!
//! ```text
//! filter     = expression
//! expression = factor { "AND" factor }
//! factor     = term { "OR" term }
//! term       = { "NOT" } simple
//! simple     = comparison | "(" expression ")"
//! comparison = field ( "=" | "!=" | "<" | "<=" | ">" | ">=" | ":" ) value
//! value      = number | string
//! ```
//!
//! Precedence follows AIP-160, which differs from SQL and most programming languages:
//! NOT binds tightest, then **OR, then AND**, so `a = 1 AND b = 2 OR c = 3` means
//! `a = 1 AND (b = 2 OR c = 3)`. Keywords are upper case; whitespace between tokens is
//! optional (`id>3`). Numbers are `12`, `-3` or `0.25`; strings are double-quoted with
//! `\"` and `\\` as the only escapes. `field : "text"` is a case-insensitive substring
//! match on text fields.
//!
//! Field names come from a per-collection allow-list that maps them to trusted SQL, and
//! every value is bound to a placeholder, so client text never reaches the SQL text.
//! Input is limited in length and nesting depth, so the recursive descent parser below
//! cannot be driven into a stack overflow.

use std::fmt;

use crate::db::sql::{Sql, Value};
use crate::decimal;

/// Longer filters are refused: real ones are short, and the limit bounds parsing work.
const MAX_CHARS: usize = 2000;
/// Deeper nesting (parentheses and NOT together) is refused; it bounds recursion.
const MAX_DEPTH: usize = 32;

/// How a field is stored, which decides the values and operators it accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// A 64-bit integer: compared with whole numbers.
    Int,
    /// Text: compared exactly with `=`/`!=`, or by case-insensitive substring with `:`.
    Text,
    /// An exact decimal stored as an integer scaled by 10^`scale` (see [`crate::decimal`]).
    Decimal {
        /// Decimal places kept in the column (2 for cents).
        scale: u32,
    },
    /// A calendar date stored as `YYYY-MM-DD` text, which sorts chronologically.
    Date,
}

/// One filterable field: `name` is what clients write (camelCase JSON property),
/// `column` is trusted SQL (a column or a parenthesised subquery expression).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FilterField {
    /// The name clients use in filters.
    pub name: &'static str,
    /// Trusted SQL for the value; never built from client input.
    pub column: &'static str,
    /// How the value is stored.
    pub ty: FieldType,
}

/// A filter the client got wrong, with the 0-based character offset where it went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError {
    /// 0-based character (not byte) offset into the filter text.
    pub position: usize,
    /// What is wrong, for the client.
    pub message: String,
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at position {})", self.message, self.position)
    }
}

impl std::error::Error for FilterError {}

/// A parsed, type-checked filter, ready to become a SQL condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    root: Node,
}

impl Filter {
    /// A boolean SQL expression, fully parenthesised, with every value bound.
    /// Its text follows the client's expression, so it is never kept prepared.
    pub fn to_sql(&self) -> Sql {
        let mut sql = Sql::new("").one_off();
        self.root.write(&mut sql);
        sql
    }
}

/// Parses `input` against the allowed `fields`.
pub fn parse(input: &str, fields: &[FilterField]) -> Result<Filter, FilterError> {
    if input.chars().nth(MAX_CHARS).is_some() {
        return Err(FilterError {
            position: MAX_CHARS,
            message: format!("the filter is longer than {MAX_CHARS} characters"),
        });
    }
    let mut parser = Parser::new(input, fields)?;
    if parser.current.kind == Kind::End {
        return Err(parser.error_here("the filter is empty"));
    }
    let root = parser.expression()?;
    match &parser.current.kind {
        Kind::End => Ok(Filter { root }),
        Kind::RParen => Err(parser.error_here("this ')' has no matching '('")),
        Kind::Ident(word) if is_lowercase_keyword(word) => Err(parser.error_here(&format!(
            "expected AND, OR or the end of the filter, found {word:?}; keywords are upper case"
        ))),
        other => Err(parser.error_here(&format!(
            "expected AND, OR or the end of the filter, found {}",
            other.describe()
        ))),
    }
}

fn is_lowercase_keyword(word: &str) -> bool {
    matches!(word.to_ascii_uppercase().as_str(), "AND" | "OR" | "NOT")
        && word != word.to_ascii_uppercase()
}

// ----------------------------------------------------------------------------------
// Syntax tree and SQL

#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    All(Vec<Node>),
    Any(Vec<Node>),
    Not(Box<Node>),
    /// `(column op $n)`
    Compare {
        column: &'static str,
        op: Op,
        value: Value,
    },
    /// `(casefold(column) LIKE casefold($n) ESCAPE '\')`, the pattern already escaped.
    /// `casefold` is Unicode-aware on both backends (SQLite's own `lower` folds ASCII
    /// only): a SQL function on PostgreSQL, a Rust one registered on each SQLite connection.
    Like {
        column: &'static str,
        pattern: String,
    },
}

impl Node {
    fn write(&self, sql: &mut Sql) {
        match self {
            Node::All(parts) => write_joined(sql, parts, " AND "),
            Node::Any(parts) => write_joined(sql, parts, " OR "),
            Node::Not(inner) => {
                sql.push("(NOT ");
                inner.write(sql);
                sql.push(")");
            }
            Node::Compare { column, op, value } => {
                sql.push("(")
                    .push(column)
                    .push(" ")
                    .push(op.sql())
                    .push(" ")
                    .bind(value.clone())
                    .push(")");
            }
            Node::Like { column, pattern } => {
                sql.push("(casefold(")
                    .push(column)
                    .push(") LIKE casefold(")
                    .bind(pattern.as_str())
                    .push(") ESCAPE '\\')");
            }
        }
    }
}

fn write_joined(sql: &mut Sql, parts: &[Node], separator: &str) {
    sql.push("(");
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            sql.push(separator);
        }
        part.write(sql);
    }
    sql.push(")");
}

/// Builds an AND/OR node, without wrapping a single operand.
fn combine(mut parts: Vec<Node>, make: fn(Vec<Node>) -> Node) -> Node {
    if parts.len() == 1 {
        if let Some(only) = parts.pop() {
            return only;
        }
    }
    make(parts)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Has,
}

impl Op {
    fn sql(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "<>",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            // `:` is written as LIKE by `Node::Like`, never as a comparison.
            Op::Has => "LIKE",
        }
    }

    fn text(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Has => ":",
        }
    }
}

// ----------------------------------------------------------------------------------
// Tokens

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    LParen,
    RParen,
    And,
    Or,
    Not,
    Op(Op),
    Ident(String),
    /// A number as written, already checked to be `-?digits(.digits)?`.
    Number(String),
    /// A string with its escapes resolved.
    Str(String),
    End,
}

impl Kind {
    fn describe(&self) -> String {
        match self {
            Kind::LParen => "'('".to_owned(),
            Kind::RParen => "')'".to_owned(),
            Kind::And => "AND".to_owned(),
            Kind::Or => "OR".to_owned(),
            Kind::Not => "NOT".to_owned(),
            Kind::Op(op) => format!("'{}'", op.text()),
            Kind::Ident(name) => format!("the name {name:?}"),
            Kind::Number(_) => "a number".to_owned(),
            Kind::Str(_) => "a string".to_owned(),
            Kind::End => "the end of the filter".to_owned(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Token {
    kind: Kind,
    /// Character offset of the token's first character.
    position: usize,
}

/// Splits the input into tokens on demand, so that errors are reported in text order.
struct Lexer {
    chars: Vec<char>,
    at: usize,
}

impl Lexer {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }

    fn next_token(&mut self) -> Result<Token, FilterError> {
        while self.peek().is_some_and(|c| c.is_ascii_whitespace()) {
            self.at += 1;
        }
        let position = self.at;
        let Some(c) = self.peek() else {
            return Ok(Token {
                kind: Kind::End,
                position,
            });
        };
        let kind = match c {
            '(' => self.single(Kind::LParen),
            ')' => self.single(Kind::RParen),
            '=' => self.single(Kind::Op(Op::Eq)),
            ':' => self.single(Kind::Op(Op::Has)),
            '<' | '>' | '!' => self.comparator(c, position)?,
            '"' => self.string(position)?,
            '-' | '0'..='9' => self.number(position)?,
            c if c.is_ascii_alphabetic() || c == '_' => self.word(),
            c => {
                return Err(FilterError {
                    position,
                    message: format!("unexpected character {c:?}"),
                })
            }
        };
        Ok(Token { kind, position })
    }

    fn single(&mut self, kind: Kind) -> Kind {
        self.at += 1;
        kind
    }

    fn comparator(&mut self, first: char, position: usize) -> Result<Kind, FilterError> {
        self.at += 1;
        let with_equals = self.peek() == Some('=');
        if with_equals {
            self.at += 1;
        }
        let op = match (first, with_equals) {
            ('<', false) => Op::Lt,
            ('<', true) => Op::Le,
            ('>', false) => Op::Gt,
            ('>', true) => Op::Ge,
            ('!', true) => Op::Ne,
            _ => {
                return Err(FilterError {
                    position,
                    message: "unexpected '!'; use '!=' to compare or NOT to negate".to_owned(),
                })
            }
        };
        Ok(Kind::Op(op))
    }

    fn string(&mut self, position: usize) -> Result<Kind, FilterError> {
        self.at += 1;
        let mut text = String::new();
        loop {
            let here = self.at;
            let Some(c) = self.peek() else {
                return Err(FilterError {
                    position,
                    message: "this string is not closed with '\"'".to_owned(),
                });
            };
            self.at += 1;
            match c {
                '"' => return Ok(Kind::Str(text)),
                '\\' => match self.peek() {
                    Some(escaped @ ('"' | '\\')) => {
                        self.at += 1;
                        text.push(escaped);
                    }
                    _ => {
                        return Err(FilterError {
                            position: here,
                            message: "only \\\" and \\\\ are allowed escapes in strings".to_owned(),
                        })
                    }
                },
                // Control characters are never meant, and a NUL would make PostgreSQL
                // refuse the whole query.
                c if c.is_control() => {
                    return Err(FilterError {
                        position: here,
                        message: format!("control character {c:?} in a string"),
                    })
                }
                c => text.push(c),
            }
        }
    }

    fn number(&mut self, position: usize) -> Result<Kind, FilterError> {
        let start = self.at;
        if self.peek() == Some('-') {
            self.at += 1;
        }
        // Take everything that could be part of a word, so "1e3" or "12abc" are reported
        // as one bad number rather than a number followed by a puzzling name.
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_')
        {
            self.at += 1;
        }
        let text: String = self
            .chars
            .get(start..self.at)
            .unwrap_or_default()
            .iter()
            .collect();
        if is_number(&text) {
            Ok(Kind::Number(text))
        } else {
            Err(FilterError {
                position,
                message: "not a number; write numbers like 12, -3 or 0.25".to_owned(),
            })
        }
    }

    fn word(&mut self) -> Kind {
        let start = self.at;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            self.at += 1;
        }
        let word: String = self
            .chars
            .get(start..self.at)
            .unwrap_or_default()
            .iter()
            .collect();
        match word.as_str() {
            "AND" => Kind::And,
            "OR" => Kind::Or,
            "NOT" => Kind::Not,
            _ => Kind::Ident(word),
        }
    }
}

/// `-?digits(.digits)?`, the one number syntax accepted everywhere.
fn is_number(text: &str) -> bool {
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    match unsigned.split_once('.') {
        Some((whole, fraction)) => digits(whole) && digits(fraction),
        None => digits(unsigned),
    }
}

// ----------------------------------------------------------------------------------
// Parser

struct Parser<'a> {
    lexer: Lexer,
    current: Token,
    fields: &'a [FilterField],
    /// Parentheses and NOTs currently open.
    depth: usize,
}

impl<'a> Parser<'a> {
    fn new(input: &str, fields: &'a [FilterField]) -> Result<Self, FilterError> {
        let mut lexer = Lexer {
            chars: input.chars().collect(),
            at: 0,
        };
        let current = lexer.next_token()?;
        Ok(Parser {
            lexer,
            current,
            fields,
            depth: 0,
        })
    }

    /// Moves to the next token and returns the one that was current.
    fn advance(&mut self) -> Result<Token, FilterError> {
        let next = self.lexer.next_token()?;
        Ok(std::mem::replace(&mut self.current, next))
    }

    fn error_here(&self, message: &str) -> FilterError {
        FilterError {
            position: self.current.position,
            message: message.to_owned(),
        }
    }

    fn enter(&mut self) -> Result<(), FilterError> {
        if self.depth >= MAX_DEPTH {
            return Err(self.error_here(&format!(
                "the filter nests parentheses and NOT more than {MAX_DEPTH} deep"
            )));
        }
        self.depth += 1;
        Ok(())
    }

    fn expression(&mut self) -> Result<Node, FilterError> {
        let mut parts = vec![self.factor()?];
        while self.current.kind == Kind::And {
            self.advance()?;
            parts.push(self.factor()?);
        }
        Ok(combine(parts, Node::All))
    }

    fn factor(&mut self) -> Result<Node, FilterError> {
        let mut parts = vec![self.term()?];
        while self.current.kind == Kind::Or {
            self.advance()?;
            parts.push(self.term()?);
        }
        Ok(combine(parts, Node::Any))
    }

    fn term(&mut self) -> Result<Node, FilterError> {
        if self.current.kind != Kind::Not {
            return self.simple();
        }
        self.enter()?;
        self.advance()?;
        let inner = self.term()?;
        self.depth -= 1;
        Ok(Node::Not(Box::new(inner)))
    }

    fn simple(&mut self) -> Result<Node, FilterError> {
        match &self.current.kind {
            Kind::LParen => {
                self.enter()?;
                let open = self.advance()?;
                let inner = self.expression()?;
                if self.current.kind != Kind::RParen {
                    return Err(self.error_here(&format!(
                        "expected ')' to close the '(' at position {}, found {}",
                        open.position,
                        self.current.kind.describe()
                    )));
                }
                self.advance()?;
                self.depth -= 1;
                Ok(inner)
            }
            Kind::Ident(_) => self.comparison(),
            other => Err(self.error_here(&format!(
                "expected a field name, '(' or NOT, found {}",
                other.describe()
            ))),
        }
    }

    fn comparison(&mut self) -> Result<Node, FilterError> {
        let Kind::Ident(name) = &self.current.kind else {
            return Err(self.error_here("expected a field name"));
        };
        let name = name.clone();
        // Look the field up before reading on, so an unknown field is reported before
        // anything that follows it.
        let Some(field) = self.fields.iter().find(|f| f.name == name) else {
            return Err(self.error_here(&unknown_field(&name, self.fields)));
        };
        self.advance()?;
        let Kind::Op(op) = self.current.kind else {
            return Err(self.error_here(&format!(
                "expected =, !=, <, <=, >, >= or : after {name}, found {}",
                self.current.kind.describe()
            )));
        };
        let op_position = self.current.position;
        self.advance()?;
        let value = self.advance()?;
        if !matches!(value.kind, Kind::Number(_) | Kind::Str(_)) {
            return Err(FilterError {
                position: value.position,
                message: format!(
                    "expected a value after {name} {}, found {}",
                    op.text(),
                    value.kind.describe()
                ),
            });
        }
        compile(field, op, op_position, &value)
    }
}

/// Type-checks one comparison and builds its condition.
fn compile(
    field: &FilterField,
    op: Op,
    op_position: usize,
    value: &Token,
) -> Result<Node, FilterError> {
    let (name, column) = (field.name, field.column);
    let at = |position: usize, message: String| FilterError { position, message };
    let bad_value = |message: String| at(value.position, message);

    if op == Op::Has && field.ty != FieldType::Text {
        let kind = match field.ty {
            FieldType::Int => "a whole number",
            FieldType::Decimal { .. } => "a decimal number",
            FieldType::Date => "a date",
            FieldType::Text => "text",
        };
        return Err(at(
            op_position,
            format!("':' only works on text fields; {name} is {kind}"),
        ));
    }

    match (field.ty, &value.kind) {
        (FieldType::Int, Kind::Number(text)) if !text.contains('.') => text
            .parse::<i64>()
            .map(|number| compare(column, op, number))
            .map_err(|_| bad_value(format!("the value for {name} is too large"))),
        (FieldType::Int, _) => Err(bad_value(format!(
            "{name} is a whole number; write it like 12, without quotes"
        ))),

        (FieldType::Decimal { scale }, Kind::Number(text) | Kind::Str(text)) if is_number(text) => {
            let scaled = scale_decimal(text, scale)
                .map_err(|e| bad_value(format!("the value for {name} {e}")))?;
            decimal_comparison(column, op, scaled)
                .ok_or_else(|| bad_value(format!("the value for {name} is too large")))
        }
        (FieldType::Decimal { .. }, _) => Err(bad_value(format!(
            "{name} is a decimal number; write it like 12.30"
        ))),

        (FieldType::Date, Kind::Str(text)) if is_date(text) => {
            Ok(compare(column, op, text.as_str()))
        }
        (FieldType::Date, _) => Err(bad_value(format!(
            "{name} is a date; write a real date in quotes like \"2024-01-31\""
        ))),

        (FieldType::Text, Kind::Str(text)) => match op {
            Op::Eq | Op::Ne => Ok(compare(column, op, text.as_str())),
            Op::Has => Ok(Node::Like {
                column,
                pattern: format!("%{}%", escape_like(text)),
            }),
            Op::Lt | Op::Le | Op::Gt | Op::Ge => Err(at(
                op_position,
                format!("{name} is text and supports only =, != and :"),
            )),
        },
        (FieldType::Text, _) => Err(bad_value(format!(
            "{name} is text; write the value in double quotes"
        ))),
    }
}

fn compare(column: &'static str, op: Op, value: impl Into<Value>) -> Node {
    Node::Compare {
        column,
        op,
        value: value.into(),
    }
}

fn unknown_field(name: &str, fields: &[FilterField]) -> String {
    if fields.is_empty() {
        return format!("unknown field {name:?}; this collection has no filterable fields");
    }
    let names: Vec<&str> = fields.iter().map(|f| f.name).collect();
    format!(
        "unknown field {name:?}; filterable fields are {}",
        names.join(", ")
    )
}

/// Makes `%`, `_` and `\` literal in a LIKE pattern that uses `ESCAPE '\'`.
fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// A client's decimal in column units (10^-scale).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scaled {
    /// The value is exactly this many units.
    Exact(i64),
    /// The value has more decimals than the column keeps and lies strictly between
    /// this many units and one more.
    Between(i64),
}

/// Scales a checked `-?digits(.digits)?` literal to column units without rounding.
///
/// Rather than multiplying the column in SQL (which could overflow in the database for
/// large stored values), a value with more decimals than the column is reduced to the
/// integer just below it; since columns hold whole units, every comparison can then be
/// stated exactly against that integer (see [`decimal_comparison`]).
fn scale_decimal(text: &str, scale: u32) -> Result<Scaled, decimal::DecimalError> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    // "12.300" means the same as "12.3"; trailing zeros must not count as extra decimals.
    let fraction = fraction.trim_end_matches('0');
    let kept_len = usize::try_from(scale).unwrap_or(usize::MAX);
    if fraction.len() <= kept_len {
        let exact = if fraction.is_empty() {
            whole.to_owned()
        } else {
            format!("{whole}.{fraction}")
        };
        return decimal::parse(&exact, scale).map(Scaled::Exact);
    }
    let kept = fraction.get(..kept_len).unwrap_or_default();
    let truncated = if kept.is_empty() {
        whole.to_owned()
    } else {
        format!("{whole}.{kept}")
    };
    // Truncation moved towards zero; for negative values the integer below is one less.
    let toward_zero = decimal::parse(&truncated, scale)?;
    let floor = if whole.starts_with('-') {
        toward_zero.checked_sub(1)
    } else {
        Some(toward_zero)
    };
    floor
        .map(Scaled::Between)
        .ok_or_else(|| decimal::DecimalError("is too large".to_owned()))
}

/// The condition for `column op value` on a column of whole units; `None` on overflow.
fn decimal_comparison(column: &'static str, op: Op, value: Scaled) -> Option<Node> {
    let floor = match value {
        Scaled::Exact(units) => return Some(compare(column, op, units)),
        Scaled::Between(floor) => floor,
    };
    // With floor < value < floor + 1 and whole-unit columns: column < value exactly
    // when column <= floor, and column > value exactly when column >= floor + 1.
    // Equality can never hold, but spelling it as two comparisons keeps SQL's NULL
    // behaviour (NULL stays NULL instead of becoming false or true).
    Some(match op {
        Op::Lt | Op::Le => compare(column, Op::Le, floor),
        Op::Gt | Op::Ge => compare(column, Op::Ge, floor.checked_add(1)?),
        Op::Eq => Node::All(vec![
            compare(column, Op::Gt, floor),
            compare(column, Op::Lt, floor.checked_add(1)?),
        ]),
        // `:` is refused for decimals before this point; treat it like `!=` regardless.
        Op::Ne | Op::Has => Node::Any(vec![
            compare(column, Op::Le, floor),
            compare(column, Op::Ge, floor.checked_add(1)?),
        ]),
    })
}

/// True for `YYYY-MM-DD` naming a real day of the proleptic Gregorian calendar.
/// True for a real calendar date written `YYYY-MM-DD`.
pub fn is_date(text: &str) -> bool {
    let bytes = text.as_bytes();
    let shape_ok = bytes.len() == 10
        && bytes.iter().enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            _ => b.is_ascii_digit(),
        });
    if !shape_ok {
        return false;
    }
    let number = |range: std::ops::Range<usize>| {
        text.get(range)
            .and_then(|digits| digits.parse::<u32>().ok())
            .unwrap_or(0)
    };
    let (year, month, day) = (number(0..4), number(5..7), number(8..10));
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days_in_month).contains(&day)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIELDS: &[FilterField] = &[
        FilterField {
            name: "id",
            column: "t.id",
            ty: FieldType::Int,
        },
        FilterField {
            name: "name",
            column: "t.name",
            ty: FieldType::Text,
        },
        FilterField {
            name: "price",
            column: "t.price_cents",
            ty: FieldType::Decimal { scale: 2 },
        },
        FilterField {
            name: "published",
            column: "t.published",
            ty: FieldType::Date,
        },
        FilterField {
            name: "authorCount",
            column: "(SELECT count(*) FROM ba WHERE ba.book_id = t.id)",
            ty: FieldType::Int,
        },
    ];

    fn sql(input: &str) -> (String, Vec<Value>) {
        let filter = parse(input, FIELDS).unwrap_or_else(|e| panic!("{input:?}: {e}"));
        let sql = filter.to_sql();
        (sql.text().to_owned(), sql.binds().to_vec())
    }

    fn text_of(input: &str) -> String {
        sql(input).0
    }

    fn error(input: &str) -> FilterError {
        match parse(input, FIELDS) {
            Ok(filter) => panic!("{input:?} parsed as {:?}", filter.to_sql()),
            Err(e) => e,
        }
    }

    fn fails_at(input: &str, position: usize, fragment: &str) {
        let e = error(input);
        assert_eq!(e.position, position, "{input:?}: {e}");
        assert!(
            e.message.contains(fragment),
            "{input:?}: {:?} should mention {fragment:?}",
            e.message
        );
    }

    #[test]
    fn compiles_a_comparison_with_a_bound_value() {
        assert_eq!(
            sql("id > 3"),
            ("(t.id > $1)".to_owned(), vec![Value::Int(3)])
        );
        assert_eq!(text_of("id>3"), "(t.id > $1)");
        assert_eq!(text_of("id!=3"), "(t.id <> $1)");
        assert_eq!(text_of("id<=-3"), "(t.id <= $1)");
        assert_eq!(
            text_of("authorCount >= 2"),
            "((SELECT count(*) FROM ba WHERE ba.book_id = t.id) >= $1)"
        );
        assert_eq!(
            sql("\tname\n=\r\"x\"  "),
            ("(t.name = $1)".to_owned(), vec![Value::Text("x".into())])
        );
    }

    #[test]
    fn or_binds_tighter_than_and() {
        assert_eq!(
            text_of("id = 1 AND id = 2 OR id = 3"),
            "((t.id = $1) AND ((t.id = $2) OR (t.id = $3)))"
        );
        assert_eq!(
            text_of("id = 1 OR id = 2 AND id = 3"),
            "(((t.id = $1) OR (t.id = $2)) AND (t.id = $3))"
        );
        assert_eq!(
            text_of("(id = 1 AND id = 2) OR id = 3"),
            "(((t.id = $1) AND (t.id = $2)) OR (t.id = $3))"
        );
        assert_eq!(
            text_of("id = 1 AND id = 2 AND id = 3"),
            "((t.id = $1) AND (t.id = $2) AND (t.id = $3))"
        );
    }

    #[test]
    fn not_binds_tightest() {
        assert_eq!(
            text_of("NOT id = 1 OR id = 2"),
            "((NOT (t.id = $1)) OR (t.id = $2))"
        );
        assert_eq!(
            text_of("NOT (id = 1 OR id = 2)"),
            "(NOT ((t.id = $1) OR (t.id = $2)))"
        );
        assert_eq!(text_of("NOT NOT id = 1"), "(NOT (NOT (t.id = $1)))");
        assert_eq!(text_of("NOT(id=1)"), "(NOT (t.id = $1))");
    }

    #[test]
    fn int_fields_take_whole_numbers_only() {
        assert_eq!(sql("id = -0").1, vec![Value::Int(0)]);
        assert_eq!(
            sql(&format!("id = {}", i64::MIN)).1,
            vec![Value::Int(i64::MIN)]
        );
        fails_at("id = 1.5", 5, "whole number");
        fails_at("id = \"3\"", 5, "without quotes");
        fails_at("id : 3", 3, "only works on text");
        fails_at("id = 9223372036854775808", 5, "too large");
    }

    #[test]
    fn decimal_fields_scale_exact_values() {
        assert_eq!(
            sql("price = 12.3"),
            ("(t.price_cents = $1)".to_owned(), vec![Value::Int(1230)])
        );
        assert_eq!(sql("price < \"12.30\"").1, vec![Value::Int(1230)]);
        assert_eq!(sql("price >= 7").1, vec![Value::Int(700)]);
        assert_eq!(sql("price > -0.05").1, vec![Value::Int(-5)]);
        assert_eq!(sql("price = 1.500000").1, vec![Value::Int(150)]);
        fails_at("price : 1", 6, "only works on text");
        fails_at("price = \"abc\"", 8, "decimal number");
        fails_at("price = \"1e3\"", 8, "decimal number");
        fails_at("price = \" 1\"", 8, "decimal number");
        fails_at("price = 92233720368547758.08", 8, "too large");
        fails_at("price = 99999999999999999999", 8, "too large");
    }

    #[test]
    fn decimal_fields_compare_extra_decimals_exactly() {
        // 12.345 lies strictly between 1234 and 1235 cents.
        let between = |input: &str| sql(input);
        assert_eq!(
            between("price < 12.345"),
            ("(t.price_cents <= $1)".to_owned(), vec![Value::Int(1234)])
        );
        assert_eq!(
            between("price <= 12.345"),
            ("(t.price_cents <= $1)".to_owned(), vec![Value::Int(1234)])
        );
        assert_eq!(
            between("price > 12.345"),
            ("(t.price_cents >= $1)".to_owned(), vec![Value::Int(1235)])
        );
        assert_eq!(
            between("price >= 12.345"),
            ("(t.price_cents >= $1)".to_owned(), vec![Value::Int(1235)])
        );
        assert_eq!(
            between("price = 12.345"),
            (
                "((t.price_cents > $1) AND (t.price_cents < $2))".to_owned(),
                vec![Value::Int(1234), Value::Int(1235)]
            )
        );
        assert_eq!(
            between("price != 12.345"),
            (
                "((t.price_cents <= $1) OR (t.price_cents >= $2))".to_owned(),
                vec![Value::Int(1234), Value::Int(1235)]
            )
        );
        // Negative values: -0.001 lies between -1 and 0 cents.
        assert_eq!(sql("price < -0.001").1, vec![Value::Int(-1)]);
        assert_eq!(sql("price > -1.005").1, vec![Value::Int(-100)]);
        // Any number of decimals works, since nothing is multiplied up.
        let tiny = format!("price > 0.{}1", "0".repeat(500));
        assert_eq!(sql(&tiny).1, vec![Value::Int(1)]);
        assert_eq!(
            sql("price < 92233720368547758.075").1,
            vec![Value::Int(i64::MAX)]
        );
        fails_at("price < 92233720368547758.085", 8, "too large");
    }

    #[test]
    fn decimal_scale_zero_and_large_scales() {
        let fields = [FilterField {
            name: "n",
            column: "n",
            ty: FieldType::Decimal { scale: 0 },
        }];
        let parsed = parse("n < 2.5", &fields).expect("valid");
        assert_eq!(parsed.to_sql().binds(), &[Value::Int(2)]);
        let parsed = parse("n > -2.5", &fields).expect("valid");
        assert_eq!(parsed.to_sql().text(), "(n >= $1)");
        assert_eq!(parsed.to_sql().binds(), &[Value::Int(-2)]);
    }

    #[test]
    fn date_fields_take_real_dates_in_quotes() {
        assert_eq!(
            sql("published >= \"2024-02-29\""),
            (
                "(t.published >= $1)".to_owned(),
                vec![Value::Text("2024-02-29".into())]
            )
        );
        assert_eq!(sql("published = \"2000-02-29\"").1.len(), 1);
        for bad in [
            "\"2023-02-29\"",
            "\"1900-02-29\"",
            "\"2024-13-01\"",
            "\"2024-00-10\"",
            "\"2024-04-31\"",
            "\"2024-01-00\"",
            "\"2024-1-01\"",
            "\"24-01-01\"",
            "\"2024-01-01T00:00\"",
            "\"２０２４-01-01\"",
            "20240101",
            "2024",
        ] {
            fails_at(&format!("published < {bad}"), 12, "real date");
        }
        fails_at("published : \"2024\"", 10, "only works on text");
    }

    #[test]
    fn text_fields_compare_exactly_or_by_substring() {
        assert_eq!(
            sql(r#"name != "O\"Brien \\ x""#),
            (
                "(t.name <> $1)".to_owned(),
                vec![Value::Text(r#"O"Brien \ x"#.into())]
            )
        );
        assert_eq!(
            sql(r#"name : "Tol""#),
            (
                "(casefold(t.name) LIKE casefold($1) ESCAPE '\\')".to_owned(),
                vec![Value::Text("%Tol%".into())]
            )
        );
        fails_at("name < \"x\"", 5, "only =, != and :");
        fails_at("name = 3", 7, "double quotes");
    }

    #[test]
    fn substring_search_escapes_like_wildcards() {
        assert_eq!(
            sql(r#"name : "100%_off\\now""#).1,
            vec![Value::Text(r"%100\%\_off\\now%".into())]
        );
        assert_eq!(sql(r#"name : """#).1, vec![Value::Text("%%".into())]);
    }

    #[test]
    fn unknown_fields_list_the_allowed_ones() {
        let e = error("title = \"x\"");
        assert_eq!(e.position, 0);
        assert_eq!(
            e.message,
            "unknown field \"title\"; filterable fields are id, name, price, published, authorCount"
        );
        fails_at("id = 1 AND Id = 2", 11, "unknown field \"Id\"");
        let e = parse("id = 1", &[]).expect_err("no fields");
        assert!(e.message.contains("no filterable fields"));
    }

    #[test]
    fn syntax_errors_point_at_the_offending_token() {
        fails_at("", 0, "empty");
        fails_at("   ", 3, "empty");
        fails_at("NOT", 3, "expected a field name");
        fails_at("id = 1 AND AND id = 2", 11, "found AND");
        fails_at("id = 1 AND", 10, "found the end");
        fails_at("AND id = 1", 0, "found AND");
        fails_at("id = 1 id = 2", 7, "expected AND, OR");
        fails_at("id = 1 and id = 2", 7, "keywords are upper case");
        fails_at("id = 1)", 6, "no matching '('");
        fails_at("((id = 1)", 9, "close the '(' at position 0");
        fails_at("()", 1, "found ')'");
        fails_at("id", 2, "expected =, !=");
        fails_at("id 3", 3, "expected =, !=");
        fails_at("id =", 4, "expected a value");
        fails_at("id = = 3", 5, "expected a value");
        fails_at("id = (3)", 5, "expected a value");
        fails_at("name = \"abc", 7, "not closed");
        fails_at(r#"name = "a\nb""#, 9, "escapes");
        fails_at("id ! 3", 3, "'!='");
        fails_at("id = 1e3", 5, "not a number");
        fails_at("id = 5.", 5, "not a number");
        fails_at("id = .5", 5, "unexpected character '.'");
        fails_at("id = +1", 5, "unexpected character '+'");
        fails_at("id = - 1", 5, "not a number");
        fails_at("id = 1 && id = 2", 7, "unexpected character '&'");
        fails_at("a.b = 1", 0, "unknown field \"a\"");
        fails_at("id.x = 1", 2, "unexpected character '.'");
    }

    #[test]
    fn positions_count_characters_not_bytes() {
        fails_at("name = \"ééé\" AND é", 17, "unexpected character 'é'");
        fails_at("name = \"🦀\" AND 🦀", 15, "unexpected character '🦀'");
    }

    #[test]
    fn nesting_is_limited() {
        let ok = format!("{}id = 1{}", "(".repeat(32), ")".repeat(32));
        assert!(parse(&ok, FIELDS).is_ok());
        let too_deep = format!("{}id = 1{}", "(".repeat(33), ")".repeat(33));
        fails_at(&too_deep, 32, "more than 32");
        let nots = format!("{}id = 1", "NOT ".repeat(33));
        fails_at(&nots, 128, "more than 32");
        let mixed = format!("{}id = 1{}", "NOT (".repeat(17), ")".repeat(17));
        fails_at(&mixed, 80, "more than 32");
        // Far beyond the limit, the parser stops at depth 33 instead of recursing on.
        fails_at(&"(".repeat(1999), 32, "more than 32");
        fails_at(&"(".repeat(10_000), 2000, "longer than 2000");
    }

    #[test]
    fn hostile_input_is_refused_without_panicking() {
        fails_at(&"a".repeat(100_000), 2000, "longer than 2000");
        fails_at(&"é".repeat(2001), 2000, "longer than 2000");
        assert!(parse(&format!("name = \"{}\"", "é".repeat(1990)), FIELDS).is_ok());
        fails_at(&format!("id = {}", "9".repeat(1000)), 5, "too large");
        fails_at(&format!("price = {}", "9".repeat(1000)), 8, "too large");
        assert_eq!(
            sql(&format!("price = 1.{}", "9".repeat(1000))).1,
            vec![Value::Int(199), Value::Int(200)]
        );
        fails_at(&format!("id = -{}", "9".repeat(1000)), 5, "too large");
        fails_at("name = \"a\u{0}b\"", 9, "control character");
        fails_at("name = \"a\u{7f}b\"", 9, "control character");
        fails_at("id = 1\u{0}", 6, "unexpected character");
        fails_at("id\u{a0}= 1", 2, "unexpected character");
        fails_at("id = ١", 5, "unexpected character");
        fails_at("\u{202e}id = 1", 0, "unexpected character");
        fails_at("id = 1 AND name = \"\\", 19, "escapes");
        fails_at("\"", 0, "not closed");
        fails_at("-", 0, "not a number");
        for input in [
            "(",
            ")",
            "NOT NOT",
            "OR",
            ":",
            "\"x\" = name",
            "3 = id",
            "\\",
            "'x'",
        ] {
            assert!(parse(input, FIELDS).is_err(), "{input:?}");
        }
    }

    #[test]
    fn random_and_mutated_filters_never_panic() {
        // Valid filters built from these pieces, then some with a stray piece inserted
        // at a random place; a fixed generator keeps the test deterministic.
        let comparisons = [
            "id = 1",
            "id>=-3",
            r#"name : "x""#,
            r#"name != "a\"b""#,
            "price < 12.345",
            r#"price = "0.5""#,
            r#"published > "2024-02-29""#,
            "NOT id = 2",
            "(id = 1 OR id = 2)",
        ];
        let joins = [" AND ", " OR ", "AND", " OR NOT "];
        let strays = [
            "(",
            ")",
            "AND",
            "OR",
            "NOT",
            "=",
            "!",
            "-",
            ".",
            "1",
            "1.5",
            "99999999999999999999",
            "\"",
            "\\",
            "é",
            "\u{0}",
            " ",
            "nope",
            ":",
            "<",
        ];
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = |bound: usize| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            usize::try_from(state >> 33).unwrap_or(0) % bound
        };
        let (mut accepted, mut refused) = (0, 0);
        for _ in 0..20_000 {
            let mut input = comparisons[next(comparisons.len())].to_owned();
            for _ in 0..next(5) {
                input.push_str(joins[next(joins.len())]);
                input.push_str(comparisons[next(comparisons.len())]);
            }
            if next(2) == 0 {
                let boundaries: Vec<usize> = input
                    .char_indices()
                    .map(|(i, _)| i)
                    .chain([input.len()])
                    .collect();
                let at = boundaries[next(boundaries.len())];
                input.insert_str(at, strays[next(strays.len())]);
            }
            match parse(&input, FIELDS) {
                Ok(filter) => {
                    accepted += 1;
                    let sql = filter.to_sql();
                    let placeholders = sql.text().matches('$').count();
                    assert_eq!(placeholders, sql.binds().len(), "{input:?}");
                }
                Err(e) => {
                    refused += 1;
                    assert!(e.position <= input.chars().count(), "{input:?}: {e}");
                }
            }
        }
        assert!(
            accepted > 5_000 && refused > 2_000,
            "{accepted} / {refused}"
        );
    }

    #[test]
    fn values_never_reach_the_sql_text() {
        let input = r#"name = "'; DROP TABLE books; --" OR name : "x' OR '1'='1" AND (id = 424242 OR price < 13.37) AND NOT published = "2024-01-31""#;
        let (text, binds) = sql(input);
        for fragment in ["DROP", "'1'", "424242", "1337", "13.37", "2024", "x'"] {
            assert!(!text.contains(fragment), "{fragment} leaked into {text}");
        }
        assert_eq!(binds.len(), 5);
        let only_trusted = text
            .replace("t.name", "")
            .replace("t.id", "")
            .replace("t.price_cents", "")
            .replace("t.published", "")
            .replace("casefold", "")
            .replace("LIKE", "")
            .replace("ESCAPE '\\'", "")
            .replace("AND", "")
            .replace("OR", "")
            .replace("NOT", "");
        assert!(
            only_trusted
                .chars()
                .all(|c| "()$<>= 0123456789".contains(c)),
            "{only_trusted}"
        );
    }
}

//! From a schema file to descriptors: every name checked (identifiers are
//! `[a-z][a-z0-9_]*`, so nothing unchecked is ever spliced into SQL), every reference
//! resolved, computed fields turned into SQL expressions, and the descriptors leaked
//! into `'static` data: a model is loaded once and lives as long as the process.

use std::collections::BTreeMap;
use std::ops::Range;

use toml::Spanned;

use super::file::{ChildrenDecl, FieldDecl, File, PairDecl, Resource, SideDecl};
use crate::model::children::AfterWrite;
use crate::model::entity::AfterCreate;
use crate::model::{
    Access, Auth, Children, Demo, Entity, Field, Kind, Model, Pair, Parent, Part, PartKind, Side,
    Singleton, SingletonBehaviour, Styles, Tables,
};
use crate::shop::{accounts, invoices};

/// One thing wrong with a schema, at a place in the file when it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    /// Where, as a byte range of the file.
    pub(crate) span: Option<Range<usize>>,
    /// What it is about: `resource "books"`, `pair "books_authors"`.
    pub(crate) item: String,
    /// What is wrong.
    pub(crate) message: String,
}

/// Names the file may not use for a property: the HAL keys and the id.
const RESERVED_PROPERTIES: &[&str] = &["id", "_links", "_embedded", "_templates"];
/// Paths the server keeps for itself.
const RESERVED_PATHS: &[&str] = &[
    "rels",
    "openapi.json",
    "health",
    "live",
    "ready",
    "orders",
    "_browser",
];

fn problem<T>(at: &Spanned<T>, item: &str, message: impl Into<String>) -> Problem {
    Problem {
        span: Some(at.span()),
        item: item.to_owned(),
        message: message.into(),
    }
}

fn leak(text: &str) -> &'static str {
    Box::leak(text.to_owned().into_boxed_str())
}

fn is_identifier(text: &str) -> bool {
    let mut bytes = text.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_lowercase())
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && text.len() <= 63
}

fn is_property(text: &str) -> bool {
    let mut bytes = text.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_lowercase())
        && bytes.all(|b| b.is_ascii_alphanumeric())
        && text.len() <= 63
}

fn is_path(text: &str) -> bool {
    let segment = |s: &str| {
        let mut bytes = s.bytes();
        bytes.next().is_some_and(|b| b.is_ascii_lowercase())
            && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    let segments: Vec<&str> = text.split('/').collect();
    segments.len() <= 2 && segments.iter().all(|s| segment(s)) && text.len() <= 63
}

fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// A field's type before the descriptors exist: references name a resource by index.
#[derive(Debug, Clone)]
enum Ty {
    Text(usize),
    Email(String),
    Int(i64, i64),
    Date,
    Timestamp,
    Decimal(u32, i64, i64),
    Choice(Vec<String>),
    Money,
    Share(String, Option<(String, usize)>),
    Ref(usize, String),
}

/// The checked file, with indices for what its names refer to.
struct Checked<'f> {
    file: &'f File,
    problems: Vec<Problem>,
    by_path: BTreeMap<String, usize>,
}

impl<'f> Checked<'f> {
    fn resource(&mut self, path: &Spanned<String>, item: &str) -> Option<usize> {
        let found = self.by_path.get(path.get_ref()).copied();
        if found.is_none() {
            self.problems.push(problem(
                path,
                item,
                format!("there is no resource with path {:?}", path.get_ref()),
            ));
        }
        found
    }

    fn table(&self, r: usize) -> String {
        let resource = &self.file.resources[r];
        resource
            .table
            .as_ref()
            .map(|t| t.get_ref().clone())
            .unwrap_or_else(|| resource.path.get_ref().replace(['-', '/'], "_"))
    }

    fn field_index(&self, r: usize, name: &str) -> Option<usize> {
        self.file.resources[r]
            .fields
            .iter()
            .position(|f| f.name.get_ref() == name)
    }

    fn column(&self, r: usize, f: usize) -> String {
        let field = &self.file.resources[r].fields[f];
        field
            .column
            .as_ref()
            .map(|c| c.get_ref().clone())
            .unwrap_or_else(|| snake_case(field.name.get_ref()))
    }

    /// The reference field of resource `r` named by its link relation (its `rel`, or by
    /// default its target's singular name) or by its name.
    fn ref_field(&self, r: usize, name: &str) -> Option<usize> {
        self.file.resources[r]
            .fields
            .iter()
            .enumerate()
            .position(|(f, field)| {
                let is_ref = field.ty.as_ref().is_some_and(|t| t.get_ref() == "ref");
                let rel = match &field.rel {
                    Some(rel) => Some(rel.get_ref().clone()),
                    None => self
                        .ref_target(r, f)
                        .map(|t| self.file.resources[t].name.get_ref().clone()),
                };
                is_ref && (field.name.get_ref() == name || rel.as_deref() == Some(name))
            })
    }

    fn ref_target(&self, r: usize, f: usize) -> Option<usize> {
        let field = &self.file.resources[r].fields[f];
        field
            .to
            .as_ref()
            .and_then(|to| self.by_path.get(to.get_ref()).copied())
    }

    /// A field's type; `depth` bounds computed fields that refer to each other.
    fn ty(&mut self, r: usize, f: usize, depth: usize) -> Option<Ty> {
        let file = self.file;
        let field = &file.resources[r].fields[f];
        let item = format!(
            "field {:?} of resource {:?}",
            field.name.get_ref(),
            file.resources[r].path.get_ref()
        );
        if depth > 8 {
            self.problems.push(problem(
                &field.name,
                &item,
                "computed fields refer to each other in a circle",
            ));
            return None;
        }
        if let Some(computed) = &field.computed {
            if let Some(ty) = &field.ty {
                self.problems.push(problem(
                    ty,
                    &item,
                    "a computed field takes its type from what it computes: leave out `type`",
                ));
            }
            if depth == 0 {
                self.stray_keys(field, "computed", &item);
            }
            return self.computed_ty(r, f, computed, &item, depth);
        }
        let Some(ty) = &field.ty else {
            self.problems
                .push(problem(&field.name, &item, "needs a `type`"));
            return None;
        };
        let need =
            |this: &mut Self, value: Option<&Spanned<String>>, key: &str| -> Option<String> {
                match value {
                    Some(v) if is_identifier(v.get_ref()) => Some(v.get_ref().clone()),
                    Some(v) => {
                        this.problems.push(problem(
                            v,
                            &item,
                            format!("`{key}` must be an identifier like [a-z][a-z0-9_]*"),
                        ));
                        None
                    }
                    None => {
                        this.problems.push(problem(
                            ty,
                            &item,
                            format!("a {} field needs `{key}`", ty.get_ref()),
                        ));
                        None
                    }
                }
            };
        self.stray_keys(field, ty.get_ref(), &item);
        Some(match ty.get_ref().as_str() {
            "text" => Ty::Text(match &field.max {
                Some(max) if (1..=1_000_000).contains(max.get_ref()) => *max.get_ref() as usize,
                Some(max) => {
                    self.problems.push(problem(
                        max,
                        &item,
                        "`max` must be from 1 to 1000000 characters",
                    ));
                    return None;
                }
                None => {
                    self.problems.push(problem(
                        ty,
                        &item,
                        "a text field needs `max`, its most characters",
                    ));
                    return None;
                }
            }),
            "email" => Ty::Email(need(self, field.key.as_ref(), "key")?),
            "int" => {
                let min = field.min.as_ref().map_or(i64::MIN, |m| *m.get_ref());
                let max = field.max.as_ref().map_or(i64::MAX, |m| *m.get_ref());
                if min > max {
                    self.problems
                        .push(problem(ty, &item, "`min` is above `max`"));
                    return None;
                }
                Ty::Int(min, max)
            }
            "date" => Ty::Date,
            "timestamp" => Ty::Timestamp,
            "decimal" => {
                let scale = match &field.scale {
                    Some(scale) if (1..=9).contains(scale.get_ref()) => *scale.get_ref() as u32,
                    Some(scale) => {
                        self.problems
                            .push(problem(scale, &item, "`scale` is 1 to 9 decimals"));
                        return None;
                    }
                    None => {
                        self.problems.push(problem(
                            ty,
                            &item,
                            "a decimal field needs `scale`, its decimals",
                        ));
                        return None;
                    }
                };
                let factor = 10_i64.pow(scale);
                let bound =
                    |value: Option<&Spanned<i64>>, default: i64, this: &mut Self| -> Option<i64> {
                        match value {
                            None => Some(default),
                            Some(v) => v.get_ref().checked_mul(factor).or_else(|| {
                                this.problems.push(problem(
                                    v,
                                    &item,
                                    "this bound is out of range at this scale",
                                ));
                                None
                            }),
                        }
                    };
                let min = bound(field.min.as_ref(), i64::MIN / factor * factor, self)?;
                let max = bound(field.max.as_ref(), i64::MAX / factor * factor, self)?;
                if min > max {
                    self.problems
                        .push(problem(ty, &item, "`min` is above `max`"));
                    return None;
                }
                Ty::Decimal(scale, min, max)
            }
            "money" => Ty::Money,
            "choice" => match &field.choices {
                Some(choices) if !choices.get_ref().is_empty() => {
                    Ty::Choice(choices.get_ref().clone())
                }
                _ => {
                    self.problems.push(problem(
                        ty,
                        &item,
                        "a choice field needs `choices`, a non-empty list",
                    ));
                    return None;
                }
            },
            "share" => {
                let units = need(self, field.units.as_ref(), "units")?;
                let ceiling = match &field.ceiling {
                    None => None,
                    Some(name) => match self.ref_field(r, name.get_ref()) {
                        Some(g) => {
                            let target = self.ref_target(r, g)?;
                            Some((self.column(r, g), target))
                        }
                        None => {
                            self.problems.push(problem(
                                name,
                                &item,
                                format!(
                                    "`ceiling` names no reference field of this resource: {:?}",
                                    name.get_ref()
                                ),
                            ));
                            return None;
                        }
                    },
                };
                Ty::Share(units, ceiling)
            }
            "ref" => {
                let Some(to) = &field.to else {
                    self.problems.push(problem(
                        ty,
                        &item,
                        "a ref field needs `to`, the path of the referenced collection",
                    ));
                    return None;
                };
                let target = self.resource(to, &item)?;
                let rel = field.rel.as_ref().map_or_else(
                    || file.resources[target].name.get_ref().clone(),
                    |rel| rel.get_ref().clone(),
                );
                Ty::Ref(target, rel)
            }
            other => {
                self.problems.push(problem(ty, &item, format!(
                    "unknown type {other:?}; a field is text, email, int, decimal, date, timestamp, choice, money, share or ref")));
                return None;
            }
        })
    }

    /// Refuses keys that mean nothing for the field's type (a `ceiling` on a text).
    fn stray_keys(&mut self, field: &FieldDecl, ty: &str, item: &str) {
        let allowed: &[&str] = match ty {
            "text" => &["max", "default"],
            "email" => &["key", "default"],
            "int" => &["min", "max", "default"],
            "decimal" => &["scale", "min", "max", "default"],
            "choice" => &["choices", "default"],
            "share" => &["units", "ceiling", "default"],
            "ref" => &["to", "rel", "default"],
            "computed" => &[],
            _ => &["default"],
        };
        let given: [(&str, Option<Range<usize>>); 10] = [
            ("scale", field.scale.as_ref().map(Spanned::span)),
            ("default", field.default.as_ref().map(Spanned::span)),
            ("max", field.max.as_ref().map(Spanned::span)),
            ("min", field.min.as_ref().map(Spanned::span)),
            ("key", field.key.as_ref().map(Spanned::span)),
            ("choices", field.choices.as_ref().map(Spanned::span)),
            ("units", field.units.as_ref().map(Spanned::span)),
            ("ceiling", field.ceiling.as_ref().map(Spanned::span)),
            ("to", field.to.as_ref().map(Spanned::span)),
            ("rel", field.rel.as_ref().map(Spanned::span)),
        ];
        for (key, span) in given {
            if let Some(span) = span.filter(|_| !allowed.contains(&key)) {
                self.problems.push(Problem {
                    span: Some(span),
                    item: item.to_owned(),
                    message: format!(
                        "`{key}` means nothing for a {ty} field{}",
                        if key == "ceiling" {
                            " (a ceiling caps a share)"
                        } else {
                            ""
                        }
                    ),
                });
            }
        }
    }

    fn computed_ty(
        &mut self,
        r: usize,
        f: usize,
        computed: &Spanned<super::file::Computed>,
        item: &str,
        depth: usize,
    ) -> Option<Ty> {
        let c = computed.get_ref();
        let forms = [
            c.count.is_some(),
            c.sum.is_some(),
            c.through.is_some(),
            c.product.is_some(),
        ];
        if forms.iter().filter(|f| **f).count() != 1 {
            self.problems.push(problem(
                computed,
                item,
                "a computed field is exactly one of count, sum, through or product",
            ));
            return None;
        }
        let _ = f;
        if c.count.is_some() {
            return Some(Ty::Int(0, i64::MAX));
        }
        if let Some(children) = &c.sum {
            let (child, of) = self.sum_target(r, children, c.of.as_ref(), item)?;
            return match self.ty(child, of, depth + 1)? {
                ty @ (Ty::Money | Ty::Int(..)) => Some(ty),
                _ => {
                    self.problems
                        .push(problem(computed, item, "a sum is of a money or int field"));
                    None
                }
            };
        }
        if let Some(through) = &c.through {
            let (target, of) = self.through_target(r, through, c.of.as_ref(), item)?;
            return match self.ty(target, of, depth + 1)? {
                Ty::Ref(..) | Ty::Share(..) => {
                    self.problems.push(problem(
                        computed,
                        item,
                        "a value through a reference cannot be a ref or share field",
                    ));
                    None
                }
                ty => Some(ty),
            };
        }
        let factors = c.product.as_ref()?;
        if factors.get_ref().len() != 2 {
            self.problems
                .push(problem(factors, item, "a product is of exactly two fields"));
            return None;
        }
        let mut money = false;
        for name in factors.get_ref() {
            let Some(g) = self.field_index(r, name) else {
                self.problems.push(problem(
                    factors,
                    item,
                    format!("{name:?} is no field of this resource"),
                ));
                return None;
            };
            match self.ty(r, g, depth + 1)? {
                Ty::Money => money = true,
                Ty::Int(..) => {}
                _ => {
                    self.problems.push(problem(
                        factors,
                        item,
                        "a product is of money or int fields",
                    ));
                    return None;
                }
            }
        }
        Some(if money {
            Ty::Money
        } else {
            Ty::Int(i64::MIN, i64::MAX)
        })
    }

    fn sum_target(
        &mut self,
        r: usize,
        children: &Spanned<String>,
        of: Option<&Spanned<String>>,
        item: &str,
    ) -> Option<(usize, usize)> {
        let child = self.resource(children, item)?;
        let parent_path = self.file.resources[r].path.get_ref().clone();
        let related =
            self.file.children.iter().any(|c| {
                c.parent.get_ref() == &parent_path && c.child.get_ref() == children.get_ref()
            });
        if !related {
            self.problems.push(problem(
                children,
                item,
                format!("{:?} are not children of this resource", children.get_ref()),
            ));
            return None;
        }
        let of = self.named_field(child, of, children, item)?;
        Some((child, of))
    }

    fn through_target(
        &mut self,
        r: usize,
        through: &Spanned<String>,
        of: Option<&Spanned<String>>,
        item: &str,
    ) -> Option<(usize, usize)> {
        let Some(g) = self.ref_field(r, through.get_ref()) else {
            self.problems.push(problem(
                through,
                item,
                format!(
                    "{:?} names no reference field of this resource",
                    through.get_ref()
                ),
            ));
            return None;
        };
        let target = self.ref_target(r, g)?;
        let of = self.named_field(target, of, through, item)?;
        Some((target, of))
    }

    fn named_field(
        &mut self,
        r: usize,
        of: Option<&Spanned<String>>,
        at: &Spanned<String>,
        item: &str,
    ) -> Option<usize> {
        let Some(of) = of else {
            self.problems
                .push(problem(at, item, "needs `of`, the field"));
            return None;
        };
        let found = self.field_index(r, of.get_ref());
        if found.is_none() {
            self.problems.push(problem(
                of,
                item,
                format!(
                    "{:?} has no field {:?}",
                    self.file.resources[r].path.get_ref(),
                    of.get_ref()
                ),
            ));
        }
        found
    }

    /// The SQL of a field's value, its columns qualified by `table` (a table name or an
    /// alias); `depth` keeps nested aliases apart.
    fn sql(&mut self, r: usize, f: usize, table: &str, depth: usize) -> Option<String> {
        if depth > 10 {
            // Computed fields in a circle: `ty` reports it.
            return None;
        }
        let field = &self.file.resources[r].fields[f];
        let Some(computed) = &field.computed else {
            return Some(format!("{table}.{}", self.column(r, f)));
        };
        let c = computed.get_ref();
        let alias = format!("t{depth}");
        let item = format!(
            "field {:?} of resource {:?}",
            field.name.get_ref(),
            self.file.resources[r].path.get_ref()
        );
        if let Some(other) = &c.count {
            let this = self.file.resources[r].path.get_ref().clone();
            let pair = self.file.pairs.iter().find_map(|p| {
                let (l, rr) = (p.left.resource.get_ref(), p.right.resource.get_ref());
                if l == &this && rr == other.get_ref() {
                    Some((p.table.get_ref().clone(), p.left.column.get_ref().clone()))
                } else if rr == &this && l == other.get_ref() {
                    Some((p.table.get_ref().clone(), p.right.column.get_ref().clone()))
                } else {
                    None
                }
            });
            // Or the children at that path.
            let pair = pair.or_else(|| {
                self.file.children.iter().find_map(|c| {
                    (c.parent.get_ref() == &this && c.child.get_ref() == other.get_ref())
                        .then(|| c.child.get_ref().clone())
                        .and_then(|path| self.by_path.get(&path).copied())
                        .map(|child| (self.table(child), c.column.get_ref().clone()))
                })
            });
            let Some((link, column)) = pair else {
                self.problems.push(problem(
                    other,
                    &item,
                    format!(
                        "neither a pair nor children relate this resource to {:?}",
                        other.get_ref()
                    ),
                ));
                return None;
            };
            return Some(format!(
                "(SELECT COUNT(*) FROM {link} {alias} WHERE {alias}.{column} = {table}.id)"
            ));
        }
        if let Some(children) = &c.sum {
            let (child, of) = self.sum_target(r, children, c.of.as_ref(), &item)?;
            let parent_path = self.file.resources[r].path.get_ref().clone();
            let column = self
                .file
                .children
                .iter()
                .find(|d| {
                    d.parent.get_ref() == &parent_path && d.child.get_ref() == children.get_ref()
                })?
                .column
                .get_ref()
                .clone();
            let value = self.sql(child, of, &alias, depth + 1)?;
            let child_table = self.table(child);
            return Some(format!(
                "(SELECT CAST(COALESCE(SUM({value}), 0) AS BIGINT) FROM {child_table} {alias} WHERE {alias}.{column} = {table}.id)"
            ));
        }
        if let Some(through) = &c.through {
            let g = self.ref_field(r, through.get_ref())?;
            let (target, of) = self.through_target(r, through, c.of.as_ref(), &item)?;
            let value = self.sql(target, of, &alias, depth + 1)?;
            let target_table = self.table(target);
            let column = self.column(r, g);
            return Some(format!(
                "(SELECT {value} FROM {target_table} {alias} WHERE {alias}.id = {table}.{column})"
            ));
        }
        let factors = c.product.as_ref()?.get_ref().clone();
        let mut parts = Vec::new();
        for name in &factors {
            let g = self.field_index(r, name)?;
            parts.push(self.sql(r, g, table, depth + 1)?);
        }
        Some(format!("({})", parts.join(" * ")))
    }
}

fn access(field: &FieldDecl, item: &str, problems: &mut Vec<Problem>) -> Access {
    let Some(access) = &field.access else {
        return if field.computed.is_some() {
            Access::ReadOnly
        } else {
            Access::Optional
        };
    };
    let parsed = match access.get_ref().as_str() {
        "required" => Access::Required,
        "optional" => Access::Optional,
        "immutable" => Access::Immutable,
        "assigned" => Access::Assigned,
        "read-only" => Access::ReadOnly,
        other => {
            problems.push(problem(access, item, format!(
                "unknown access {other:?}; a field is required, optional, immutable, assigned or read-only")));
            Access::Optional
        }
    };
    if field.computed.is_some() && parsed != Access::ReadOnly {
        problems.push(problem(access, item, "a computed field is read-only"));
    }
    parsed
}

/// Checks a parsed file and builds its model, or says everything that is wrong.
pub(crate) fn build(file: &File) -> Result<&'static Model, Vec<Problem>> {
    let mut checked = Checked {
        file,
        problems: Vec::new(),
        by_path: BTreeMap::new(),
    };
    check_names(&mut checked);
    if !checked.problems.is_empty() {
        return Err(checked.problems);
    }
    let n = file.resources.len();
    // Types and SQL of every field.
    let mut types: Vec<Vec<Option<Ty>>> = Vec::with_capacity(n);
    let mut sql: Vec<Vec<Option<String>>> = Vec::with_capacity(n);
    for r in 0..n {
        let table = checked.table(r);
        let mut t = Vec::new();
        let mut s = Vec::new();
        for f in 0..file.resources[r].fields.len() {
            t.push(checked.ty(r, f, 0));
            s.push(checked.sql(r, f, &table, 1));
        }
        types.push(t);
        sql.push(s);
    }
    // Whose parent each dependent child is, and what is not a top-level collection.
    let mut parent_of: Vec<Option<(usize, String)>> = vec![None; n];
    let mut not_collection = vec![false; n];
    for children in &file.children {
        let item = format!("children {:?}", children.child.get_ref());
        let (Some(p), Some(c)) = (
            checked.resource(&children.parent, &item),
            checked.resource(&children.child, &item),
        ) else {
            continue;
        };
        check_children(&mut checked, children, p, c, &item);
        if children.style.get_ref() == "dependent" {
            parent_of[c] = Some((p, children.column.get_ref().clone()));
            not_collection[c] = true;
        }
    }
    if let Some(singleton) = &file.singleton {
        let item = format!("singleton {:?}", singleton.path.get_ref());
        if let Some(items) = checked.resource(&singleton.items, &item) {
            not_collection[items] = true;
        }
        for part in &singleton.parts {
            if let Some(p) = checked.resource(&part.resource, &item) {
                not_collection[p] = true;
            }
        }
    }
    let mut behaviours: Vec<Option<AfterCreate>> = vec![None; n];
    for (r, resource) in file.resources.iter().enumerate() {
        let item = format!("resource {:?}", resource.path.get_ref());
        if let Some(name) = &resource.on_create {
            match name.get_ref().as_str() {
                "open-account" => {
                    let owns_cart = file.singleton.as_ref().is_some_and(|s| {
                        s.owner.get_ref() == resource.path.get_ref()
                            && s.behaviour.as_ref().is_some_and(|b| b.get_ref() == "cart")
                    });
                    if !owns_cart {
                        checked.problems.push(problem(name, &item, "open-account gives each new account its cart: it needs a [singleton] with behaviour = \"cart\" whose owner is this resource"));
                    }
                    behaviours[r] = Some(accounts::open_account);
                }
                "issue-token" => behaviours[r] = Some(accounts::issue_token),
                other => checked.problems.push(problem(
                    name,
                    &item,
                    format!(
                        "unknown behaviour {other:?}; on_create knows issue-token and open-account"
                    ),
                )),
            }
        }
    }
    if !checked.problems.is_empty() {
        return Err(checked.problems);
    }
    // The entities, each after those it refers to.
    let mut built: Vec<Option<&'static Entity>> = vec![None; n];
    let mut visiting = vec![false; n];
    for r in 0..n {
        build_entity(
            &mut checked,
            r,
            &types,
            &sql,
            &parent_of,
            &behaviours,
            &mut built,
            &mut visiting,
        );
    }
    if !checked.problems.is_empty() {
        return Err(checked.problems);
    }
    let entity = |r: usize| built[r].expect("every entity is built");
    let pairs: Vec<&'static Pair> = file
        .pairs
        .iter()
        .filter_map(|pair| build_pair(&mut checked, pair, &entity))
        .collect();
    let children: Vec<&'static Children> = file
        .children
        .iter()
        .filter_map(|decl| {
            let (p, c) = (checked.by_path[decl.parent.get_ref()], checked.by_path[decl.child.get_ref()]);
            let after_write: Option<AfterWrite> = match decl.after_write.as_ref().map(|b| b.get_ref().as_str()) {
                None => None,
                Some("invoice-total-in-range") => Some(invoices::check_total),
                Some("invoice-paid-in-range") => Some(invoices::check_paid),
                Some(other) => {
                    checked.problems.push(problem(decl.after_write.as_ref()?, &format!("children {:?}", decl.child.get_ref()),
                        format!("unknown behaviour {other:?}; after_write knows invoice-total-in-range and invoice-paid-in-range")));
                    return None;
                }
            };
            let child = entity(c);
            let property = child
                .fields
                .iter()
                .find(|f| f.column == decl.column.get_ref() && matches!(f.kind, Kind::Ref { .. }))
                .map(|f| f.name);
            Some(&*Box::leak(Box::new(Children {
                parent: entity(p),
                child,
                column: leak(decl.column.get_ref()),
                property: if decl.style.get_ref() == "belongs-to" { property } else { None },
                dependent: decl.style.get_ref() == "dependent",
                after_write,
            })))
        })
        .collect();
    let tables = match file.tables.as_ref().map(|t| t.get_ref().as_str()) {
        None | Some("generated") => Tables::Generated,
        Some("bookshop-migrations") => Tables::BookshopMigrations,
        Some(other) => {
            let at = file.tables.as_ref().expect("tables is given");
            return Err(vec![problem(at, "tables", format!(
                "unknown table source {other:?}; tables are generated (the default) or bookshop-migrations"))]);
        }
    };
    let singleton = file
        .singleton
        .as_ref()
        .and_then(|decl| build_singleton(&mut checked, decl, tables, &entity));
    if !checked.problems.is_empty() {
        return Err(checked.problems);
    }
    let collections: Vec<&'static Entity> =
        (0..n).filter(|r| !not_collection[*r]).map(entity).collect();
    let demo = build_demo(&mut checked, &built, &pairs);
    if !checked.problems.is_empty() {
        return Err(checked.problems);
    }
    Ok(Box::leak(Box::new(Model {
        collections: Box::leak(collections.into_boxed_slice()),
        pairs: Box::leak(pairs.into_boxed_slice()),
        children: Box::leak(children.into_boxed_slice()),
        singleton,
        tables,
        demo: Box::leak(demo.into_boxed_slice()),
    })))
}

/// Names first: paths, tables, properties and columns well formed and not taken twice.
fn check_names(checked: &mut Checked) {
    let file = checked.file;
    for (r, resource) in file.resources.iter().enumerate() {
        let path = resource.path.get_ref();
        let item = format!("resource {path:?}");
        if !is_path(path) {
            checked.problems.push(problem(&resource.path, &item, "a path is one or two segments of [a-z][a-z0-9-]*, such as \"books\" or \"cart/items\""));
        } else if RESERVED_PATHS.contains(&path.split('/').next().unwrap_or(path)) {
            checked.problems.push(problem(
                &resource.path,
                &item,
                format!("{path:?} is reserved for the server's own resources"),
            ));
        } else if checked.by_path.insert(path.clone(), r).is_some() {
            checked.problems.push(problem(
                &resource.path,
                &item,
                "two resources have this path",
            ));
        }
        if resource.name.get_ref().trim().is_empty() || resource.name.get_ref().len() > 100 {
            checked.problems.push(problem(
                &resource.name,
                &item,
                "a name is 1 to 100 characters",
            ));
        }
        if let Some(table) = &resource.table {
            if !is_identifier(table.get_ref()) {
                checked.problems.push(problem(
                    table,
                    &item,
                    "a table is an identifier like [a-z][a-z0-9_]*",
                ));
            }
        } else if !is_identifier(&path.replace(['-', '/'], "_")) {
            checked.problems.push(problem(
                &resource.path,
                &item,
                "the path does not make a table name: give `table`",
            ));
        }
        if let Some(write) = &resource.write {
            if !matches!(write.get_ref().as_str(), "open" | "owner") {
                checked
                    .problems
                    .push(problem(write, &item, "`write` is open or owner"));
            }
        }
        let mut seen: Vec<&str> = Vec::new();
        for field in &resource.fields {
            let name = field.name.get_ref();
            let field_item = format!("field {name:?} of resource {path:?}");
            if !is_property(name) {
                checked.problems.push(problem(
                    &field.name,
                    &field_item,
                    "a property is camelCase: [a-z][A-Za-z0-9]*",
                ));
            } else if RESERVED_PROPERTIES.contains(&name.as_str()) {
                checked.problems.push(problem(
                    &field.name,
                    &field_item,
                    format!("{name:?} is reserved"),
                ));
            } else if seen.contains(&name.as_str()) {
                checked.problems.push(problem(
                    &field.name,
                    &field_item,
                    "two fields have this name",
                ));
            }
            seen.push(name);
            for column in [&field.column, &field.key, &field.units]
                .into_iter()
                .flatten()
            {
                if !is_identifier(column.get_ref()) {
                    checked.problems.push(problem(
                        column,
                        &field_item,
                        "a column is an identifier like [a-z][a-z0-9_]*",
                    ));
                }
            }
            if field.column.is_none()
                && field.computed.is_none()
                && !is_identifier(&snake_case(name))
            {
                checked.problems.push(problem(
                    &field.name,
                    &field_item,
                    "the name does not make a column: give `column`",
                ));
            }
            let mut problems = Vec::new();
            access(field, &field_item, &mut problems);
            checked.problems.extend(problems);
        }
        if let Some(label) = &resource.label {
            let plain = resource
                .fields
                .iter()
                .any(|f| f.name.get_ref() == label.get_ref() && f.computed.is_none());
            if !plain {
                checked.problems.push(problem(
                    label,
                    &item,
                    format!(
                        "`label` names no stored field of this resource: {:?}",
                        label.get_ref()
                    ),
                ));
            }
        }
    }
    for pair in &file.pairs {
        let item = format!("pair {:?}", pair.table.get_ref());
        for id in [&pair.table, &pair.left.column, &pair.right.column] {
            if !is_identifier(id.get_ref()) {
                checked.problems.push(problem(
                    id,
                    &item,
                    "a table or column is an identifier like [a-z][a-z0-9_]*",
                ));
            }
        }
        let mut seen_styles: Vec<&str> = Vec::new();
        for style in &pair.styles {
            if seen_styles.contains(&style.get_ref().as_str()) {
                checked
                    .problems
                    .push(problem(style, &item, "this style is listed twice"));
            }
            seen_styles.push(style.get_ref());
        }
        let inline = pair.left.inline.unwrap_or(true) && pair.right.inline.unwrap_or(true);
        if let Some(style) = pair.styles.iter().find(|s| s.get_ref() == "link-patch") {
            if !inline {
                checked.problems.push(problem(style, &item,
                    "link-patch sets the link arrays items show: it cannot work with a side that does not inline them (inline = false)"));
            }
        }
    }
    // Every relationship gives a path under its parent: two giving the same path collide.
    let mut under: BTreeMap<(String, String), Range<usize>> = BTreeMap::new();
    let mut claim =
        |checked: &mut Checked, from: &Spanned<String>, to: &Spanned<String>, item: String| {
            let key = (from.get_ref().clone(), to.get_ref().clone());
            if under.insert(key, to.span()).is_some() {
                checked.problems.push(problem(
                    to,
                    &item,
                    format!(
                        "two relationships give the path /{}/{{id}}/{}",
                        from.get_ref(),
                        to.get_ref()
                    ),
                ));
            }
        };
    for pair in &file.pairs {
        let item = format!("pair {:?}", pair.table.get_ref());
        claim(
            checked,
            &pair.left.resource,
            &pair.right.resource,
            item.clone(),
        );
        claim(checked, &pair.right.resource, &pair.left.resource, item);
    }
    for children in &file.children {
        claim(
            checked,
            &children.parent,
            &children.child,
            format!("children {:?}", children.child.get_ref()),
        );
    }
    if let Some(singleton) = &file.singleton {
        let item = format!("singleton {:?}", singleton.path.get_ref());
        if !is_path(singleton.path.get_ref()) || singleton.path.get_ref().contains('/') {
            checked.problems.push(problem(
                &singleton.path,
                &item,
                "a singleton's path is one segment of [a-z][a-z0-9-]*",
            ));
        } else if checked.by_path.contains_key(singleton.path.get_ref()) {
            checked.problems.push(problem(
                &singleton.path,
                &item,
                "a resource has this path already",
            ));
        }
        if let Some(part) = singleton.parts.iter().find(|p| {
            !p.resource
                .get_ref()
                .starts_with(&format!("{}/", singleton.path.get_ref()))
        }) {
            checked.problems.push(problem(
                &part.resource,
                &item,
                format!(
                    "a part lives under the singleton: its path starts with \"{}/\"",
                    singleton.path.get_ref()
                ),
            ));
        }
    }
}

fn check_children(checked: &mut Checked, children: &ChildrenDecl, p: usize, c: usize, item: &str) {
    if !is_identifier(children.column.get_ref()) {
        checked.problems.push(problem(
            &children.column,
            item,
            "a column is an identifier like [a-z][a-z0-9_]*",
        ));
    }
    match children.style.get_ref().as_str() {
        "dependent" => {}
        "belongs-to" => {
            let refers =
                checked.file.resources[c]
                    .fields
                    .iter()
                    .enumerate()
                    .any(|(f, field)| {
                        field.to.as_ref().is_some_and(|to| {
                            to.get_ref() == checked.file.resources[p].path.get_ref()
                        }) && checked.column(c, f) == *children.column.get_ref()
                    });
            if !refers {
                checked.problems.push(problem(
                    &children.column,
                    item,
                    "a belongs-to child needs a ref field to its parent on this column",
                ));
            }
        }
        other => checked.problems.push(problem(
            &children.style,
            item,
            format!("unknown style {other:?}; children are dependent or belongs-to"),
        )),
    }
}

#[expect(
    clippy::too_many_arguments,
    reason = "the tables the build step fills, passed down once"
)]
fn build_entity(
    checked: &mut Checked,
    r: usize,
    types: &[Vec<Option<Ty>>],
    sql: &[Vec<Option<String>>],
    parent_of: &[Option<(usize, String)>],
    behaviours: &[Option<AfterCreate>],
    built: &mut Vec<Option<&'static Entity>>,
    visiting: &mut Vec<bool>,
) -> Option<&'static Entity> {
    if let Some(entity) = built[r] {
        return Some(entity);
    }
    let resource: &Resource = &checked.file.resources[r];
    let item = format!("resource {:?}", resource.path.get_ref());
    if visiting[r] {
        checked.problems.push(problem(
            &resource.path,
            &item,
            "resources refer to each other in a circle (through ref fields or parents)",
        ));
        return None;
    }
    visiting[r] = true;
    let mut fields = Vec::new();
    for (f, field) in resource.fields.iter().enumerate() {
        let ty = types[r][f].clone()?;
        let ceiling_of = match &ty {
            Ty::Share(_, Some((_, target))) => {
                Some(checked.file.resources[*target].name.get_ref().clone())
            }
            _ => None,
        };
        let kind = match ty {
            Ty::Text(max) => Kind::Text { max },
            Ty::Email(key) => Kind::Email { key: leak(&key) },
            Ty::Int(min, max) => Kind::Int { min, max },
            Ty::Date => Kind::Date,
            Ty::Timestamp => Kind::Timestamp,
            Ty::Decimal(scale, min, max) => Kind::Decimal { scale, min, max },
            Ty::Choice(choices) => {
                let leaked: Vec<&'static str> = choices.iter().map(|c| leak(c)).collect();
                Kind::Choice(Box::leak(leaked.into_boxed_slice()))
            }
            Ty::Money => Kind::Money,
            Ty::Share(units, ceiling) => Kind::Share {
                units: leak(&units),
                ceiling: ceiling
                    .map(|(column, target)| (leak(&column), leak(&checked.table(target)))),
            },
            Ty::Ref(target, rel) => Kind::Ref {
                target: build_entity(
                    checked, target, types, sql, parent_of, behaviours, built, visiting,
                )?,
                rel: leak(&rel),
            },
        };
        let mut problems = Vec::new();
        let access = access(field, "", &mut problems);
        fields.push(Field {
            name: leak(field.name.get_ref()),
            column: if field.computed.is_some() {
                leak(sql[r][f].as_deref()?)
            } else {
                leak(&checked.column(r, f))
            },
            kind,
            access,
            unique: field.unique,
            default: field
                .default
                .as_ref()
                .and_then(|d| serde_json::to_string(d.get_ref()).ok())
                .map(|json| leak(&json)),
            prompt: leak(&match &field.prompt {
                Some(prompt) => prompt.get_ref().clone(),
                None => prompt_of(field.name.get_ref(), &kind),
            }),
            help: leak(&match &field.help {
                Some(help) => help.get_ref().clone(),
                None => rule_in_words(&kind, field, ceiling_of.as_deref()),
            }),
        });
    }
    let parent = match &parent_of[r] {
        None => None,
        Some((p, column)) => Some(Parent {
            entity: build_entity(
                checked, *p, types, sql, parent_of, behaviours, built, visiting,
            )?,
            column: leak(column),
            rel: leak(checked.file.resources[*p].name.get_ref()),
        }),
    };
    let label = resource.label.as_ref().and_then(|label| {
        let f = checked.field_index(r, label.get_ref())?;
        Some(leak(&checked.column(r, f)))
    });
    let entity: &'static Entity = Box::leak(Box::new(Entity {
        name: leak(resource.name.get_ref()),
        path: leak(resource.path.get_ref()),
        table: leak(&checked.table(r)),
        label,
        fields: Box::leak(fields.into_boxed_slice()),
        parent,
        auth: if resource
            .write
            .as_ref()
            .is_some_and(|w| w.get_ref() == "owner")
        {
            Auth::SelfOnly
        } else {
            Auth::Open
        },
        after_create: behaviours[r],
    }));
    for (field, decl) in entity.fields.iter().zip(&resource.fields) {
        let Some(default) = &decl.default else {
            continue;
        };
        let field_item = format!("field {:?} of resource {:?}", field.name, entity.path);
        let value = serde_json::to_value(default.get_ref()).unwrap_or(serde_json::Value::Null);
        let refused = if field.access != Access::Optional {
            Some("only an optional field has a default".to_owned())
        } else if matches!(field.kind, Kind::Ref { .. } | Kind::Email { .. }) || field.unique {
            Some("a reference, an email address or a unique field has no default".to_owned())
        } else {
            entity
                .check_value(field, &value)
                .err()
                .map(|message| format!("the default {message}"))
        };
        if let Some(message) = refused {
            checked
                .problems
                .push(problem(default, &field_item, message));
        }
    }
    visiting[r] = false;
    built[r] = Some(entity);
    Some(entity)
}

fn build_pair(
    checked: &mut Checked,
    pair: &PairDecl,
    entity: &dyn Fn(usize) -> &'static Entity,
) -> Option<&'static Pair> {
    let item = format!("pair {:?}", pair.table.get_ref());
    let side = |decl: &SideDecl, checked: &mut Checked| -> Option<Side> {
        let r = checked.resource(&decl.resource, &item)?;
        Some(Side {
            entity: entity(r),
            column: leak(decl.column.get_ref()),
            inline: decl.inline.unwrap_or(true),
        })
    };
    let (left, right) = (side(&pair.left, checked), side(&pair.right, checked));
    let mut styles = Styles::NONE;
    for style in &pair.styles {
        match style.get_ref().as_str() {
            "sub-resources" => styles.sub_resources = true,
            "link-patch" => styles.link_patch = true,
            "query-form" => styles.query_form = true,
            "add-remove" => styles.add_remove = true,
            other => checked.problems.push(problem(style, &item, format!(
                "unknown style {other:?}; a pair offers sub-resources, link-patch, query-form or add-remove (and a cross-resource with `cross`)"))),
        }
    }
    if let Some(cross) = &pair.cross {
        let r = checked.resource(cross, &item)?;
        if checked.table(r) != *pair.table.get_ref() {
            checked.problems.push(problem(
                cross,
                &item,
                "the cross-resource's table must be the pair's link table",
            ));
        }
        let cross_entity = entity(r);
        for side in [&pair.left, &pair.right] {
            let refers = cross_entity.fields.iter().any(|f| {
                f.column == side.column.get_ref()
                    && matches!(f.kind, Kind::Ref { target, .. } if target.path == side.resource.get_ref())
            });
            if !refers {
                checked.problems.push(problem(
                    cross,
                    &item,
                    format!(
                        "a cross-resource needs a ref field to {:?} on the column {:?}",
                        side.resource.get_ref(),
                        side.column.get_ref()
                    ),
                ));
            }
        }
        styles.cross = Some(cross_entity);
    }
    let (left, right) = (left?, right?);
    if std::ptr::eq(left.entity, right.entity) {
        checked.problems.push(problem(
            &pair.table,
            &item,
            "a pair relates two different resources",
        ));
        return None;
    }
    Some(Box::leak(Box::new(Pair {
        table: leak(pair.table.get_ref()),
        left,
        right,
        styles,
    })))
}

/// The demo data: each row checked as a create body of its resource, each link against
/// its pair (whether the ids exist is for the load to find).
fn build_demo(
    checked: &mut Checked,
    built: &[Option<&'static Entity>],
    pairs: &[&'static Pair],
) -> Vec<Demo> {
    let links = crate::hal::Links::new(url::Url::parse("http://localhost/").expect("a fixed URL"));
    let mut out = Vec::new();
    for decl in &checked.file.demo {
        match (&decl.resource, &decl.pair) {
            (Some(resource), None) => {
                let item = format!("demo of {:?}", resource.get_ref());
                let Some(r) = checked.resource(resource, &item) else {
                    continue;
                };
                let Some(entity) = built[r] else {
                    continue;
                };
                let dependent = entity.parent.is_some();
                if dependent != decl.parent.is_some() {
                    checked.problems.push(problem(
                        resource,
                        &item,
                        if dependent {
                            "rows of a dependent child need `parent`, their parent's id"
                        } else {
                            "`parent` is only for the rows of a dependent child"
                        },
                    ));
                    continue;
                }
                let mut rows = Vec::new();
                for row in &decl.rows {
                    let body = match serde_json::to_value(row.get_ref()) {
                        Ok(serde_json::Value::Object(body)) => body,
                        _ => continue,
                    };
                    if let Err(error) = entity.parse_body(&links, &body, None, true, &[]) {
                        checked
                            .problems
                            .push(problem(row, &item, error.to_string()));
                    }
                    rows.push(body);
                }
                out.push(Demo::Rows {
                    entity,
                    parent: decl.parent,
                    rows,
                });
            }
            (None, Some(table)) => {
                let item = format!("demo of pair {:?}", table.get_ref());
                match pairs.iter().find(|p| p.table == table.get_ref()) {
                    Some(pair) => out.push(Demo::Links {
                        pair,
                        links: decl.links.iter().map(|[a, b]| (*a, *b)).collect(),
                    }),
                    None => checked.problems.push(problem(
                        table,
                        &item,
                        "there is no pair with this table",
                    )),
                }
            }
            _ => {
                let at = decl.resource.as_ref().or(decl.pair.as_ref());
                checked.problems.push(Problem {
                    span: at.map(Spanned::span),
                    item: "demo".to_owned(),
                    message: "a [[demo]] names exactly one of `resource` (with rows) or `pair` (with links)".to_owned(),
                });
            }
        }
    }
    out
}

/// The singleton: the cart (the shop's behaviours, on the bookshop's tables) or the
/// generic one, with its table and columns.
fn build_singleton(
    checked: &mut Checked,
    decl: &super::file::SingletonDecl,
    tables: Tables,
    entity: &dyn Fn(usize) -> &'static Entity,
) -> Option<&'static Singleton> {
    let item = format!("singleton {:?}", decl.path.get_ref());
    let behaviour = match decl.behaviour.as_ref().map(|b| b.get_ref().as_str()) {
        None => SingletonBehaviour::Plain,
        Some("cart") => SingletonBehaviour::Cart,
        Some(other) => {
            let at = decl.behaviour.as_ref()?;
            checked.problems.push(problem(at, &item, format!(
                "unknown behaviour {other:?}; a singleton is the generic one (no behaviour) or the cart")));
            return None;
        }
    };
    if behaviour == SingletonBehaviour::Cart && tables != Tables::BookshopMigrations {
        let at = decl.behaviour.as_ref()?;
        checked.problems.push(problem(
            at,
            &item,
            "the cart's behaviours need the bookshop's tables: tables = \"bookshop-migrations\"",
        ));
    }
    if behaviour == SingletonBehaviour::Plain && tables != Tables::Generated {
        checked.problems.push(problem(
            &decl.path,
            &item,
            "a generic singleton's table comes from the file: it needs generated tables",
        ));
    }
    let owner = entity(checked.resource(&decl.owner, &item)?);
    let items = entity(checked.resource(&decl.items, &item)?);
    if behaviour == SingletonBehaviour::Plain && owner.after_create.is_none() {
        checked.problems.push(problem(
            &decl.owner,
            &item,
            format!(
            "the owner reaches its singleton with its token: give {:?} on_create = \"issue-token\"",
            owner.path),
        ));
    }
    let named = |value: &Option<Spanned<String>>, default: String, checked: &mut Checked| {
        let name = value.as_ref().map_or(default, |v| v.get_ref().clone());
        if !is_identifier(&name) {
            checked.problems.push(Problem {
                span: value.as_ref().map(Spanned::span).or(Some(decl.path.span())),
                item: item.clone(),
                message: format!("{name:?} is not an identifier like [a-z][a-z0-9_]*"),
            });
        }
        leak(&name)
    };
    let table = named(&decl.table, decl.path.get_ref().replace('-', "_"), checked);
    let owner_column = named(
        &decl.owner_column,
        format!("{}_id", snake_case(owner.name).replace(' ', "_")),
        checked,
    );
    let items_column = named(&decl.items_column, format!("{table}_id"), checked);
    let mut parts = Vec::new();
    for part in &decl.parts {
        let kind = match part.kind.as_ref().map(|k| k.get_ref().as_str()) {
            None | Some("fields") => PartKind::Fields,
            Some("shipping") => PartKind::Shipping,
            Some("billing") => PartKind::Billing,
            Some("card") => PartKind::Card,
            Some(other) => {
                checked.problems.push(problem(part.kind.as_ref()?, &item, format!(
                    "unknown part kind {other:?}; a part is fields, or for the cart shipping, billing or card")));
                continue;
            }
        };
        if (kind == PartKind::Fields) != (behaviour == SingletonBehaviour::Plain) {
            checked.problems.push(problem(&part.resource, &item, if kind == PartKind::Fields {
                "the cart's parts are shipping, billing or card"
            } else {
                "shipping, billing and card parts are the cart's: give the singleton behaviour = \"cart\""
            }));
        }
        let Some(part_index) = checked.resource(&part.resource, &item) else {
            continue;
        };
        let part_entity = entity(part_index);
        if behaviour == SingletonBehaviour::Plain && part_entity.table != table {
            checked.problems.push(problem(
                &part.resource,
                &item,
                format!(
                "a part's fields are columns of the singleton's row: its table must be {table:?}"),
            ));
        }
        parts.push(Part {
            entity: part_entity,
            kind,
        });
    }
    Some(Box::leak(Box::new(Singleton {
        path: leak(decl.path.get_ref()),
        owner,
        items,
        parts: Box::leak(parts.into_boxed_slice()),
        behaviour,
        table,
        owner_column,
        items_column,
    })))
}

/// A field's prompt made from its name: camelCase as words, the first capitalised, a
/// reference's `Id` left out (`bookId` → "Book", `shippingInfoComplete` → "Shipping
/// info complete").
fn prompt_of(name: &str, kind: &Kind) -> String {
    let name = match kind {
        Kind::Ref { .. } => name.strip_suffix("Id").unwrap_or(name),
        _ => name,
    };
    let mut words = String::new();
    for (i, c) in name.chars().enumerate() {
        if i == 0 {
            words.extend(c.to_uppercase());
        } else if c.is_ascii_uppercase() {
            words.push(' ');
            words.push(c.to_ascii_lowercase());
        } else {
            words.push(c);
        }
    }
    words
}

/// A field's validation rule in words, for the help under a form's control.
fn rule_in_words(kind: &Kind, field: &FieldDecl, ceiling: Option<&str>) -> String {
    let mut rule = match kind {
        Kind::Text { max } => format!("Text of at most {max} characters."),
        Kind::Email { .. } => "An email address, such as ada@example.org.".to_owned(),
        Kind::Int { min, max } => format!("A whole number from {min} to {max}."),
        Kind::Date => "A date, YYYY-MM-DD (2026-03-31).".to_owned(),
        Kind::Timestamp => "A time in UTC, YYYY-MM-DDTHH:MM:SSZ.".to_owned(),
        Kind::Decimal { scale, min, max } => format!(
            "A number from {} to {} with at most {scale} decimals.",
            crate::decimal::format(*min, *scale),
            crate::decimal::format(*max, *scale)
        ),
        Kind::Choice(choices) => format!("One of: {}.", choices.join(", ")),
        Kind::Money => "An amount with at most two decimals, such as 12.50.".to_owned(),
        Kind::Share { .. } => {
            let mut rule =
                "A share from 0 to 1 with at most four decimals, such as 0.25; empty for none."
                    .to_owned();
            if let Some(target) = ceiling {
                rule.push_str(&format!(" The shares of one {target} add up to at most 1."));
            }
            rule
        }
        Kind::Ref { target, .. } => format!(
            "A {}: its link (/{}) or its id.",
            target.name,
            target.item_path(1)
        ),
    };
    if field.unique {
        rule.push_str(" No two may be the same");
        rule.push_str(if matches!(kind, Kind::Email { .. }) {
            ", ignoring case."
        } else {
            "."
        });
    }
    if let Some(default) = &field.default {
        let text = match default.get_ref() {
            toml::Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        rule.push_str(&format!(" Left empty: {text}."));
    }
    rule
}

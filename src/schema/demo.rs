//! A schema file's demo data, loaded into a database that start created: each row
//! checked and inserted as a create request would be (its `on_create` behaviour
//! included), each link made as the sub-resource PUT makes it, all in one transaction.

use crate::db::{self, DbConn, Value};
use crate::error::{ApiError, ApiResult};
use crate::hal::Links;
use crate::model::{Demo, Model, SingletonBehaviour};

/// Loads the model's demo data; an error names the row that failed and nothing is kept.
pub(crate) fn load(conn: &mut DbConn, model: &Model) -> ApiResult<()> {
    let links = Links::new(
        url::Url::parse("http://localhost/").map_err(|e| ApiError::Internal(e.to_string()))?,
    );
    db::write(conn, |conn| {
        for demo in model.demo {
            match demo {
                Demo::Rows {
                    entity,
                    parent,
                    rows,
                } => {
                    for (n, row) in rows.iter().enumerate() {
                        let named = |e: ApiError| {
                            ApiError::Internal(format!(
                                "demo row {} of {}: {e}",
                                n + 1,
                                entity.path
                            ))
                        };
                        let mut values = entity
                            .parse_body(&links, row, None, true, &[])
                            .map_err(named)?;
                        entity
                            .check_references(conn, &values, None)
                            .map_err(named)?;
                        if let (Some(owner), Some(id)) = (entity.parent, parent) {
                            values.push((owner.column, Value::Int(*id)));
                        }
                        let id = entity.insert(conn, &values).map_err(named)?;
                        if let Some(one) = model.singleton.filter(|one| {
                            one.behaviour == SingletonBehaviour::Plain
                                && std::ptr::eq(one.owner, *entity)
                        }) {
                            one.create(conn, id).map_err(named)?;
                        }
                        if let Some(hook) = entity.after_create {
                            hook(conn, id).map_err(named)?;
                        }
                    }
                }
                Demo::Links { pair, links } => {
                    let view = pair.views()[0];
                    for (left, right) in links {
                        view.link(conn, *left, *right).map_err(|e| {
                            ApiError::Internal(format!(
                                "demo link {left}–{right} of {}: {e}",
                                pair.table
                            ))
                        })?;
                    }
                }
            }
        }
        Ok(())
    })
}

//! The query form of a sub-collection: `GET /{to}?{from}_id={id}` (or `?{from}=` with a
//! hyperlink) lists the same items as `GET /{from}/{id}/{to}`, on both sides.

use super::style::PairStyle;
use crate::model::{Pair, View};

/// The style.
pub(crate) struct QueryForm;

impl PairStyle for QueryForm {
    fn offered(&self, pair: &Pair) -> bool {
        pair.styles.query_form
    }

    fn narrows(&self, _view: View) -> bool {
        true
    }
}

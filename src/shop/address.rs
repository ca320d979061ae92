//! A postal address and a kept card, typed: read from the cart's parts by their
//! properties, written into an order's columns by one list.

use serde_json::{json, Map, Value};

/// The properties of an address with the order columns that keep them (after a prefix:
/// `ship_`, `bill_`).
const FIELDS: [(&str, &str); 5] = [
    ("name", "name"),
    ("street", "street"),
    ("city", "city"),
    ("postalCode", "postal_code"),
    ("country", "country"),
];

/// A complete address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Address([String; 5]);

/// What a part's stored text property holds.
fn text(doc: &Map<String, Value>, name: &str) -> Option<String> {
    doc.get(name).and_then(Value::as_str).map(str::to_owned)
}

impl Address {
    /// The address a part's document holds, when every property is set.
    pub(crate) fn from_doc(doc: &Map<String, Value>) -> Option<Address> {
        let [a, b, c, d, e] = FIELDS.map(|(name, _)| text(doc, name));
        Some(Address([a?, b?, c?, d?, e?]))
    }

    /// True when the document sets any property of an address.
    pub(crate) fn any_set(doc: &Map<String, Value>) -> bool {
        FIELDS.iter().any(|(name, _)| text(doc, name).is_some())
    }

    /// The order columns of an address stored with `prefix`.
    pub(crate) fn columns(prefix: &str) -> impl Iterator<Item = String> + '_ {
        FIELDS
            .iter()
            .map(move |(_, column)| format!("{prefix}{column}"))
    }

    /// Its values, in the order of [`Address::columns`].
    pub(crate) fn into_values(self) -> [String; 5] {
        self.0
    }

    /// An address from its values in the order of [`Address::columns`].
    pub(crate) fn from_values(values: [String; 5]) -> Address {
        Address(values)
    }

    /// The address as an order shows it.
    pub(crate) fn to_json(&self) -> Value {
        let mut out = Map::new();
        for ((name, _), value) in FIELDS.iter().zip(&self.0) {
            out.insert((*name).to_owned(), json!(value));
        }
        Value::Object(out)
    }
}

/// A card as far as it is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Card {
    /// `MM/YY`.
    pub(crate) expiry: String,
    /// The brand by the number's prefix.
    pub(crate) brand: String,
    /// The number's last four digits.
    pub(crate) last4: String,
}

impl Card {
    /// The card a payment part's document holds, when it is complete.
    pub(crate) fn from_doc(doc: &Map<String, Value>) -> Option<Card> {
        text(doc, "cardholder")?;
        Some(Card {
            expiry: text(doc, "expiry")?,
            brand: text(doc, "brand")?,
            last4: text(doc, "last4")?,
        })
    }
}

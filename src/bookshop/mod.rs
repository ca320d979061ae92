//! The bookshop: the model Halyard serves by default, as plain descriptors, with its
//! demo data and the generated sample of `halyard load-sample`. No routes and no
//! handlers: the machinery serves it as it would serve any model.

mod accounts;
mod billing;
mod catalogue;
pub mod demo;
mod fleet;
pub mod sample;
mod shop;

use crate::model::Model;

/// The bookshop model.
pub static MODEL: Model = Model {
    collections: &[
        &catalogue::BOOKS,
        &catalogue::AUTHORS,
        &catalogue::BOOKS_AUTHORS,
        &accounts::USERS,
        &accounts::GROUPS,
        &billing::CUSTOMERS,
        &billing::INVOICES,
        &fleet::CARS,
        &fleet::DRIVERS,
    ],
    pairs: &[
        &catalogue::BOOKS_AND_AUTHORS,
        &fleet::CARS_AND_DRIVERS,
        &accounts::GROUPS_AND_USERS,
    ],
    children: &[
        &billing::CUSTOMER_INVOICES,
        &billing::INVOICE_LINE_ITEMS,
        &billing::INVOICE_PAYMENTS,
    ],
    singleton: Some(&shop::CART),
};

CREATE TABLE customers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL
);

-- RESTRICT: a customer with invoices cannot be deleted (409), even when two requests race.
CREATE TABLE invoices (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    number TEXT UNIQUE,
    date TEXT NOT NULL,
    customer_id BIGINT NOT NULL REFERENCES customers (id) ON DELETE RESTRICT
);
CREATE INDEX invoices_customer ON invoices (customer_id, id);

-- The server assigns a number when the client gives none.
CREATE TRIGGER invoices_number AFTER INSERT ON invoices
WHEN NEW.number IS NULL
BEGIN
    UPDATE invoices SET number = printf('INV-%06d', NEW.id) WHERE id = NEW.id;
END;

-- Existentially dependent: line items and payments vanish with their invoice.
CREATE TABLE line_items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    invoice_id BIGINT NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
    description TEXT NOT NULL,
    quantity BIGINT NOT NULL CHECK (quantity > 0),
    unit_price_cents BIGINT NOT NULL CHECK (unit_price_cents >= 0)
);
CREATE INDEX line_items_invoice ON line_items (invoice_id, id);

CREATE TABLE payments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    invoice_id BIGINT NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
    amount_cents BIGINT NOT NULL CHECK (amount_cents >= 0),
    date TEXT NOT NULL,
    method TEXT NOT NULL CHECK (method IN ('card', 'transfer', 'cash'))
);
CREATE INDEX payments_invoice ON payments (invoice_id, id);

CREATE TABLE cars (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    license_plate TEXT NOT NULL UNIQUE,
    model TEXT
);

CREATE TABLE drivers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL
);

CREATE TABLE cars_drivers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    car_id BIGINT NOT NULL REFERENCES cars (id) ON DELETE CASCADE,
    driver_id BIGINT NOT NULL REFERENCES drivers (id) ON DELETE CASCADE,
    UNIQUE (car_id, driver_id)
);
CREATE INDEX cars_drivers_driver ON cars_drivers (driver_id, car_id);

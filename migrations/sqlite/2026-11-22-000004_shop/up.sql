-- Every user has exactly one cart, always: one row per user, created with the user.
-- The cart's singleton parts (shipping, billing, payment) are columns of that row.
CREATE TABLE carts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    updated_at TEXT NOT NULL,
    ship_name TEXT,
    ship_street TEXT,
    ship_city TEXT,
    ship_postal_code TEXT,
    ship_country TEXT,
    bill_name TEXT,
    bill_street TEXT,
    bill_city TEXT,
    bill_postal_code TEXT,
    bill_country TEXT,
    -- Never the card number: only what may be shown again.
    card_holder TEXT,
    card_brand TEXT,
    card_last4 TEXT,
    card_expiry TEXT
);
INSERT INTO carts (user_id, updated_at)
SELECT id, strftime('%Y-%m-%dT%H:%M:%SZ', 'now') FROM users;

CREATE TABLE cart_items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    cart_id BIGINT NOT NULL REFERENCES carts (id) ON DELETE CASCADE,
    book_id BIGINT NOT NULL REFERENCES books (id) ON DELETE CASCADE,
    quantity BIGINT NOT NULL CHECK (quantity BETWEEN 1 AND 999),
    UNIQUE (cart_id, book_id)
);

-- RESTRICT: a user who has orders cannot be deleted.
CREATE TABLE orders (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    created_at TEXT NOT NULL,
    total_cents BIGINT NOT NULL,
    shipping_cents BIGINT NOT NULL,
    ship_name TEXT NOT NULL,
    ship_street TEXT NOT NULL,
    ship_city TEXT NOT NULL,
    ship_postal_code TEXT NOT NULL,
    ship_country TEXT NOT NULL,
    bill_name TEXT NOT NULL,
    bill_street TEXT NOT NULL,
    bill_city TEXT NOT NULL,
    bill_postal_code TEXT NOT NULL,
    bill_country TEXT NOT NULL,
    card_brand TEXT NOT NULL,
    card_last4 TEXT NOT NULL
);
CREATE INDEX orders_user ON orders (user_id, id);

-- Prices and titles frozen at checkout; the book may change or go later.
CREATE TABLE order_lines (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id BIGINT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    book_id BIGINT NOT NULL,
    title TEXT NOT NULL,
    unit_price_cents BIGINT NOT NULL,
    quantity BIGINT NOT NULL
);
CREATE INDEX order_lines_order ON order_lines (order_id, id);

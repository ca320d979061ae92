-- Secrets shared by every instance (the page-token signing key).
CREATE TABLE server_keys (
    name TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

CREATE TABLE books (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    -- Money is stored exactly, in cents.
    price_cents BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE authors (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL
);

-- The one table behind every view of the books-authors relationship.
CREATE TABLE books_authors (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    book_id BIGINT NOT NULL REFERENCES books (id) ON DELETE CASCADE,
    author_id BIGINT NOT NULL REFERENCES authors (id) ON DELETE CASCADE,
    -- As written ("0.20" stays "0.20"), and scaled by 10^4 for exact sums.
    royalties TEXT,
    royalties_units BIGINT CHECK (royalties_units BETWEEN 0 AND 10000),
    UNIQUE (book_id, author_id)
);
CREATE INDEX books_authors_author ON books_authors (author_id, book_id);

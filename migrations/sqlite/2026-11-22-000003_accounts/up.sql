CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email_address TEXT NOT NULL,
    -- The address lower-cased by the server (Unicode-aware, the same on both backends):
    -- unique ignoring case, enforced by the database so racing sign-ups cannot both win.
    email_key TEXT NOT NULL UNIQUE,
    display_name TEXT
);

CREATE TABLE user_groups (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    display_name TEXT NOT NULL
);

-- The membership is deliberately not a resource; its id serves the machinery only.
CREATE TABLE group_members (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    group_id BIGINT NOT NULL REFERENCES user_groups (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    UNIQUE (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members (user_id, group_id);

-- Only a SHA-256 hash of each token's secret is kept.
CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    hash TEXT NOT NULL
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

DROP TABLE books_authors;
DROP TABLE authors;
DROP TABLE books;
DROP TABLE server_keys;
DROP FUNCTION casefold;

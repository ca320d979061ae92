DROP TABLE api_tokens;
DROP TABLE group_members;
DROP TABLE user_groups;
DROP TABLE users;

-- Foundation: console users and their sessions, API keys, login attempts, the audit log.
-- Portable SQL for SQLite and PostgreSQL: ids are application-generated BIGINTs,
-- instants are Unix microseconds (BIGINT).

CREATE TABLE console_users (
  id            BIGINT PRIMARY KEY,
  username      TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  role          TEXT NOT NULL,
  created_at    BIGINT NOT NULL,
  updated_at    BIGINT NOT NULL,
  disabled_at   BIGINT
);

CREATE TABLE console_sessions (
  id           BIGINT PRIMARY KEY,
  token_hash   TEXT NOT NULL UNIQUE,
  user_id      BIGINT NOT NULL REFERENCES console_users (id),
  csrf_token   TEXT NOT NULL,
  created_at   BIGINT NOT NULL,
  expires_at   BIGINT NOT NULL,
  ip           TEXT NOT NULL
);
CREATE INDEX console_sessions_user ON console_sessions (user_id);

CREATE TABLE api_keys (
  id           BIGINT PRIMARY KEY,
  name         TEXT NOT NULL,
  role         TEXT NOT NULL,
  prefix       TEXT NOT NULL,
  secret_hash  TEXT NOT NULL UNIQUE,
  created_at   BIGINT NOT NULL,
  created_by   TEXT NOT NULL,
  last_used_at BIGINT,
  revoked_at   BIGINT
);

CREATE TABLE login_attempts (
  id        BIGINT PRIMARY KEY,
  username  TEXT NOT NULL,
  ip        TEXT NOT NULL,
  at        BIGINT NOT NULL,
  succeeded INTEGER NOT NULL
);
CREATE INDEX login_attempts_username_at ON login_attempts (username, at);
CREATE INDEX login_attempts_ip_at ON login_attempts (ip, at);
CREATE INDEX login_attempts_at ON login_attempts (at);

CREATE TABLE audit_log (
  id          BIGINT PRIMARY KEY,
  at          BIGINT NOT NULL,
  actor_type  TEXT NOT NULL,
  actor_id    TEXT,
  actor_name  TEXT NOT NULL,
  action      TEXT NOT NULL,
  target_type TEXT NOT NULL,
  target_id   TEXT,
  before_json TEXT,
  after_json  TEXT,
  request_id  TEXT,
  ip          TEXT
);
CREATE INDEX audit_log_action ON audit_log (action, id);

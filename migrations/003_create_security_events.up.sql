-- An append-only audit trail: logins, failed logins, key creation and revocation.
CREATE TABLE security_events (
    id          VARCHAR(36) NOT NULL PRIMARY KEY,
    user_id     VARCHAR(36) NULL,
    kind        VARCHAR(32) NOT NULL,
    ip_address  VARCHAR(45) NULL,
    occurred_at TIMESTAMP   NOT NULL DEFAULT CURRENT_TIMESTAMP,
    details     TEXT        NULL,
    CONSTRAINT security_events_user_fk FOREIGN KEY (user_id) REFERENCES users (id)
        ON DELETE SET NULL,
    CONSTRAINT security_events_kind_check CHECK (kind IN
        ('login', 'login_failed', 'key_created', 'key_revoked', 'password_changed'))
);

CREATE INDEX security_events_user_idx ON security_events (user_id, occurred_at);
CREATE INDEX security_events_kind_idx ON security_events (kind, occurred_at);

-- Roles, in the one-file format: the up and down scripts are sections of this file.

-- strata:up
CREATE TABLE roles (
    name        VARCHAR(32)  NOT NULL PRIMARY KEY,
    description VARCHAR(255) NOT NULL
);

CREATE TABLE user_roles (
    user_id   VARCHAR(36) NOT NULL,
    role_name VARCHAR(32) NOT NULL,
    PRIMARY KEY (user_id, role_name),
    CONSTRAINT user_roles_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT user_roles_role_fk FOREIGN KEY (role_name) REFERENCES roles (name)
);

INSERT INTO roles (name, description) VALUES
    ('admin', 'Full access, including user management'),
    ('member', 'Regular access to the application'),
    ('auditor', 'Read-only access to security events');

-- strata:down
DROP TABLE user_roles;
DROP TABLE roles;

CREATE TABLE tags (note_id INTEGER NOT NULL REFERENCES notes (id), tag TEXT NOT NULL);
CREATE INDEX tags_tag ON tags (tag);

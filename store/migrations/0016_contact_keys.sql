-- 0016: duplicate suggestions compare a case's phone and email as keys, not
-- as typed: the phone without separators or Italy's prefix (+39, 0039), the
-- email in lower case (store.PhoneKey, store.EmailKey). New rows get their
-- keys from Go; the rows already there from the same rule in SQL.
ALTER TABLE cases ADD COLUMN contact_phone_key TEXT NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN contact_email_key TEXT NOT NULL DEFAULT '';
UPDATE cases SET contact_phone_key = {{phone_key}}, contact_email_key = {{email_key}};
CREATE INDEX cases_phone_key ON cases (contact_phone_key, created_at);
CREATE INDEX cases_email_key ON cases (contact_email_key, created_at);

-- 0007: reserved for intake (form, email, fax).
SELECT 1;
